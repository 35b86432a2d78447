package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sptflow/sptflow/engine/store"
)

// FileWriter is an output file written incrementally (see CreateFile).
// Write and WriteString append; Close seals the file into the output, after
// which it is part of the partition as if written with WriteFile; Abort
// drops what was written (after Close it does nothing, so `defer w.Abort()`
// is the way to clean up on an error path). A FileWriter is not safe for
// concurrent use; several may be open at once.
type FileWriter interface {
	io.Writer
	io.StringWriter
	Close() error
	Abort()
}

// StreamOutput is an Output that takes files incrementally. The engine's
// Output is one: a created file goes into the store as it is written
// (hashed on the way, into a temp file renamed into place when closed, as
// durable and content-addressed as WriteFile), so a step never holds a
// whole output file in memory.
type StreamOutput interface {
	Output
	// Create starts the file at rel (the same rules as WriteFile).
	Create(rel string) (FileWriter, error)
}

// CreateFile starts an output file on out: streamed when out is a
// StreamOutput, else gathered in memory and written with WriteFile on
// Close (test and benchmark outputs).
func CreateFile(out Output, rel string) (FileWriter, error) {
	if so, ok := out.(StreamOutput); ok {
		return so.Create(rel)
	}
	return &bufferedFile{out: out, rel: rel}, nil
}

// bufferedFile is a FileWriter over an Output that has no Create.
type bufferedFile struct {
	out  Output
	rel  string
	buf  bytes.Buffer
	done bool
}

func (b *bufferedFile) Write(p []byte) (int, error) {
	if b.done {
		return 0, errClosed(b.rel)
	}
	return b.buf.Write(p)
}

func (b *bufferedFile) WriteString(s string) (int, error) {
	if b.done {
		return 0, errClosed(b.rel)
	}
	return b.buf.WriteString(s)
}

func (b *bufferedFile) Close() error {
	if b.done {
		return errClosed(b.rel)
	}
	b.done = true
	return b.out.WriteFile(b.rel, b.buf.Bytes())
}

func (b *bufferedFile) Abort() { b.done = true }

func errClosed(rel string) error {
	return fmt.Errorf("write %s: %w", rel, errors.New("file already closed or aborted"))
}

var _ StreamOutput = (*storeOutput)(nil)

// Create implements StreamOutput: the file is written into the store as it
// comes and added to the partition's output when closed.
func (o *storeOutput) Create(rel string) (FileWriter, error) {
	c, err := checkRel(rel)
	if err != nil {
		return nil, err
	}
	if !within(c, o.claims) {
		return nil, fmt.Errorf("write %s: outside the outputs the partition declares (%s)", c, strings.Join(o.claims, ", "))
	}
	ow, err := o.st.CreateObject()
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", rel, err)
	}
	return &storeFile{o: o, path: c, ow: ow}, nil
}

// storeFile is a FileWriter into the store.
type storeFile struct {
	o    *storeOutput
	path string
	ow   *store.ObjectWriter
}

func (f *storeFile) Write(p []byte) (int, error) {
	n, err := f.ow.Write(p)
	if err != nil {
		err = fmt.Errorf("write %s: %w", f.path, err)
	}
	return n, err
}

func (f *storeFile) WriteString(s string) (int, error) {
	n, err := f.ow.WriteString(s)
	if err != nil {
		err = fmt.Errorf("write %s: %w", f.path, err)
	}
	return n, err
}

func (f *storeFile) Close() error {
	d, n, err := f.ow.Commit()
	if err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	f.o.put(store.ManifestFile{Path: f.path, Digest: d, Size: n})
	return nil
}

func (f *storeFile) Abort() { f.ow.Abort() }
