//go:build !unix

package engine

// withMapped reads the file whole where mapping it is not implemented.
func withMapped(f InputFile, fn func([]byte) error) error { return withRead(f, fn) }
