package pyjson

import (
	"strconv"
	"strings"
)

// PathError is an error about the value at a JSON path of a document,
// written "$.data[3].inferences["qwen/qwen3-32b"].B.P: <Err>". Readers
// build the path while the error returns through them (InField, InKey,
// InIndex), so the path costs nothing until something is wrong.
type PathError struct {
	segs []string // innermost first
	Err  error
}

// Path returns the JSONPath of the value, starting with "$".
func (e *PathError) Path() string {
	var b strings.Builder
	b.WriteByte('$')
	for i := len(e.segs) - 1; i >= 0; i-- {
		b.WriteString(e.segs[i])
	}
	return b.String()
}

// Error implements error.
func (e *PathError) Error() string { return e.Path() + ": " + e.Err.Error() }

// Unwrap returns the error about the value.
func (e *PathError) Unwrap() error { return e.Err }

// in adds an outer path segment to err: a *TypeError becomes a PathError,
// a *PathError grows. Other errors (syntax errors, which carry their
// offset, and a PathError wrapped in other text) are returned unchanged.
func in(err error, seg string) error {
	switch e := err.(type) {
	case *PathError:
		e.segs = append(e.segs, seg)
	case *TypeError:
		return &PathError{segs: []string{seg}, Err: e}
	}
	return err
}

// InField returns err (a *TypeError or *PathError) as an error about the
// member name of an object whose members are named by the format (".P");
// nil and other errors are returned unchanged.
func InField(err error, name string) error {
	if err == nil {
		return nil
	}
	return in(err, "."+name)
}

// InKey is InField for members named by the data (model names,
// intervention keys), written as a quoted key (["qwen/qwen3-32b"]).
func InKey(err error, key string) error {
	if err == nil {
		return nil
	}
	return in(err, "["+strconv.Quote(key)+"]")
}

// InIndex returns err as an error about element i of an array.
func InIndex(err error, i int) error {
	if err == nil {
		return nil
	}
	return in(err, "["+strconv.Itoa(i)+"]")
}

// TypeError is a value of the wrong JSON type.
type TypeError struct {
	Want string // "a string", "an object", "a string or null"
	Got  string // kind and a short excerpt of the value: "number 1"
}

// Error implements error.
func (e *TypeError) Error() string { return "want " + e.Want + ", got " + e.Got }

// maxExcerpt bounds the excerpt of a value in a TypeError.
const maxExcerpt = 40

// WrongType returns a TypeError for a decoded value (as Parse returns).
func WrongType(want string, got any) *TypeError {
	raw, err := Marshal(got, LineASCII)
	if err != nil {
		raw = []byte(TypeName(got))
	}
	return WrongTypeRaw(want, raw)
}

// WrongTypeRaw returns a TypeError for a value given as its JSON text (as
// a scanner returns it).
func WrongTypeRaw(want string, raw []byte) *TypeError {
	return &TypeError{Want: want, Got: Describe(raw)}
}

// Describe names the JSON type of the value raw and quotes its start:
// `number 1`, `string "abc"`, `object {"a": 1, ...}`, `null`.
func Describe(raw []byte) string {
	kind := "value"
	if len(raw) > 0 {
		switch c := raw[0]; {
		case c == '"':
			kind = "string"
		case c == '{':
			kind = "object"
		case c == '[':
			kind = "array"
		case c == 't' || c == 'f':
			kind = "boolean"
		case c == 'n':
			return "null"
		case c == '-' || c == 'N' || c == 'I' || c >= '0' && c <= '9':
			kind = "number"
		}
	}
	ex := string(raw)
	if kind == "object" || kind == "array" {
		ex = strings.Join(strings.Fields(ex), " ") // one line
	}
	if len(ex) > maxExcerpt {
		cut := maxExcerpt
		for cut > 0 && !utf8RuneStart(ex[cut]) {
			cut--
		}
		ex = ex[:cut] + "..."
	}
	return kind + " " + ex
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
