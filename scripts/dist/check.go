package main

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// The release zips and what they must hold.
const (
	LambdaZip = "kefu-lambda-arm64.zip"
	SCFZip    = "kefu-scf-amd64.zip"
	// MaxBootstrap is the largest Lambda bootstrap kefu ships (DESIGN.md, "Platforms").
	MaxBootstrap = 12 << 20
)

// checkDist checks both zips in dir and returns one summary line per file, and every problem
// found, joined.
func checkDist(dir string) ([]string, error) {
	var (
		lines []string
		errs  []error
	)
	for _, c := range []struct {
		zip   string
		check func(*zip.Reader) ([]string, error)
	}{
		{LambdaZip, checkLambda},
		{SCFZip, checkSCF},
	} {
		path := filepath.Join(dir, c.zip)
		zr, err := zip.OpenReader(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ls, err := c.check(&zr.Reader)
		zr.Close()
		for _, l := range ls {
			lines = append(lines, c.zip+": "+l)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.zip, err))
		}
	}
	return lines, errors.Join(errs...)
}

// checkLambda checks the Lambda zip: exactly bootstrap, executable, static linux/arm64, at
// most MaxBootstrap bytes.
func checkLambda(zr *zip.Reader) ([]string, error) {
	files, err := only(zr, "bootstrap")
	if err != nil {
		return nil, err
	}
	f := files["bootstrap"]
	line, err := checkExecutable(f, elf.EM_AARCH64)
	if err == nil && f.UncompressedSize64 > MaxBootstrap {
		err = fmt.Errorf("bootstrap: %d bytes, more than the %d (12 MiB) allowed", f.UncompressedSize64, MaxBootstrap)
	}
	return []string{line}, err
}

// checkSCF checks the SCF zip: exactly main, executable, static linux/amd64, and
// scf_bootstrap, an executable bash script with LF line endings that execs /var/user/main.
func checkSCF(zr *zip.Reader) ([]string, error) {
	files, err := only(zr, "main", "scf_bootstrap")
	if err != nil {
		return nil, err
	}
	line, mainErr := checkExecutable(files["main"], elf.EM_X86_64)
	line2, bootErr := checkBootstrapScript(files["scf_bootstrap"])
	return []string{line, line2}, errors.Join(mainErr, bootErr)
}

// only returns the zip's files by name, or an error unless it holds exactly names.
func only(zr *zip.Reader, names ...string) (map[string]*zip.File, error) {
	files := map[string]*zip.File{}
	var got []string
	for _, f := range zr.File {
		files[f.Name] = f
		got = append(got, f.Name)
	}
	slices.Sort(got)
	want := slices.Clone(names)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return nil, fmt.Errorf("holds %q, want exactly %q", got, want)
	}
	return files, nil
}

// checkMode checks that a file is a regular file with mode 0755.
func checkMode(f *zip.File) error {
	m := f.Mode()
	if !m.IsRegular() || m.Perm() != 0o755 {
		return fmt.Errorf("%s: mode %v, want -rwxr-xr-x", f.Name, m)
	}
	return nil
}

// checkExecutable checks that f is an executable, static Linux ELF for machine.
func checkExecutable(f *zip.File, machine elf.Machine) (string, error) {
	var errs []error
	if err := checkMode(f); err != nil {
		errs = append(errs, err)
	}
	b, err := read(f)
	if err != nil {
		return "", err
	}
	ef, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("%s: not an ELF executable: %w", f.Name, err)
	}
	defer ef.Close()
	if ef.Machine != machine || ef.Class != elf.ELFCLASS64 {
		errs = append(errs, fmt.Errorf("%s: built for %v (%v), want %v", f.Name, ef.Machine, ef.Class, machine))
	}
	if ef.OSABI != elf.ELFOSABI_NONE && ef.OSABI != elf.ELFOSABI_LINUX {
		errs = append(errs, fmt.Errorf("%s: OS ABI %v, want Linux", f.Name, ef.OSABI))
	}
	if ef.Type != elf.ET_EXEC {
		errs = append(errs, fmt.Errorf("%s: ELF type %v, want an executable (ET_EXEC)", f.Name, ef.Type))
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			errs = append(errs, fmt.Errorf("%s: dynamically linked (%v): build with CGO_ENABLED=0", f.Name, p.Type))
			break
		}
	}
	line := fmt.Sprintf("%s %v %s, %.1f MiB (%d bytes), zipped %.1f MiB", f.Name, f.Mode(), ef.Machine,
		float64(f.UncompressedSize64)/(1<<20), f.UncompressedSize64, float64(f.CompressedSize64)/(1<<20))
	return line, errors.Join(errs...)
}

// checkBootstrapScript checks SCF's start-up script.
func checkBootstrapScript(f *zip.File) (string, error) {
	var errs []error
	if err := checkMode(f); err != nil {
		errs = append(errs, err)
	}
	b, err := read(f)
	if err != nil {
		return "", err
	}
	s := string(b)
	if !strings.HasPrefix(s, "#!/bin/bash\n") {
		errs = append(errs, fmt.Errorf("%s: does not start with #!/bin/bash and a line feed", f.Name))
	}
	if strings.Contains(s, "\r") {
		errs = append(errs, fmt.Errorf("%s: has CR line endings; SCF wants LF", f.Name))
	}
	if !strings.Contains(s, "exec /var/user/main") {
		errs = append(errs, fmt.Errorf("%s: does not exec /var/user/main", f.Name))
	}
	return fmt.Sprintf("%s %v, %d bytes", f.Name, f.Mode(), len(b)), errors.Join(errs...)
}

// read reads a zip entry whole; the entries checked are at most a few tens of MiB.
func read(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 256<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	return b, nil
}
