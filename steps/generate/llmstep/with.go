package llmstep

import (
	"errors"
	"maps"
	"slices"

	"github.com/sptflow/sptflow/engine"
)

// With decodes a partition's `with:` block strictly: every key must be read
// by one of its accessors, values must have the asked type, and every
// problem is reported at once (Err) with the key's position.
type With struct {
	spec *engine.PartitionSpec
	seen map[string]bool
	errs []error
}

// NewWith returns a decoder of spec.With.
func NewWith(spec *engine.PartitionSpec) *With {
	return &With{spec: spec, seen: map[string]bool{}}
}

// Errorf records a problem with key.
func (w *With) Errorf(key, format string, args ...any) {
	w.errs = append(w.errs, w.spec.WithErrorf(key, format, args...))
}

func (w *With) get(key string) (any, bool) {
	w.seen[key] = true
	v, ok := w.spec.With[key]
	return v, ok && v != nil
}

// Has reports whether key is set (and marks it read).
func (w *With) Has(key string) bool {
	_, ok := w.get(key)
	return ok
}

// Int returns the integer at key, def when absent; it must be >= min.
func (w *With) Int(key string, def, min int) int {
	v, ok := w.get(key)
	if !ok {
		return def
	}
	n, isInt := v.(int)
	if !isInt {
		w.Errorf(key, "want an integer, got %T", v)
		return def
	}
	if n < min {
		w.Errorf(key, "%d: must be at least %d", n, min)
		return def
	}
	return n
}

// Str returns the string at key, def when absent.
func (w *With) Str(key, def string) string {
	v, ok := w.get(key)
	if !ok {
		return def
	}
	s, isStr := v.(string)
	if !isStr || s == "" {
		w.Errorf(key, "want a non-empty string, got %v", v)
		return def
	}
	return s
}

// Bool returns the boolean at key, def when absent.
func (w *With) Bool(key string, def bool) bool {
	v, ok := w.get(key)
	if !ok {
		return def
	}
	b, isBool := v.(bool)
	if !isBool {
		w.Errorf(key, "want true or false, got %v", v)
		return def
	}
	return b
}

// Strings returns the list of strings at key (a single string is a list of
// one), def when absent. Duplicates are an error.
func (w *With) Strings(key string, def []string) []string {
	v, ok := w.get(key)
	if !ok {
		return def
	}
	if s, isStr := v.(string); isStr && s != "" {
		return []string{s}
	}
	list, isList := v.([]any)
	if !isList || len(list) == 0 {
		w.Errorf(key, "want a non-empty list of strings, got %v", v)
		return def
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, isStr := e.(string)
		if !isStr || s == "" {
			w.Errorf(key, "want a list of strings, got element %v", e)
			return def
		}
		if slices.Contains(out, s) {
			w.Errorf(key, "%q listed twice", s)
			return def
		}
		out = append(out, s)
	}
	return out
}

// Replica reads engine.WithReplica, the draw of model samples the
// partition holds: 0 (the default) the original one, N > 0 the N-th
// redraw. The engine sets it for partitions resampled by `run --resample`.
func (w *With) Replica() int { return w.Int(engine.WithReplica, 0, 0) }

// Err reports every problem, including keys no accessor read, in key order.
func (w *With) Err() error {
	for _, k := range slices.Sorted(maps.Keys(w.spec.With)) {
		if !w.seen[k] {
			w.Errorf(k, "unknown parameter of kind %s", w.spec.Kind)
		}
	}
	return errors.Join(w.errs...)
}
