//go:build !linux && !darwin

package store

import "os"

// sigOf uses size and mtime only where inode and ctime are not portable.
func sigOf(fi os.FileInfo) fileSig {
	return fileSig{Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}
}

// devOf is not known where inode and ctime are not portable.
func devOf(os.FileInfo) (uint64, bool) { return 0, false }
