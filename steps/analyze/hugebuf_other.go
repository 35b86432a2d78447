//go:build !linux

package analyze

// hugePage is the size of the chunks newHugeBuffer is meant for.
const hugePage = 2 << 20

// newHugeBuffer returns an empty buffer of capacity size (see the Linux
// version, which asks for huge pages).
func newHugeBuffer(size int) []byte { return make([]byte, 0, size) }
