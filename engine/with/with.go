// Package with decodes a partition's `with:` block strictly, against the
// parameters its kind declares (engine.Param): every key must be declared,
// values must have the declared type and bounds, absent keys take the
// declared default, and every problem is reported at once, each with the
// key's position (and "did you mean" for an unknown key). It is shared by
// every node kind and knows nothing of models or LLMs; steps/generate/llmstep
// adds the model accessors on top.
package with

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/internal/suggest"
)

// Replica is the parameter every Sampler kind declares: the draw of model
// samples the partition holds (engine.WithReplica).
var Replica = engine.Param{Name: engine.WithReplica, Type: engine.TypeInt, Default: 0,
	Doc: "the draw of model samples: 0 the original, N > 0 an independent redraw (request keys salted); `run --resample N` sets it"}

// With decodes spec.With against the declared parameters.
type With struct {
	spec   *engine.PartitionSpec
	params map[string]engine.Param
	names  []string // declared, in order
	seen   map[string]bool
	errs   []error
}

// New returns a decoder of spec.With for a kind declaring params.
func New(spec *engine.PartitionSpec, params []engine.Param) *With {
	w := &With{spec: spec, params: make(map[string]engine.Param, len(params)), seen: map[string]bool{}}
	for _, p := range params {
		w.params[p.Name] = p
		w.names = append(w.names, p.Name)
	}
	return w
}

// Spec returns the partition being decoded.
func (w *With) Spec() *engine.PartitionSpec { return w.spec }

// Errorf records a problem with key (placed at its position).
func (w *With) Errorf(key, format string, args ...any) {
	w.errs = append(w.errs, w.spec.WithErrorf(key, format, args...))
}

// NodeErrorf records a problem of the node as a whole (placed at the node).
func (w *With) NodeErrorf(format string, args ...any) {
	w.errs = append(w.errs, fmt.Errorf("%s: node %q: "+format, append([]any{w.spec.NodePos, w.spec.Node}, args...)...))
}

// Add records an error that already carries its position.
func (w *With) Add(err error) {
	if err != nil {
		w.errs = append(w.errs, err)
	}
}

// param returns the declaration of key; asking for an undeclared parameter
// is a bug in the kind.
func (w *With) param(key string) engine.Param {
	p, ok := w.params[key]
	if !ok {
		panic(fmt.Sprintf("with: kind %s reads parameter %q, which it does not declare", w.spec.Kind, key))
	}
	return p
}

// Value returns the raw value at key (marking it read), for kind-specific
// types; ok is false when it is absent or null.
func (w *With) Value(key string) (any, bool) {
	w.param(key)
	w.seen[key] = true
	v, ok := w.spec.With[key]
	return v, ok && v != nil
}

// Has reports whether key is set (and marks it read).
func (w *With) Has(key string) bool {
	_, ok := w.Value(key)
	return ok
}

// missing handles an absent key: an error when it is required.
func (w *With) missing(p engine.Param) {
	if p.Required {
		w.NodeErrorf("with.%s is required (%s; see `sptflow kinds %s`)", p.Name, p.Type, w.spec.Kind)
	}
}

// Str returns the non-empty string at key, or its default.
func (w *With) Str(key string) string {
	p := w.param(key)
	def, _ := p.Default.(string)
	v, ok := w.Value(key)
	if !ok {
		w.missing(p)
		return def
	}
	s, isStr := v.(string)
	if !isStr || s == "" {
		w.Errorf(key, "want a non-empty string, got %s", show(v))
		return def
	}
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
		w.Errorf(key, "%q: want one of %s%s", s, strings.Join(p.Enum, ", "), suggest.DidYouMean(s, p.Enum))
		return def
	}
	return s
}

// Int returns the whole number at key (at least the declared Min), or its
// default.
func (w *With) Int(key string) int {
	p := w.param(key)
	def, _ := p.Default.(int)
	v, ok := w.Value(key)
	if !ok {
		w.missing(p)
		return def
	}
	n, isInt := Whole(v)
	if !isInt {
		w.Errorf(key, "want a whole number, got %s", show(v))
		return def
	}
	if n < p.Min {
		w.Errorf(key, "%d: must be at least %d", n, p.Min)
		return def
	}
	return n
}

// Whole returns v as an int when it is a whole number.
func Whole(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case uint64:
		return int(x), true
	case float64:
		if x == float64(int(x)) {
			return int(x), true
		}
	}
	return 0, false
}

// Bool returns the boolean at key, or its default.
func (w *With) Bool(key string) bool {
	p := w.param(key)
	def, _ := p.Default.(bool)
	v, ok := w.Value(key)
	if !ok {
		w.missing(p)
		return def
	}
	b, isBool := v.(bool)
	if !isBool {
		w.Errorf(key, "want true or false, got %s", show(v))
		return def
	}
	return b
}

// Strings returns the list of distinct non-empty strings at key (one
// string is a list of one, at least Min of them), or its default.
func (w *With) Strings(key string) []string {
	p := w.param(key)
	def, _ := p.Default.([]string)
	v, ok := w.Value(key)
	if !ok {
		w.missing(p)
		return slices.Clone(def)
	}
	list, ok := w.stringList(key, v)
	if !ok {
		return slices.Clone(def)
	}
	if len(list) < p.Min {
		w.Errorf(key, "want at least %d element(s), got %d", p.Min, len(list))
		return slices.Clone(def)
	}
	for _, s := range list {
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
			w.Errorf(key, "%q: want one of %s%s", s, strings.Join(p.Enum, ", "), suggest.DidYouMean(s, p.Enum))
			return slices.Clone(def)
		}
	}
	return list
}

func (w *With) stringList(key string, v any) ([]string, bool) {
	if s, isStr := v.(string); isStr && s != "" {
		return []string{s}, true
	}
	raw, isList := v.([]any)
	if !isList {
		w.Errorf(key, "want a list of strings, got %s", show(v))
		return nil, false
	}
	out := make([]string, 0, len(raw))
	for _, e := range raw {
		s, isStr := e.(string)
		if !isStr || s == "" {
			w.Errorf(key, "want a list of non-empty strings, got element %s", show(e))
			return nil, false
		}
		if slices.Contains(out, s) {
			w.Errorf(key, "%q listed twice", s)
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// Replica reads the Replica parameter.
func (w *With) Replica() int { return w.Int(engine.WithReplica) }

// Err reports every problem, including keys that are not declared
// parameters (with the nearest declared name), in key order.
func (w *With) Err() error {
	for _, k := range slices.Sorted(maps.Keys(w.spec.With)) {
		if w.seen[k] {
			continue
		}
		if _, declared := w.params[k]; declared {
			w.Errorf(k, "kind %s declares this parameter but does not read it (a bug in the kind)", w.spec.Kind)
			continue
		}
		w.Errorf(k, "unknown parameter of kind %s%s", w.spec.Kind, didYouMean(k, w.names))
	}
	return errors.Join(w.errs...)
}

// didYouMean suggests the declared name nearest to k, or one whose first
// word is k (or k without a plural s): "batchs" → "batch_size".
func didYouMean(k string, names []string) string {
	if s := suggest.DidYouMean(k, names); s != "" {
		return s
	}
	for _, n := range names {
		first, _, _ := strings.Cut(n, "_")
		if first != n && (first == k || first == strings.TrimSuffix(k, "s")) {
			return fmt.Sprintf(" (did you mean %q?)", n)
		}
	}
	if len(names) == 0 {
		return " (it takes no parameters)"
	}
	return " (known: " + strings.Join(names, ", ") + ")"
}

// show formats a value of the wrong type for a message.
func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", x)
	case []any:
		return fmt.Sprintf("a list %v", x)
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%v", v)
}
