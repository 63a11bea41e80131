package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The tests of this package drive the built binary as a separate process, as SCF does.

var build struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// binary builds this command once per test binary (for the host's architecture) and returns
// its path.
func binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "kefu-scf-test-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "main")
		cmd := exec.Command("go", "build", "-trimpath", "-o", build.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.out, build.err = cmd.CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("building the binary: %v\n%s", build.err, build.out)
	}
	return build.path
}
