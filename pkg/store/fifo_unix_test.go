//go:build unix

package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kefuhq/kefu/pkg/store"
)

// TestGetFileNotModifiedByStatAlone proves, even as root, that a matching ETag is answered
// from a stat: the file is swapped for a named pipe with the same modification time and size,
// which any open for reading would block on.
func TestGetFileNotModifiedByStatAlone(t *testing.T) {
	name := filepath.Join(t.TempDir(), "rules.yaml")
	writeFile(t, name, "") // size 0, like a pipe
	mod := time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)
	if err := os.Chtimes(name, mod, mod); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, store.Options{})
	obj, err := s.Get(context.Background(), name, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(name, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Chtimes(name, mod, mod); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Get(context.Background(), name, obj.ETag)
		done <- err
	}()
	select {
	case err := <-done:
		wantErr(t, err, store.ErrNotModified)
	case <-time.After(5 * time.Second):
		// Get opened the pipe: release it, then fail.
		if w, err := os.OpenFile(name, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatal("Get with the current ETag opened the file instead of deciding from a stat")
	}
}
