package store

import (
	"os"
	"syscall"
)

func sigOf(fi os.FileInfo) fileSig {
	sig := fileSig{Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		sig.Ino = st.Ino
		sig.Ctime = int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec) // int32 fields on 32-bit platforms
	}
	return sig
}
