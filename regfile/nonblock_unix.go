//go:build unix

package regfile

import "syscall"

// oNonblock makes an open of a FIFO that replaced a checked path return at
// once instead of waiting for a writer; it changes nothing for regular files.
const oNonblock = syscall.O_NONBLOCK
