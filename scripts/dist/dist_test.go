package main

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeELF returns a minimal 64-bit little-endian ELF header for machine, of type typ, with
// one program header of type prog (PT_LOAD for a static binary, PT_INTERP for a dynamic
// one), padded with zeros to size bytes.
func fakeELF(t *testing.T, machine elf.Machine, typ elf.Type, prog elf.ProgType, size int) []byte {
	t.Helper()
	var b bytes.Buffer
	h := elf.Header64{
		Type: uint16(typ), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: 1, Shentsize: 64,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	if err := binary.Write(&b, binary.LittleEndian, h); err != nil {
		t.Fatal(err)
	}
	if err := binary.Write(&b, binary.LittleEndian, elf.Prog64{Type: uint32(prog), Flags: uint32(elf.PF_R)}); err != nil {
		t.Fatal(err)
	}
	if b.Len() < size {
		b.Write(make([]byte, size-b.Len()))
	}
	return b.Bytes()
}

type file struct {
	name string
	data []byte
	mode fs.FileMode
}

// writeFiles writes the files into dir and returns zip entries for them.
func writeFiles(t *testing.T, dir string, files []file) []entry {
	t.Helper()
	var es []entry
	for _, f := range files {
		p := filepath.Join(dir, "src-"+f.name)
		if err := os.WriteFile(p, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		es = append(es, entry{name: f.name, file: p, mode: f.mode})
	}
	return es
}

const script = "#!/bin/bash\nexport PORT=9000\nexec /var/user/main\n"

func good(t *testing.T) (lambda, scf []file) {
	return []file{{"bootstrap", fakeELF(t, elf.EM_AARCH64, elf.ET_EXEC, elf.PT_LOAD, 4096), 0o755}},
		[]file{
			{"main", fakeELF(t, elf.EM_X86_64, elf.ET_EXEC, elf.PT_LOAD, 4096), 0o755},
			{"scf_bootstrap", []byte(script), 0o755},
		}
}

func makeDist(t *testing.T, lambda, scf []file) string {
	t.Helper()
	dir := t.TempDir()
	if err := writeZip(filepath.Join(dir, LambdaZip), writeFiles(t, dir, lambda)); err != nil {
		t.Fatal(err)
	}
	if err := writeZip(filepath.Join(dir, SCFZip), writeFiles(t, dir, scf)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckAcceptsGoodZips(t *testing.T) {
	lambda, scf := good(t)
	dir := makeDist(t, lambda, scf)
	lines, err := checkDist(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Errorf("summary: %q", lines)
	}
	// The modes survive the round trip, and the zip is the same when made again.
	zr, err := zip.OpenReader(filepath.Join(dir, SCFZip))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Mode() != 0o755 || f.Modified.Year() != 2020 {
			t.Errorf("%s: mode %v, time %v", f.Name, f.Mode(), f.Modified)
		}
	}
	again := makeDist(t, lambda, scf)
	a, _ := os.ReadFile(filepath.Join(dir, SCFZip))
	b, _ := os.ReadFile(filepath.Join(again, SCFZip))
	if !bytes.Equal(a, b) {
		t.Error("the same files made a different zip")
	}
}

func TestCheckFindsProblems(t *testing.T) {
	for _, c := range []struct {
		name   string
		mutate func(lambda, scf []file) ([]file, []file)
		want   string
	}{
		{"not executable", func(l, s []file) ([]file, []file) { l[0].mode = 0o644; return l, s }, "mode"},
		{"wrong architecture", func(l, s []file) ([]file, []file) {
			l[0].data = fakeELF(t, elf.EM_X86_64, elf.ET_EXEC, elf.PT_LOAD, 4096)
			return l, s
		}, "built for EM_X86_64"},
		{"dynamic", func(l, s []file) ([]file, []file) {
			s[0].data = fakeELF(t, elf.EM_X86_64, elf.ET_EXEC, elf.PT_INTERP, 4096)
			return l, s
		}, "dynamically linked"},
		{"position-independent", func(l, s []file) ([]file, []file) {
			s[0].data = fakeELF(t, elf.EM_X86_64, elf.ET_DYN, elf.PT_LOAD, 4096)
			return l, s
		}, "ET_EXEC"},
		{"too big", func(l, s []file) ([]file, []file) {
			l[0].data = fakeELF(t, elf.EM_AARCH64, elf.ET_EXEC, elf.PT_LOAD, MaxBootstrap+1)
			return l, s
		}, "12 MiB"},
		{"extra file", func(l, s []file) ([]file, []file) {
			return append(l, file{"README", []byte("hi"), 0o644}), s
		}, "want exactly"},
		{"missing script", func(l, s []file) ([]file, []file) { return l, s[:1] }, "want exactly"},
		{"CRLF script", func(l, s []file) ([]file, []file) {
			s[1].data = []byte(strings.ReplaceAll(script, "\n", "\r\n"))
			return l, s
		}, "line feed"},
		{"script not executable", func(l, s []file) ([]file, []file) { s[1].mode = 0o644; return l, s }, "scf_bootstrap: mode"},
		{"not ELF", func(l, s []file) ([]file, []file) { s[0].data = []byte("#!/bin/sh\n"); return l, s }, "not an ELF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, s := good(t)
			l, s = c.mutate(l, s)
			_, err := checkDist(makeDist(t, l, s))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error about %q", err, c.want)
			}
		})
	}
}

func TestParseEntries(t *testing.T) {
	es, err := parseEntries([]string{"bootstrap=dist/lambda/bootstrap:0755", "scf_bootstrap=a:b/c:755", "README=x"})
	if err != nil {
		t.Fatal(err)
	}
	want := []entry{{"bootstrap", "dist/lambda/bootstrap", 0o755}, {"scf_bootstrap", "a:b/c", 0o755}, {"README", "x", 0o644}}
	for i := range want {
		if es[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, es[i], want[i])
		}
	}
	for _, bad := range [][]string{nil, {"noequals"}, {"=x"}, {"a=x:999"}, {"a=x:rwx"}} {
		if _, err := parseEntries(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
