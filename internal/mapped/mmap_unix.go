//go:build unix

package mapped

import (
	"os"
	"syscall"
)

// mmap maps f through its raw descriptor: File.Fd would also switch the
// file to blocking mode.
func mmap(f *os.File, size int) (data []byte, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	cerr := rc.Control(func(fd uintptr) {
		data, err = syscall.Mmap(int(fd), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	})
	if cerr != nil {
		return nil, cerr
	}
	return data, err
}

func munmap(b []byte) error { return syscall.Munmap(b) }
