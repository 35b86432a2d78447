//go:build linux

package hugebuf

import (
	"syscall"
	"unsafe"
)

// Make returns an empty buffer of capacity size or more. A buffer of a
// huge page or more is rounded up to whole huge pages, aligned to them
// (the slack before it is never written, so never faulted in) and advised
// MADV_HUGEPAGE; a smaller one is a plain allocation.
func Make(size int) []byte {
	if size < PageSize {
		return make([]byte, 0, size)
	}
	n := (size + PageSize - 1) &^ (PageSize - 1)
	raw := make([]byte, n+PageSize)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(raw)))
	off := int((p+PageSize-1)&^(PageSize-1) - p)
	b := raw[off : off+n : off+n]
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) // advice: an error leaves ordinary pages
	return b[:0]
}
