//go:build !linux

package analyze

// newReadBuffer returns an empty buffer of capacity size for the files'
// bytes (see the Linux version, which asks for huge pages).
func newReadBuffer(size int) []byte { return make([]byte, 0, size) }
