package store

import (
	"os"
	"syscall"
)

func sigOf(fi os.FileInfo) fileSig {
	sig := fileSig{Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		sig.Ino = st.Ino
		sig.Ctime = st.Ctimespec.Sec*1e9 + st.Ctimespec.Nsec
	}
	return sig
}

// devOf returns the device of the file fi describes.
func devOf(fi os.FileInfo) (uint64, bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), true
	}
	return 0, false
}
