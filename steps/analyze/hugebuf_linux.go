//go:build linux

package analyze

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on x86-64 (and on arm64
// with 4 KiB pages); elsewhere the advice is merely not taken.
const hugePage = 2 << 20

// newHugeBuffer returns an empty buffer of capacity size (at least),
// backed by transparent huge pages where the kernel gives them to memory
// that asks (THP "madvise" or "always").
//
// The step's large buffers (the read buffers, the copies of items held for
// later) are written whole, and every page of them is faulted in on its
// first write: a fault costs ~9 µs on the VMs this runs on, and 4 KiB
// pages made them near a fifth of the step's CPU. The Go heap does not ask
// for huge pages, so a buffer of a huge page or more is aligned to them
// (the slack before it is never touched, so never faulted in) and advised
// MADV_HUGEPAGE: 4 MiB then take 2 faults, not 1,024. The advice only
// changes how the pages are backed; if it is refused the buffer is an
// ordinary one.
func newHugeBuffer(size int) []byte {
	if size < hugePage {
		return make([]byte, 0, size)
	}
	n := (size + hugePage - 1) &^ (hugePage - 1)
	raw := make([]byte, n+hugePage)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(raw)))
	off := int((p+hugePage-1)&^(hugePage-1) - p)
	b := raw[off : off+n : off+n]
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) // advice: an error leaves ordinary pages
	return b[:0]
}
