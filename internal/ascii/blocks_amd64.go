//go:build amd64 && !purego

package ascii

// asciiBlocks returns the offset of the first byte of b at or above 0x80
// within its whole 16-byte blocks, or the length of those blocks.
//
//go:noescape
func asciiBlocks(b []byte) int

// plainBlocks returns the offset of the first byte of b that is not plain
// (see Plain) within its whole 16-byte blocks, or the length of those
// blocks.
//
//go:noescape
func plainBlocks(b []byte) int
