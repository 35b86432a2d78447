package spt

import (
	"strings"
	"unicode"
	"unicode/utf8"
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

// Len returns the length of s in code points, as Python's len(str).
func Len(s string) int { return utf8.RuneCountInString(s) }

// Slice returns s[i:j] in code points, clamped like a Python slice with
// non-negative bounds (j < 0 means the end).
func Slice(s string, i, j int) string {
	if j < 0 {
		j = len(s) // at least the rune count
	}
	if i >= j {
		return ""
	}
	start, n := len(s), 0
	for bi := range s {
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
