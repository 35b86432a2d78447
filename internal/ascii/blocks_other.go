//go:build !amd64 || purego

package ascii

// Without the vector loops every byte is read a word at a time.
const vectors = false

func asciiBlocks(b []byte) int { return 0 }

func plainBlocks(b []byte) int { return 0 }
