package analyze

import (
	"sync"

	"github.com/sptflow/sptflow/pyjson"
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
