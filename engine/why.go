package engine

import (
	"fmt"
	"strings"
)

// Change is one difference between the key a partition was last produced
// with and its key now.
type Change struct {
	Component string `json:"component"`
	Old       string `json:"old,omitempty"`
	New       string `json:"new,omitempty"`
}

// String says what changed in words: "with.batch_size: 2 → 3", "input file
// prompts/stage_1/x.md changed", "upstream load@x output changed".
func (c Change) String() string {
	name, what := describeComponent(c.Component)
	switch {
	case c.Old == "":
		return fmt.Sprintf("%s added", name)
	case c.New == "":
		return fmt.Sprintf("%s removed", name)
	case what == "value":
		return fmt.Sprintf("%s: %s → %s", name, clip(c.Old), clip(c.New))
	default:
		return fmt.Sprintf("%s changed", name)
	}
}

// describeComponent names a component for people, and says whether its
// value is meaningful to print ("value") or a digest ("digest").
func describeComponent(name string) (string, string) {
	switch {
	case name == compVersion:
		return "step version", "value"
	case name == compSchema:
		return "key schema", "value"
	case strings.HasPrefix(name, prefixInput):
		return "input file " + strings.TrimPrefix(name, prefixInput), "digest"
	case strings.HasPrefix(name, prefixUpstrm):
		return "upstream " + strings.TrimPrefix(name, prefixUpstrm) + " output", "digest"
	default:
		return name, "value"
	}
}

func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max-3] + "..."
}

// Diff lists the components that differ between old and new, in the order
// of new, then components only old had.
func Diff(old, new KeyDesc) []Change {
	var out []Change
	seen := make(map[string]bool, len(new))
	for _, c := range new {
		seen[c.Name] = true
		ov, ok := old.Value(c.Name)
		if !ok || ov != c.Value {
			out = append(out, Change{Component: c.Name, Old: ov, New: c.Value})
		}
	}
	for _, c := range old {
		if !seen[c.Name] {
			out = append(out, Change{Component: c.Name, Old: c.Value})
		}
	}
	return out
}
