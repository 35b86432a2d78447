package evalreport

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/regfile"
)

// fileReader reads matched input files into one buffer that it reuses. A
// fresh buffer per file (engine.ReadInput) costs more than the read itself:
// the kernel zero-fills every new page and the collector scans and frees
// hundreds of megabytes; with one buffer per worker the memory is touched
// once and a read is a copy from the page cache.
type fileReader struct {
	buf []byte
	max int64 // the largest file to be read: the buffer never grows past it
}

// read is engine.ReadInput into r's buffer, with the same checks and error
// messages: a regular file of at most the size it was matched with. The
// bytes are valid until the next read.
func (r *fileReader) read(in engine.InputFile) ([]byte, error) {
	data, err := r.readFile(in.Abs, max(in.Size, 1))
	if err != nil {
		return nil, inputError(in, err)
	}
	return data, nil
}

// inputError words an error of regfile.Open or regfile.Read on the input
// file in as engine.ReadInput does.
func inputError(in engine.InputFile, err error) error {
	var tl *regfile.TooLargeError
	if errors.As(err, &tl) {
		return fmt.Errorf("read input %s: it grew since it was matched (%d bytes then); run again", in.Abs, in.Size)
	}
	return fmt.Errorf("read input: %w", err)
}

// readFile is regfile.Read(path, limit) into r's buffer: one byte more
// than limit is asked for, so a file that grew is refused as too large.
func (r *fileReader) readFile(path string, limit int64) ([]byte, error) {
	f, _, err := regfile.Open(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if int64(cap(r.buf)) < limit+1 {
		// Grow geometrically (files come in name order, not by size), up
		// to the largest file.
		r.buf = make([]byte, max(limit, min(2*int64(cap(r.buf)), r.max))+1)
	}
	buf := r.buf[:limit+1]
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
	}
	if int64(n) > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: &regfile.TooLargeError{Size: int64(n), Max: limit}}
	}
	return buf[:n], nil
}
