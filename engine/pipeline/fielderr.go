package pipeline

import (
	"errors"

	"gopkg.in/yaml.v3"
)

// fieldPather is an error about one field of a `models:` entry
// (llm.FieldError): the problem is reported at that field's position.
type fieldPather interface{ FieldPath() []string }

// modelProblems reports the error of Options.ValidateModel for entry e: one
// problem per joined error (errors.Join), each at the key of the field it
// names, or at the entry's name.
func (l *loader) modelProblems(e entry, ctx string, err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, err := range errs {
		at := e.Key
		var fp fieldPather
		if errors.As(err, &fp) {
			if k := lookupKey(e.Val, fp.FieldPath()); k != nil {
				at = k
			}
		}
		l.errorf(at, "%s%v", ctx, err)
	}
}

// lookupKey returns the key node of path in mapping m, or of the longest
// prefix of path that exists (nil when none does).
func lookupKey(m *yaml.Node, path []string) *yaml.Node {
	var found *yaml.Node
	for _, name := range path {
		m = resolve(m)
		if m == nil || m.Kind != yaml.MappingNode {
			return found
		}
		var next *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			if resolve(m.Content[i]).Value == name {
				found, next = m.Content[i], m.Content[i+1]
			}
		}
		if next == nil {
			return found
		}
		m = next
	}
	return found
}
