//go:build unix

package engine

import (
	"runtime"
	"runtime/debug"

	"golang.org/x/sys/unix"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/regfile"
)

// withMapped maps the input file f read-only and calls fn with its bytes
// (see WithInput). A file cut short while mapped makes reading past its new
// end fault (SIGBUS): the fault is turned into a panic on this goroutine
// (debug.SetPanicOnFault) and recovered as an error. A file whose stat
// signature changed by the end of fn is an error too.
func withMapped(f InputFile, fn func([]byte) error) (err error) {
	file, fi, err := regfile.Open(f.Abs, max(f.Size, 1))
	if err != nil {
		return readInputErr(f, err)
	}
	defer file.Close()
	if fi.Size() != f.Size {
		return errInputChanged(f)
	}
	if f.Size == 0 {
		return fn([]byte{})
	}
	data, err := unix.Mmap(int(file.Fd()), 0, int(f.Size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return withRead(f, fn) // a file system that cannot map files: read it
	}
	defer unix.Munmap(data)
	_ = unix.Madvise(data, unix.MADV_SEQUENTIAL)
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if re, ok := r.(runtime.Error); ok {
				if _, fault := re.(interface{ Addr() uintptr }); fault {
					err = errInputChanged(f)
					return
				}
			}
			panic(r)
		}
	}()
	if err := fn(data); err != nil {
		return err
	}
	if after, err := file.Stat(); err != nil || !store.SameSig(fi, after) {
		return errInputChanged(f)
	}
	return nil
}
