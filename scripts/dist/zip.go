package main

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// entry is one file to put into a zip.
type entry struct {
	name string      // the name inside the zip
	file string      // the file to read
	mode fs.FileMode // its permission bits
}

// parseEntries reads NAME=FILE[:MODE] arguments.
func parseEntries(args []string) ([]entry, error) {
	if len(args) == 0 {
		return nil, errors.New("zip: no files")
	}
	var es []entry
	for _, a := range args {
		name, file, ok := strings.Cut(a, "=")
		if !ok || name == "" || file == "" {
			return nil, fmt.Errorf("zip: %q is not NAME=FILE[:MODE]", a)
		}
		mode := fs.FileMode(0o644)
		if i := strings.LastIndexByte(file, ':'); i >= 0 {
			m, err := strconv.ParseUint(file[i+1:], 8, 32)
			if err != nil || m > 0o777 {
				return nil, fmt.Errorf("zip: %q: the mode is not octal permission bits", a)
			}
			file, mode = file[:i], fs.FileMode(m)
		}
		es = append(es, entry{name: name, file: file, mode: mode})
	}
	return es, nil
}

// stamp returns the modification time of every file in the zips: fixed, so that the same
// binaries give the same zip.
func stamp() time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) }

// writeZip writes the entries into a new zip at out, replacing it atomically.
func writeZip(out string, entries []entry) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".dist-*.zip")
	if err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	for _, e := range entries {
		if err := addFile(zw, e); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	return nil
}

func addFile(zw *zip.Writer, e entry) error {
	f, err := os.Open(e.file)
	if err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("zip: %s is not a regular file", e.file)
	}
	h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: stamp()}
	h.SetMode(e.mode) // also marks the entry as made on Unix, so the mode is read back
	w, err := zw.CreateHeader(h)
	if err != nil {
		return fmt.Errorf("zip: %s: %w", e.name, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("zip: %s: %w", e.name, err)
	}
	return nil
}
