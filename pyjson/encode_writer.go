package pyjson

import "io"

// flushAt is how much MarshalTo gathers before it writes.
const flushAt = 64 << 10

// MarshalTo encodes v to w, the same bytes as Marshal, without holding the
// whole encoding: it writes whenever about 64 KiB have gathered between two
// values (a single value longer than that, such as a long string, is
// written whole).
func MarshalTo(w io.Writer, v any, opt Options) error {
	e := encoder{opt: opt, buf: make([]byte, 0, 2*flushAt), w: w}
	if err := e.value(v, 0); err != nil {
		return err
	}
	return e.flush()
}

// flush writes the gathered bytes to w.
func (e *encoder) flush() error {
	if e.err != nil {
		return e.err
	}
	if len(e.buf) > 0 {
		if _, err := e.w.Write(e.buf); err != nil {
			e.err = err
			return err
		}
	}
	e.buf = e.buf[:0]
	return nil
}
