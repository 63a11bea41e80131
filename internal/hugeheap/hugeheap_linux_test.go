package hugeheap

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// mapping returns the smaps entry (its header and fields) of the mapping holding addr.
func mapping(t *testing.T, addr uintptr) map[string]string {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	var cur map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) > 0 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			if cur != nil {
				return cur
			}
			lo, hi, _ := strings.Cut(fields[0], "-")
			l, _ := strconv.ParseUint(lo, 16, 64)
			h, _ := strconv.ParseUint(hi, 16, 64)
			if uint64(addr) >= l && uint64(addr) < h {
				cur = map[string]string{"range": fields[0]}
			}
			continue
		}
		if cur != nil {
			if k, v, ok := strings.Cut(line, ":"); ok {
				cur[k] = strings.TrimSpace(v)
			}
		}
	}
	if cur == nil {
		t.Fatalf("no mapping holds %#x", addr)
	}
	return cur
}

func TestHeapMarkedForHugePages(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(mode), "[never]") {
		t.Skipf("no transparent huge pages here (%q, %v)", mode, err)
	}
	// init ran Advise at start; the heap may have grown into a new mapping since (the test
	// framework allocates), so advise again, then look at where a new allocation lands.
	var ae *AdviceError
	if err := Advise(); err != nil && (!errors.As(err, &ae) || ae.Advice != "MADV_COLLAPSE") {
		t.Fatal(err)
	}
	probe := make([]byte, syscall.Getpagesize())
	m := mapping(t, uintptr(unsafe.Pointer(unsafe.SliceData(probe))))
	if !strings.Contains(" "+m["VmFlags"]+" ", " hg ") {
		t.Fatalf("the heap mapping %s has VmFlags %q, without hg (MADV_HUGEPAGE)", m["range"], m["VmFlags"])
	}
	t.Logf("heap mapping %s: Rss %s, AnonHugePages %s", m["range"], m["Rss"], m["AnonHugePages"])
}
