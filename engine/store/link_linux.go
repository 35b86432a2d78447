package store

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"

	"github.com/sptflow/sptflow/regfile"
)

// reflink clones obj's blocks into a new file tmp (FICLONE), fsync'd and
// closed; file systems without shared extents (ext4, tmpfs) refuse.
func reflink(obj, tmp string) error {
	src, _, err := regfile.Open(obj, 0) // verified regular, but it may have been replaced since
	if err != nil {
		return err
	}
	defer src.Close()
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	err = unix.IoctlFileClone(int(f.Fd()), int(src.Fd()))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// reflinkUnsupported reports whether a reflink failed because the file
// systems cannot clone (not supported, or the object and the destination
// are on different file systems), rather than for this file.
func reflinkUnsupported(err error) bool {
	for _, e := range []error{unix.EOPNOTSUPP, unix.EXDEV, unix.EINVAL, unix.ENOTTY, unix.ENOSYS} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
