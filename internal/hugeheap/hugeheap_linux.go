package hugeheap

import (
	"syscall"
	"unsafe"
)

const (
	madvHugepage = 14 // MADV_HUGEPAGE
	madvCollapse = 25 // MADV_COLLAPSE, Linux 6.1

	// hugePage is the size of a PMD-mapped transparent huge page with 4 KiB base pages
	// (x86-64 and arm64 as Lambda and SCF run them).
	hugePage = 2 << 20
	// arenaSize is the unit in which the Go runtime reserves heap address space on 64-bit
	// Linux (runtime.heapArenaBytes); arenas are aligned to it. Since Go 1.26 the heap starts
	// at a random 4 MiB chunk of its first arena and may run on into the next one.
	arenaSize = 64 << 20
)

func init() { _ = Advise() }

// Advise marks the heap mapped so far, around a fresh allocation, as eligible for huge pages
// (MADV_HUGEPAGE), so that every 2 MiB region of it the heap grows into is faulted in at once,
// and collapses the 2 MiB region that allocation sits in (MADV_COLLAPSE), already partly
// faulted in by the runtime's own start-up, into one huge page. It returns the first error
// of the two calls; both are only advice, and the heap works the same without them.
func Advise() error {
	// A heap allocation of a size the compiler cannot know: the runtime places it in the
	// heap arena in use, at the low end that start-up is filling.
	probe := make([]byte, syscall.Getpagesize())
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(probe)))
	if err := madvise(addr&^(arenaSize-1), 2*arenaSize, madvHugepage); err != 0 {
		return &AdviceError{Advice: "MADV_HUGEPAGE", Err: err}
	}
	if err := madvise(addr&^(hugePage-1), hugePage, madvCollapse); err != 0 {
		return &AdviceError{Advice: "MADV_COLLAPSE", Err: err}
	}
	return nil
}

// AdviceError is a madvise call the kernel refused. (The package avoids fmt so that its init
// depends on syscall alone and runs early.)
type AdviceError struct {
	Advice string // MADV_HUGEPAGE or MADV_COLLAPSE
	Err    syscall.Errno
}

func (e *AdviceError) Error() string { return "hugeheap: " + e.Advice + ": " + e.Err.Error() }

// Unwrap returns the errno, for errors.Is(err, syscall.EINVAL) and the like.
func (e *AdviceError) Unwrap() error { return e.Err }

func madvise(addr, n uintptr, advice int) syscall.Errno {
	// The arenas hold PROT_NONE reservations and unmapped gaps as well as the heap: the
	// kernel applies the advice to every mapping in the range and reports ENOMEM for the gaps.
	// (Memory the runtime maps later is a new mapping, without the advice: the heap of a warm
	// process grows in 4 KiB pages as before.)
	_, _, e := syscall.Syscall(syscall.SYS_MADVISE, addr, n, uintptr(advice))
	if e == syscall.ENOMEM {
		return 0
	}
	return e
}
