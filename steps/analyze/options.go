package analyze

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sptflow/sptflow/engine"
)

// Example types accepted by the `examples` option. The first six are the
// original's names; the original always computed the others, here every
// name gates its category.
var exampleTypes = []string{
	"unexpected_passes", "unexpected_fails", "unexpected_a_b_inversion", "low_confidence",
	"intervention_disagreements_high_confidence", "intervention_disagreements",
	"token_cutoffs", "duplicate_prompts", "batch_analysis", "difficulty_patterns",
}

// DefaultOutputDir is where the analysis is written, relative to the data directory.
const DefaultOutputDir = "stage_3_analysis"

// options are the resolved `with:` parameters; they are the node's Params.
type options struct {
	Topics              []string `json:"topics"`
	Examples            []string `json:"examples"`
	MaxExamplesPerTopic int      `json:"max_examples_per_topic"`
	// FailOnSanityErrors fails the node on any sanity-check failure or
	// unreadable file, writing nothing (the original without
	// --ignore-errors). Off by default: failures are reported instead.
	FailOnSanityErrors bool   `json:"fail_on_sanity_errors"`
	OutputDir          string `json:"output_dir"`
	// ignoreErrors is the deprecated ignore_errors as given (nil if not).
	ignoreErrors *bool
}

func (o *options) wants(example string) bool {
	for _, e := range o.Examples {
		if e == example {
			return true
		}
	}
	return false
}

func (o *options) keepsTopic(t string) bool {
	if len(o.Topics) == 0 {
		return true
	}
	for _, x := range o.Topics {
		if x == t {
			return true
		}
	}
	return false
}

// resolveOptions validates a partition's `with:` block.
func resolveOptions(spec *engine.PartitionSpec) (*options, error) {
	o := &options{MaxExamplesPerTopic: 10, OutputDir: DefaultOutputDir, Examples: append([]string(nil), exampleTypes...)}
	if spec.Output != "" {
		o.OutputDir = spec.Output
	}
	keys := make([]string, 0, len(spec.With))
	for k := range spec.With {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := o.set(k, spec.With[k]); err != nil {
			return nil, spec.WithErrorf(k, "%w", err)
		}
	}
	if o.ignoreErrors != nil {
		strict := !*o.ignoreErrors
		if _, both := spec.With["fail_on_sanity_errors"]; both && strict != o.FailOnSanityErrors {
			return nil, fmt.Errorf("%s: node %q: with.ignore_errors (deprecated) contradicts with.fail_on_sanity_errors; keep only fail_on_sanity_errors",
				spec.NodePos, spec.Node)
		}
		o.FailOnSanityErrors = strict
	}
	return o, nil
}

func (o *options) set(k string, v any) error {
	var err error
	switch k {
	case "topics":
		o.Topics, err = stringList(v)
		sort.Strings(o.Topics)
	case "examples":
		o.Examples, err = stringList(v)
		if err == nil {
			err = checkExamples(o.Examples)
		}
	case "max_examples_per_topic":
		o.MaxExamplesPerTopic, err = positiveInt(v)
	case "fail_on_sanity_errors":
		o.FailOnSanityErrors, err = boolean(v)
	case "ignore_errors": // deprecated: the inverse of fail_on_sanity_errors
		var b bool
		b, err = boolean(v)
		o.ignoreErrors = &b
	default:
		return fmt.Errorf("unknown option (known: examples, fail_on_sanity_errors, max_examples_per_topic, topics)")
	}
	return err
}

func boolean(v any) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("want true or false, got %T", v)
	}
	return b, nil
}

// stringList accepts a list of strings or one comma-separated string.
func stringList(v any) ([]string, error) {
	var out []string
	switch x := v.(type) {
	case string:
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case []string:
		out = append(out, x...)
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("want a list of strings, got an element of type %T", e)
			}
			out = append(out, s)
		}
	default:
		return nil, fmt.Errorf("want a list of strings, got %T", v)
	}
	return out, nil
}

func checkExamples(names []string) error {
	for _, n := range names {
		ok := false
		for _, e := range exampleTypes {
			ok = ok || e == n
		}
		if !ok {
			return fmt.Errorf("unknown example type %q (known: %s)", n, strings.Join(exampleTypes, ", "))
		}
	}
	return nil
}

func positiveInt(v any) (int, error) {
	var n int
	switch x := v.(type) {
	case int:
		n = x
	case int64:
		n = int(x)
	case uint64:
		n = int(x)
	case float64:
		if x != float64(int(x)) {
			return 0, fmt.Errorf("want a whole number, got %v", x)
		}
		n = int(x)
	default:
		return 0, fmt.Errorf("want a number, got %T", v)
	}
	if n < 1 {
		return 0, fmt.Errorf("want at least 1, got %d", n)
	}
	return n, nil
}
