// Package hugeheap backs the Go heap with transparent huge pages, for a faster cold start.
//
// A function's first push is answered by a process a few milliseconds old, and in microVMs
// such as the Firecracker ones under Lambda a page fault is expensive: on kefu's own test
// VM (Firecracker) a first touch of an anonymous 4 KiB page costs about 15 µs, while a 2 MiB huge page
// costs about 130 µs for all 512 of its small pages. The Go runtime no longer asks for huge
// pages itself (since Go 1.21.1), and the kernel's usual THP mode is "madvise", so the heap
// of a cold function is faulted in 4 KiB at a time: about 500 faults, a quarter of kefu's
// cold start.
//
// On Linux, importing the package for its side effect (import _ ".../internal/hugeheap"), as
// the function binaries do, runs Advise during package initialisation, as early as user code
// can run: the rest of the start-up then allocates into huge pages. It costs two system
// calls and at most 2 MiB of extra resident memory per 2 MiB region touched. Where the kernel
// has no transparent huge pages, or is older than Linux 6.1 (MADV_COLLAPSE), the calls fail
// or do nothing, and the heap is as before; that is not an error worth stopping for, so init ignores it.
package hugeheap
