// Package scantest helps test readers built on package scan.
package scantest

import "github.com/sptflow/sptflow/pyjson/scan"

// BlankStrings returns doc with the contents of every string that is not
// an object key (not followed by a ':') emptied, the quotes kept; the
// strings are found as the scanner finds them, from a quote to the next
// quote not escaped by an odd run of backslashes. A document that a strict
// scanner (scan.NewStrict) skipping it whole accepts is one whose blanked
// form Python's json.load (pyjson.Parse) accepts: the strict scanner
// checks everything but the contents of the strings it skips.
func BlankStrings(doc []byte) []byte {
	out := make([]byte, 0, len(doc))
	for i := 0; i < len(doc); {
		if doc[i] != '"' {
			out = append(out, doc[i])
			i++
			continue
		}
		end := scan.StringEnd(doc, i)
		if end == 0 {
			return append(out, doc[i:]...) // unterminated: left as it is
		}
		if k := end + spaceLen(doc[end:]); k < len(doc) && doc[k] == ':' {
			out = append(out, doc[i:end]...)
		} else {
			out = append(out, '"', '"')
		}
		i = end
	}
	return out
}

// spaceLen returns the length of the JSON white space at the start of b.
func spaceLen(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
