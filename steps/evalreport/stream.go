package evalreport

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/internal/mapped"
	"github.com/sptflow/sptflow/regfile"
)

// windowSize is the window a worker streams a result file through: small
// enough to stay in the CPU's cache between the kernel's copy and the
// parser's pass, so memory stays flat however large the files grow. A
// value longer than half the window doubles it.
const windowSize = 256 << 10

// worker reads and parses result files one at a time, reusing its buffers.
type worker struct {
	window []byte
	p      fastParser // kept: its key memo carries over from file to file
	whole  fileReader // for the files the fast path leaves to the scanner
}

// loadObserved is load, unless the engine handed the file to observeRun
// when it digested it: then its result, and the file is not read again.
func (w *worker) loadObserved(in engine.InputFile) (*Run, error) {
	if v, ok := in.Observed(); ok {
		if o, ok := v.(observedRun); ok {
			return o.run, o.err
		}
	}
	return w.load(in)
}

// load reads and parses one result file: streamed by the fast path, or,
// when that gives up, read whole and parsed by the scanner, with the
// errors of engine.ReadInput and ParseRun.
func (w *worker) load(in engine.InputFile) (*Run, error) {
	name := path.Base(in.Rel)
	r, ok, err := w.stream(in, name)
	if err != nil {
		return nil, fmt.Errorf("result file: %w", err)
	}
	if ok {
		return r, nil
	}
	data, err := w.whole.read(in)
	if err != nil {
		return nil, fmt.Errorf("result file: %w", err)
	}
	if r, err = parseScan(name, data); err != nil {
		return nil, fmt.Errorf("parse result file %s: %w", in.Abs, err)
	}
	return r, nil
}

// stream parses the file by the fast path, reading it to its end (a file
// that grew since it was matched is refused, as engine.ReadInput does);
// ok is false when the scanner must decide.
func (w *worker) stream(in engine.InputFile, name string) (r *Run, ok bool, err error) {
	limit := max(in.Size, 1)
	f, fi, err := regfile.Open(in.Abs, limit)
	if err != nil {
		return nil, false, inputError(in, err)
	}
	defer f.Close()
	if fi.Size() >= windowSize {
		if m, err := mapped.Open(f, fi.Size()); err == nil {
			defer m.Close()
			return w.parseMapped(m, f, in, name)
		}
	}
	if w.window == nil {
		w.window = make([]byte, windowSize)
	}
	src := &source{f: f, path: in.Abs, limit: limit, buf: w.window}
	w.p.b, w.p.i, w.p.src = nil, 0, src
	r, ok = w.p.run(name) // reads to the end of the file when it takes it
	w.window, w.p.b, w.p.src = src.buf, nil, nil
	if src.err != nil {
		return nil, false, inputError(in, src.err)
	}
	return r, ok, nil
}

// parseMapped parses the file f, mapped as m (internal/mapped), whole: the
// parser reads the page cache's pages in place, where streaming has the
// kernel copy them into the window first (about a fifth of the parse's
// CPU time). A file that shrank while it was read faults on the pages it
// lost; one whose size changed is refused as having changed, as it would
// no longer be the file the engine digested (and grown past its matched
// size, as streaming refuses it).
func (w *worker) parseMapped(m *mapped.Map, f *os.File, in engine.InputFile, name string) (r *Run, ok bool, err error) {
	w.p.b, w.p.i, w.p.src = m.Bytes(), 0, nil
	fault := mapped.Guard(func() { r, ok = w.p.run(name) }, m)
	w.p.b = nil
	if fault != nil {
		return nil, false, inputError(in, &fs.PathError{Op: "read", Path: in.Abs, Err: fault})
	}
	after, err := f.Stat()
	switch {
	case err != nil:
		return nil, false, inputError(in, err)
	case after.Size() > max(in.Size, 1):
		return nil, false, inputError(in, &fs.PathError{Op: "read", Path: in.Abs, Err: &regfile.TooLargeError{Size: after.Size(), Max: max(in.Size, 1)}})
	case after.Size() != int64(len(m.Bytes())):
		return nil, false, fmt.Errorf("read input %s: it changed while it was read (%d bytes, then %d); run again", in.Abs, len(m.Bytes()), after.Size())
	}
	return r, ok, nil
}

// source reads a file into a window for the fast parser, refusing more
// than limit bytes as regfile.Read does.
type source struct {
	f     *os.File
	path  string
	limit int64
	n     int64 // bytes read
	got   int   // bytes the last call of more read
	done  bool  // at the end of the file, or failed
	err   error // as regfile.Read reports it
	buf   []byte
}

// more moves b[i:] (the bytes the parser still needs) to the front of the
// buffer, reads after them and returns the new window and cursor. At the
// end of the file it changes nothing.
func (s *source) more(b []byte, i int) ([]byte, int) {
	s.got = 0
	if s.done {
		return b, i
	}
	keep := copy(s.buf, b[i:])
	if keep > len(s.buf)/2 {
		buf := make([]byte, 2*len(s.buf))
		copy(buf, s.buf[:keep])
		s.buf = buf
	}
	s.got = s.read(s.buf[keep:])
	return s.buf[:keep+s.got], 0
}

// read reads into b: at least one byte unless at the end or failed.
func (s *source) read(b []byte) int {
	if rest := s.limit + 1 - s.n; int64(len(b)) > rest {
		b = b[:rest] // one byte past the limit tells a file that grew
	}
	for {
		m, err := s.f.Read(b)
		s.n += int64(m)
		switch {
		case s.n > s.limit:
			s.done, s.err = true, &fs.PathError{Op: "read", Path: s.path, Err: &regfile.TooLargeError{Size: s.n, Max: s.limit}}
			return 0
		case err == io.EOF:
			s.done = true
			return m
		case err != nil:
			s.done, s.err = true, &fs.PathError{Op: "read", Path: s.path, Err: err}
			return 0
		case m > 0:
			return m
		}
	}
}
