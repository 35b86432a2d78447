//go:build !unix

package store

import (
	"errors"
	"os"
)

// Leases and the lock-file lock need flock, which this platform lacks.
var errNoFlock = errors.New("file locks (flock) are not supported on this platform")

func tryLock(*os.File) (bool, error)       { return false, errNoFlock }
func tryLockShared(*os.File) (bool, error) { return false, errNoFlock }
func lockWait(*os.File) error              { return errNoFlock }
func unlock(*os.File) error                { return errNoFlock }
