package analyze

import (
	"github.com/sptflow/sptflow/pyjson/scan"
)

// The batch files are read with pyjson/scan: the analysis visits the keys
// it needs and skips everything else, which is what makes the fan-in over
// hundreds of megabytes of tagged data fast and small. Long strings are
// kept as raw tokens and decoded only when used; short scalars are decoded
// and boxed once per worker (localIntern).

// scalar decodes the next value as pyjson.Parse would (see
// localIntern.scalar), with a cache of its own.
func scalar(s *scan.Scanner) (any, error) {
	var l localIntern
	return l.scalar(s)
}

// text decodes a raw string token, or returns "" when absent (nil) or
// invalid.
func text(raw []byte) string {
	if raw == nil {
		return ""
	}
	t, err := scan.Unquote(raw)
	if err != nil {
		return ""
	}
	return t
}
