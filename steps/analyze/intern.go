package analyze

import (
	"encoding/binary"
	"sync"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
)

// The analysis reads a few scalars of every intervention record (verdict,
// type, confidence, difficulties, focus, token count). They repeat: a
// handful of verdicts and types, small numbers. Boxing each occurrence in
// an `any` would allocate a copy per record (and the aggregates, the
// batch and example entries, keep some), so short values are boxed once
// per process and shared.

const (
	internMaxLen     = 64   // longer values are not shared
	internMaxEntries = 4096 // per table; values beyond are boxed as before
)

// internTable shares boxed values by their text.
type internTable struct {
	mu sync.Mutex
	m  map[string]any
}

var internedStrs, internedNums = internTable{m: map[string]any{}}, internTable{m: map[string]any{}}

// get returns the shared box for text, made by mk on first use.
func (t *internTable) get(text string, mk func() any) any {
	if len(text) > internMaxLen {
		return mk()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.m[text]; ok {
		return v
	}
	v := mk()
	if len(t.m) < internMaxEntries {
		t.m[text] = v
	}
	return v
}

// internStr boxes a decoded string once.
func internStr(s string) any {
	return internedStrs.get(s, func() any { return s })
}

// internNumber boxes a number token once, as pyjson.NumberOf.
func internNumber(tok []byte) any {
	return internedNums.get(string(tok), func() any { return pyjson.NumberOf(tok) })
}

// localIntern is one worker's cache in front of the shared tables: it maps
// a value's raw token to its box without locking or allocating, so a value
// seen before in this worker costs one map lookup on the token's bytes.
type localIntern struct {
	slots [256]internSlot   // the last string or number token seen of each hash: no map lookup
	strs  map[string]any    // raw string token (quotes included) -> boxed decoded string
	nums  map[string]any    // number token -> boxed pyjson.Number
	keys  map[string]string // object key -> the same string, shared
	// The last key seen of each hash (of those in keys): no map lookup.
	keySlots [64]string
}

// scalar decodes the next value as pyjson.Parse would: a string,
// pyjson.Number (as Python writes it back), bool or nil; containers, which the
// fields read here rarely hold, are parsed into a pyjson tree.
func (l *localIntern) scalar(s *scan.Scanner) (any, error) {
	switch c := s.Peek(); {
	case c == '"':
		return l.boxedStr(s)
	case c == '-' || c == 'N' || c == 'I' || (c >= '0' && c <= '9'):
		tok, err := s.Number()
		if err != nil {
			return pyjson.NumberOf(tok), err
		}
		slot := &l.slots[slotOf(tok)]
		if slot.tok == string(tok) {
			return slot.v, nil
		}
		v, ok := l.nums[string(tok)]
		if !ok {
			v = internNumber(tok)
			l.nums = remember(l.nums, tok, v)
		}
		if len(tok) <= internMaxLen {
			slot.tok, slot.v = string(tok), v
		}
		return v, nil
	case c == 't' || c == 'f' || c == 'n':
		return s.Literal()
	}
	raw, err := s.Skip()
	if err != nil {
		return nil, err
	}
	return pyjson.Parse(raw)
}

// boxedStr reads a string (the cursor is at its quote) as Scanner.Str
// does, boxed once.
func (l *localIntern) boxedStr(s *scan.Scanner) (any, error) {
	start := s.Offset()
	raw, err := s.RawString()
	if err != nil {
		return nil, err
	}
	slot := &l.slots[slotOf(raw)]
	if slot.tok == string(raw) {
		return slot.v, nil
	}
	v, ok := l.strs[string(raw)]
	if !ok {
		t, err := scan.Unquote(raw)
		if err != nil {
			return nil, scan.ErrorAt(start, err)
		}
		v = internStr(t)
		l.strs = remember(l.strs, raw, v)
	}
	if len(raw) <= internMaxLen+2 {
		slot.tok, slot.v = string(raw), v
	}
	return v, nil
}

// internSlot is a string token (quotes included) or a number token, and
// its box.
type internSlot struct {
	tok string
	v   any
}

// slotOf hashes a token (a string's, quotes included, or a number's) to a slot index
// from its length and its first and last 8 bytes.
func slotOf(tok []byte) int {
	n := len(tok)
	var x uint64
	if n >= 8 {
		x = binary.LittleEndian.Uint64(tok) ^ binary.LittleEndian.Uint64(tok[n-8:])<<7
	} else {
		for _, c := range tok {
			x = x<<8 | uint64(c)
		}
	}
	return int(((x ^ uint64(n)) * 0x9E3779B97F4A7C15) >> 56)
}

// str reads a string (the cursor is at its quote) as Scanner.Str does,
// shared.
func (l *localIntern) str(s *scan.Scanner) (string, error) {
	v, err := l.boxedStr(s)
	t, _ := v.(string)
	return t, err
}

// key returns an object key as a string, shared.
func (l *localIntern) key(k []byte) string {
	slot := &l.keySlots[slotOf(k)%len(l.keySlots)]
	if *slot == string(k) {
		return *slot
	}
	if v, ok := l.keys[string(k)]; ok {
		*slot = v
		return v
	}
	v := string(k)
	if len(k) <= internMaxLen && len(l.keys) < internMaxEntries {
		if l.keys == nil {
			l.keys = map[string]string{}
		}
		l.keys[v] = v
	}
	return v
}

// remember adds tok -> v to m (made on first use) unless tok is too long
// to share or m is full.
func remember(m map[string]any, tok []byte, v any) map[string]any {
	if len(tok) > internMaxLen+2 || len(m) >= internMaxEntries {
		return m
	}
	if m == nil {
		m = map[string]any{}
	}
	m[string(tok)] = v
	return m
}
