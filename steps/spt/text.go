package spt

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sptflow/sptflow/pyjson/scan"
)

// IsSpace reports whether r is whitespace for Python's str.isspace and
// str.strip: Go's unicode.IsSpace plus the information separators
// U+001C–U+001F.
func IsSpace(r rune) bool {
	if r >= 0x1C && r <= 0x1F {
		return true
	}
	return unicode.IsSpace(r)
}

// Strip removes leading and trailing whitespace as Python's str.strip()
// does.
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// Len returns the length of s in code points, as Python's len(str). A
// lone surrogate (kept by pyjson in its three WTF-8 bytes) counts as one.
func Len(s string) int {
	n := utf8.RuneCountInString(s)
	if strings.IndexByte(s, 0xED) < 0 {
		return n
	}
	for i := 0; i < len(s); i++ {
		if scan.Surrogate(s[i:]) != 0 {
			n -= 2 // counted as three invalid bytes
			i += 2
		}
	}
	return n
}

// CodePointLen returns the length in bytes of the code point at the start
// of s: a UTF-8 sequence, a lone surrogate's three bytes, or 1 for any
// other byte (0 for "").
func CodePointLen(s string) int {
	if s == "" {
		return 0
	}
	if s[0] < utf8.RuneSelf {
		return 1
	}
	if scan.Surrogate(s) != 0 {
		return 3
	}
	_, size := utf8.DecodeRuneInString(s)
	return size
}

// Slice returns s[i:j] in code points, clamped like a Python slice with
// non-negative bounds (j < 0 means the end).
func Slice(s string, i, j int) string {
	if j < 0 {
		j = len(s) // at least the code point count
	}
	if i >= j {
		return ""
	}
	start, n := len(s), 0
	for bi := 0; bi < len(s); bi += CodePointLen(s[bi:]) {
		if n == i {
			start = bi
		}
		if n == j {
			return s[start:bi]
		}
		n++
	}
	if i >= n {
		return ""
	}
	return s[start:]
}
