// Package mapped reads regular files through a read-only memory mapping,
// so that a reader that passes over a whole file (a digest, a parse) reads
// the page cache's own pages instead of the copy that read(2) would first
// make of them.
//
// A mapped file that shrinks while it is read faults (SIGBUS) on the pages
// past its new end. Guard turns such a fault into an error of the goroutine
// that ran into it, where the runtime would otherwise crash the process;
// every access to mapped bytes must happen inside Guard. Nothing else
// about a file that changes while it is mapped is detected here: callers
// compare its signature before and after, as they do for a read.
//
// Where mapping is not supported (not a Unix system, an empty file, a file
// system that refuses it), Open returns an error and callers read the file
// as before.
package mapped

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"unsafe"
)

// ErrUnsupported is Open's error when the file cannot be mapped here.
var ErrUnsupported = errors.New("mapping not supported")

// Map is a read-only mapping of the first bytes of a file.
type Map struct {
	data []byte
}

// Open maps the first size bytes of f read-only. The mapping stays valid
// after f is closed, until Close.
func Open(f *os.File, size int64) (*Map, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, ErrUnsupported
	}
	data, err := mmap(f, int(size))
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", f.Name(), err)
	}
	return &Map{data: data}, nil
}

// Bytes returns the mapped bytes: read them only inside Guard, and not
// after Close.
func (m *Map) Bytes() []byte { return m.data }

// Close unmaps the file.
func (m *Map) Close() error {
	if m.data == nil {
		return nil
	}
	err := munmap(m.data)
	m.data = nil
	return err
}

// holds reports whether addr is within the mapping.
func (m *Map) holds(addr uintptr) bool {
	if m == nil || len(m.data) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(m.data)))
	return addr >= start && addr-start < uintptr(len(m.data))
}

// FaultError is Guard's error when fn touched a mapped page that could not
// be read: the file shrank while it was read.
type FaultError struct {
	Offset int64 // in the file
}

func (e *FaultError) Error() string {
	return fmt.Sprintf("the file shrank while it was read (no byte at offset %d any more)", e.Offset)
}

// Guard runs fn, which reads the bytes of maps, and returns a *FaultError
// if it faulted on one of their pages. Any other panic, a fault elsewhere
// included, goes on. It must run in the goroutine that reads the mapped
// bytes: the runtime reports a fault to the goroutine that caused it.
func Guard(fn func(), maps ...*Map) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if err = faultIn(r, maps); err == nil {
				panic(r)
			}
		}
	}()
	fn()
	return nil
}

// faultIn returns the FaultError for the panic value r when it is a
// memory fault on one of maps' pages, else nil.
func faultIn(r any, maps []*Map) error {
	var fault interface{ Addr() uintptr }
	e, ok := r.(error)
	if !ok || !errors.As(e, &fault) {
		return nil
	}
	addr := fault.Addr()
	for _, m := range maps {
		if m.holds(addr) {
			start := uintptr(unsafe.Pointer(unsafe.SliceData(m.data)))
			return &FaultError{Offset: int64(addr - start)}
		}
	}
	return nil
}
