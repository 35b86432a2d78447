package spt

import (
	"fmt"
	"strings"
)

// KeySep separates the intervention type from its version in a storage key.
const KeySep = "__"

// InterventionKey is a parsed intervention storage key
// "<type>__<version>", e.g. {split_personality, version_4}.
type InterventionKey struct {
	Type    string // "split_personality", "honesty_scare"
	Version string // "version_4", "baseline"
}

// ParseInterventionKey splits key at its first "__". Both parts must be
// non-empty.
func ParseInterventionKey(key string) (InterventionKey, error) {
	typ, version, ok := strings.Cut(key, KeySep)
	if !ok || typ == "" || version == "" {
		return InterventionKey{}, fmt.Errorf("parse intervention key %q: want <type>__<version>", key)
	}
	return InterventionKey{Type: typ, Version: version}, nil
}

// String returns the storage key.
func (k InterventionKey) String() string { return k.Type + KeySep + k.Version }

// IsBaseline reports whether a storage key names a baseline run. As in the
// original tagger, the test is a suffix "_baseline" on the raw key, so it
// matches "<type>__baseline".
func IsBaseline(key string) bool { return strings.HasSuffix(key, "_baseline") }
