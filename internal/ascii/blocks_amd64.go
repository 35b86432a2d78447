//go:build amd64 && !purego

package ascii

// vectors: the block loops below read sixteen bytes at a time.
const vectors = true

// asciiBlocks returns Len(b) for b of at least 16 bytes.
//
//go:noescape
func asciiBlocks(b []byte) int

// plainBlocks returns PlainLen(b) for b of at least 16 bytes.
//
//go:noescape
func plainBlocks(b []byte) int
