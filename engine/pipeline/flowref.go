package pipeline

import (
	"bytes"
	"regexp"
	"strings"
)

// YAML forbids "{" and "}" in plain scalars inside flow collections, so
// `foreach: {topic: ${topics}}` would be a syntax error. Before parsing,
// the braces of every `${name}` are replaced by two private-use runes of the
// same width (columns stay exact), and restored in every scalar afterwards.
const (
	openRef  = "\uE000"
	closeRef = "\uE001"
)

var refRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// protectRefs hides the braces of `${name}` references from the YAML
// parser. Files that already contain the private-use runes are left alone.
func protectRefs(b []byte) []byte {
	if bytes.Contains(b, []byte(openRef)) || bytes.Contains(b, []byte(closeRef)) {
		return b
	}
	return refRE.ReplaceAll(b, []byte("$$"+openRef+"${1}"+closeRef))
}

var restorer = strings.NewReplacer(openRef, "{", closeRef, "}")

// restoreRefs undoes protectRefs in a scalar's value.
func restoreRefs(s string) string {
	if !strings.Contains(s, openRef) && !strings.Contains(s, closeRef) {
		return s
	}
	return restorer.Replace(s)
}
