package pyjson

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/sptflow/sptflow/pyjson/scan"
)

// Options select the json.dumps flavour to reproduce.
type Options struct {
	// Indent > 0 is json.dumps(indent=Indent): newline and Indent spaces per
	// level, "," between items. Indent == 0 is the default compact form with
	// ", " and ": " separators (one line).
	Indent int
	// ASCII escapes every non-ASCII character as \uXXXX (ensure_ascii=True).
	// A lone surrogate (kept by Parse) is written as its \uXXXX escape in
	// both modes: Python writes it so with ensure_ascii=True, and with
	// ensure_ascii=False Python cannot write it to a UTF-8 file at all; the
	// escape is the only form that reads back as the same string.
	ASCII bool
}

// Common flavours.
var (
	// DataFile is how stages 1-3 write batch files (indent 2, UTF-8).
	DataFile = Options{Indent: 2}
	// Tagged is how the tagger and the analysis write (indent 2, ASCII).
	Tagged = Options{Indent: 2, ASCII: true}
	// Line is the compact one-line form of JSONL logs (UTF-8).
	Line = Options{}
	// LineASCII is the compact form with ASCII escaping (json.dumps default).
	LineASCII = Options{ASCII: true}
)

// Marshal encodes v. Besides the values Parse returns it accepts int, int64,
// float64 (written as Python's repr), []string, []*Object, map[string]any
// and map[string]int (keys sorted). There is no trailing newline, as with json.dump.
func Marshal(v any, opt Options) ([]byte, error) {
	e := encoder{opt: opt, buf: make([]byte, 0, 4096)}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// AppendMarshal is Marshal appending to buf.
func AppendMarshal(buf []byte, v any, opt Options) ([]byte, error) {
	e := encoder{opt: opt, buf: buf}
	err := e.value(v, 0)
	return e.buf, err
}

type encoder struct {
	opt Options
	buf []byte
	w   io.Writer // when set, buf is flushed to w between values (MarshalTo)
	err error     // the first error writing to w
}

// spaces is sliced for indentation.
const spaces = "                                                                " +
	"                                                                "

func (e *encoder) newline(depth int) {
	e.buf = append(e.buf, '\n')
	n := depth * e.opt.Indent
	for n > len(spaces) {
		e.buf = append(e.buf, spaces...)
		n -= len(spaces)
	}
	e.buf = append(e.buf, spaces[:n]...)
}

// reserve makes room for n more bytes, doubling the buffer (append grows
// large buffers by only 1.25x, which copies a big document many times).
func (e *encoder) reserve(n int) {
	if cap(e.buf)-len(e.buf) >= n {
		return
	}
	nb := make([]byte, len(e.buf), 2*cap(e.buf)+n)
	copy(nb, e.buf)
	e.buf = nb
}

func (e *encoder) sep(depth int) {
	if e.opt.Indent > 0 {
		e.buf = append(e.buf, ',')
		e.newline(depth)
	} else {
		e.buf = append(e.buf, ',', ' ')
	}
}

func (e *encoder) value(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case string:
		e.str(x)
	case Number:
		e.buf = append(e.buf, x...)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case float64:
		e.buf = append(e.buf, FormatFloat(x)...)
	case *Object:
		return e.object(x, depth)
	case []any:
		return encodeArray(e, x, depth)
	case []string:
		return encodeArray(e, x, depth)
	case []*Object:
		return encodeArray(e, x, depth)
	case map[string]any:
		return e.object(sortedObject(x), depth)
	case map[string]int:
		return e.object(sortedObject(x), depth)
	default:
		return fmt.Errorf("pyjson: cannot encode %T", v)
	}
	return nil
}

// sortedObject returns m as an object with its keys in sorted order (as
// json.dumps(sort_keys=True) writes a dict).
func sortedObject[V any](m map[string]V) *Object {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := NewObject(len(keys))
	for _, k := range keys {
		o.Set(k, m[k])
	}
	return o
}

func (e *encoder) object(o *Object, depth int) error {
	if o == nil {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if o.Len() == 0 {
		e.buf = append(e.buf, '{', '}')
		return nil
	}
	e.buf = append(e.buf, '{')
	if e.opt.Indent > 0 {
		e.newline(depth + 1)
	}
	for i, k := range o.keys {
		if i > 0 {
			e.sep(depth + 1)
		}
		e.str(k)
		e.buf = append(e.buf, ':', ' ')
		if err := e.value(o.vals[i], depth+1); err != nil {
			return err
		}
		if e.w != nil && len(e.buf) >= flushAt {
			if err := e.flush(); err != nil {
				return err
			}
		}
	}
	if e.opt.Indent > 0 {
		e.newline(depth)
	}
	e.buf = append(e.buf, '}')
	return nil
}

// encodeArray writes a as a JSON array (one instance per element type, so
// no per-element closure call).
func encodeArray[T any](e *encoder, a []T, depth int) error {
	if len(a) == 0 {
		e.buf = append(e.buf, '[', ']')
		return nil
	}
	e.buf = append(e.buf, '[')
	if e.opt.Indent > 0 {
		e.newline(depth + 1)
	}
	for i := range a {
		if i > 0 {
			e.sep(depth + 1)
		}
		if err := e.value(a[i], depth+1); err != nil {
			return err
		}
		if e.w != nil && len(e.buf) >= flushAt {
			if err := e.flush(); err != nil {
				return err
			}
		}
	}
	if e.opt.Indent > 0 {
		e.newline(depth)
	}
	e.buf = append(e.buf, ']')
	return nil
}

const hexDigits = "0123456789abcdef"

// plainByte marks the bytes written as themselves in every mode: printable
// ASCII but the quote and the backslash. DEL (0x7f) is written as itself
// only without ASCII escaping: json.dumps escapes everything outside
// ' '..'~' when ensure_ascii is set.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (e *encoder) str(s string) {
	e.reserve(len(s) + 2)
	e.buf = append(e.buf, '"')
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && plainByte[s[j]] {
			j++
		}
		e.buf = append(e.buf, s[i:j]...)
		if j == len(s) {
			break
		}
		if c := s[j]; c < utf8.RuneSelf {
			if c == 0x7f && !e.opt.ASCII {
				e.buf = append(e.buf, c)
			} else {
				e.escapeASCII(c)
			}
			i = j + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(s[j:])
		switch {
		case r == utf8.RuneError && size == 1:
			if sr := scan.Surrogate(s[j:]); sr != 0 {
				e.u4(sr) // a lone surrogate, escaped in both modes
				size = 3
			} else {
				e.escapeRune(r) // other invalid UTF-8 is written as U+FFFD
			}
		case !e.opt.ASCII:
			e.buf = append(e.buf, s[j:j+size]...)
		default:
			e.escapeRune(r)
		}
		i = j + size
	}
	e.buf = append(e.buf, '"')
}

func (e *encoder) escapeASCII(c byte) {
	switch c {
	case '"':
		e.buf = append(e.buf, '\\', '"')
	case '\\':
		e.buf = append(e.buf, '\\', '\\')
	case '\n':
		e.buf = append(e.buf, '\\', 'n')
	case '\r':
		e.buf = append(e.buf, '\\', 'r')
	case '\t':
		e.buf = append(e.buf, '\\', 't')
	case '\b':
		e.buf = append(e.buf, '\\', 'b')
	case '\f':
		e.buf = append(e.buf, '\\', 'f')
	default:
		e.u4(rune(c))
	}
}

// escapeRune writes a non-ASCII rune as \uXXXX (a surrogate pair above
// U+FFFF). Invalid UTF-8 has already become U+FFFD.
func (e *encoder) escapeRune(r rune) {
	if !e.opt.ASCII {
		e.buf = utf8.AppendRune(e.buf, r)
		return
	}
	if r > 0xFFFF {
		r -= 0x10000
		e.u4(0xD800 + (r>>10)&0x3FF)
		e.u4(0xDC00 + r&0x3FF)
		return
	}
	e.u4(r)
}

func (e *encoder) u4(r rune) { e.buf = appendU4(e.buf, r) }
