// Package pyjson reads and writes JSON the way the original SPT pipeline's
// Python code does: objects keep their key order, numbers and strings come
// back as json.dumps(json.load(f)) writes them (Python-written numbers keep
// their tokens, 1e999 becomes Infinity, lone surrogate escapes are kept),
// and the encoder reproduces json.dumps byte for byte (indent 2 or compact
// separators, with or without ASCII escaping).
//
// Values are plain Go values: *Object, []any, string, Number, bool and nil.
package pyjson

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// Object is a JSON object that keeps its keys in insertion order. The zero
// value is an empty object ready to use. Not safe for concurrent mutation.
type Object struct {
	keys  []string
	vals  []any
	index map[string]int // built lazily once the object is large
}

// indexThreshold is the size from which lookups build a map; below it a
// linear scan of the keys is faster than hashing and allocates nothing.
const indexThreshold = 32

// NewObject returns an empty object with room for n keys.
func NewObject(n int) *Object {
	return &Object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// Len returns the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// Keys returns the keys in order. The slice must not be modified.
func (o *Object) Keys() []string { return o.keys }

// At returns the i-th key and value.
func (o *Object) At(i int) (string, any) { return o.keys[i], o.vals[i] }

func (o *Object) find(k string) int {
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i, key := range o.keys {
		if key == k {
			return i
		}
	}
	if len(o.keys) >= indexThreshold {
		o.buildIndex()
	}
	return -1
}

func (o *Object) buildIndex() {
	o.index = make(map[string]int, len(o.keys))
	for i, key := range o.keys {
		o.index[key] = i
	}
}

// Get returns the value at k.
func (o *Object) Get(k string) (any, bool) {
	if i := o.find(k); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// Has reports whether k is present (even with a null value).
func (o *Object) Has(k string) bool { return o.find(k) >= 0 }

// Set replaces the value at k in place, or appends k at the end.
func (o *Object) Set(k string, v any) {
	if i := o.find(k); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	if o.index != nil {
		o.index[k] = len(o.keys) - 1
	}
}

// Delete removes k, keeping the order of the other keys.
func (o *Object) Delete(k string) {
	i := o.find(k)
	if i < 0 {
		return
	}
	o.keys = append(o.keys[:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i], o.vals[i+1:]...)
	if o.index != nil {
		o.buildIndex()
	}
}

// Str returns the string at k; ok is false if absent or not a string.
func (o *Object) Str(k string) (s string, ok bool) {
	v, _ := o.Get(k)
	s, ok = v.(string)
	return s, ok
}

// Obj returns the object at k, or nil.
func (o *Object) Obj(k string) *Object {
	v, _ := o.Get(k)
	m, _ := v.(*Object)
	return m
}

// Arr returns the array at k, or nil.
func (o *Object) Arr(k string) []any {
	v, _ := o.Get(k)
	a, _ := v.([]any)
	return a
}

// Num returns the number at k; ok is false if absent or not a number.
func (o *Object) Num(k string) (n Number, ok bool) {
	v, _ := o.Get(k)
	n, ok = v.(Number)
	return n, ok
}

// Clone returns a shallow copy of o.
func (o *Object) Clone() *Object {
	c := &Object{keys: append([]string(nil), o.keys...), vals: append([]any(nil), o.vals...)}
	return c
}

// Number is a JSON number kept as a token: Parse gives the token Python's
// json.dumps writes back for it (see NumberOf), so values read from a file
// are written back as the original pipeline writes them.
type Number string

// Int returns a Number for an integer.
func Int(i int64) Number { return Number(strconv.FormatInt(i, 10)) }

// Float returns a Number written as Python's repr(float) writes it:
// shortest round-trip digits, "1.0" for integral values, "1e-05" and
// "1e+16" outside [1e-4, 1e16). NaN and infinities become Python's
// NaN/Infinity tokens.
func Float(f float64) Number { return Number(FormatFloat(f)) }

// Int64 returns the number as an integer; ok is false for non-integers.
func (n Number) Int64() (int64, bool) {
	if i, ok := n.smallInt(); ok {
		return i, true
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false // a fraction, NaN, an infinity, or out of range
	}
	return int64(f), true
}

// Float64 returns the number as a float.
func (n Number) Float64() float64 {
	if i, ok := n.smallInt(); ok {
		return float64(i)
	}
	f, _ := strconv.ParseFloat(string(n), 64)
	return f
}

// smallInt parses a token of at most 15 digits (with an optional minus) without
// strconv: stage data is mostly small integers.
func (n Number) smallInt() (int64, bool) {
	s := string(n)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 15 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// IsInt reports whether the token is written as an integer (no fraction or
// exponent, not NaN or an infinity), as Python's json module decodes it to
// int.
func (n Number) IsInt() bool { return !strings.ContainsAny(string(n), ".eENI") }

// FormatFloat formats f as Python's repr(float).
func FormatFloat(f float64) string {
	var b [32]byte
	return string(AppendFloat(b[:0], f))
}

// AppendFloat appends f as Python's repr(float) writes it.
func AppendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // d.ddde±XX
	at := bytes.IndexByte(e, 'e')
	exp := 0
	for _, c := range e[at+2:] {
		exp = exp*10 + int(c-'0')
	}
	if e[at+1] == '-' {
		exp = -exp
	}
	if exp < -4 || exp >= 16 {
		return append(dst, e...) // Go writes at least two exponent digits, as Python
	}
	return appendFixed(dst, e[:at], exp)
}

// appendFixed appends in fixed notation, with at least one digit after the
// point, the number whose shortest digits m ("[-]d[.ddd]", strconv's 'e'
// form without its exponent) has exponent exp (-4 <= exp < 16): what
// strconv's 'f' form with the shortest digits writes, without formatting
// the float a second time.
func appendFixed(dst, m []byte, exp int) []byte {
	if m[0] == '-' {
		dst = append(dst, '-')
		m = m[1:]
	}
	var digits [24]byte
	d := append(digits[:0], m[0])
	if len(m) > 2 { // d.ddd
		d = append(d, m[2:]...)
	}
	if exp < 0 { // 0.000ddd
		dst = append(dst, '0', '.')
		dst = append(dst, "0000"[:-exp-1]...)
		return append(dst, d...)
	}
	if len(d) <= exp+1 { // dddd000.0
		dst = append(dst, d...)
		dst = append(dst, "000000000000000"[:exp+1-len(d)]...)
		return append(dst, '.', '0')
	}
	dst = append(dst, d[:exp+1]...)
	dst = append(dst, '.')
	return append(dst, d[exp+1:]...)
}
