package pipeline

import (
	"bytes"
	"strings"
	"sync"
)

// YAML forbids "{" and "}" in plain scalars inside flow collections, so
// `foreach: {topic: ${topics}}` would be a syntax error. Before parsing,
// the braces of every `${name}` are replaced by two private-use runes of the
// same width (columns stay exact), and restored in every scalar afterwards.
const (
	openRef  = "\uE000"
	closeRef = "\uE001"
)

// protectRefs hides the braces of `${name}` references (name an
// identifier: [A-Za-z_][A-Za-z0-9_]*) from the YAML parser. Files that
// already contain the private-use runes are left alone.
func protectRefs(b []byte) []byte {
	if bytes.Contains(b, []byte(openRef)) || bytes.Contains(b, []byte(closeRef)) {
		return b
	}
	var out []byte
	last := 0 // b[last:] is not copied to out yet
	for i := 0; i+1 < len(b); i++ {
		if b[i] != '$' || b[i+1] != '{' {
			continue
		}
		j := i + 2
		for j < len(b) && isWordByte(b[j]) {
			j++
		}
		if j == i+2 || j == len(b) || b[j] != '}' || !isIdentStart(b[i+2]) {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b)+64)
		}
		out = append(out, b[last:i+1]...) // up to and with the '$'
		out = append(out, openRef...)
		out = append(out, b[i+2:j]...)
		out = append(out, closeRef...)
		last, i = j+1, j
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

var restorer = sync.OnceValue(func() *strings.Replacer { return strings.NewReplacer(openRef, "{", closeRef, "}") })

// restoreRefs undoes protectRefs in a scalar's value.
func restoreRefs(s string) string {
	if !strings.Contains(s, openRef) && !strings.Contains(s, closeRef) {
		return s
	}
	return restorer().Replace(s)
}
