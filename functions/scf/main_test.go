package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The tests of this package drive the built binary as a separate process, as SCF does.

// builds holds the binaries built for the tests, by build tags ("" for the release build).
var builds struct {
	mu  sync.Mutex
	dir string
	by  map[string]*built
}

type built struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	os.Exit(code)
}

// binary builds this command once per test binary (for the host's architecture) and returns
// its path.
func binary(t testing.TB) string { return binaryWith(t, "") }

// binaryWith builds this command with the given build tags, once per test binary.
func binaryWith(t testing.TB, tags string) string {
	t.Helper()
	builds.mu.Lock()
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "kefu-scf-test-")
		if err != nil {
			builds.mu.Unlock()
			t.Fatal(err)
		}
		builds.dir, builds.by = dir, map[string]*built{}
	}
	b := builds.by[tags]
	if b == nil {
		b = &built{path: filepath.Join(builds.dir, "main"+strings.ReplaceAll(tags, ",", "-"))}
		builds.by[tags] = b
	}
	builds.mu.Unlock()
	b.once.Do(func() {
		cmd := exec.Command("go", "build", "-trimpath", "-tags", tags, "-o", b.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("building the binary: %v\n%s", b.err, b.out)
	}
	return b.path
}
