package analyze

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/with"
	"github.com/sptflow/sptflow/internal/suggest"
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

// typeList is a list of strings, or one comma-separated string.
const typeList engine.ParamType = `[]string | "a, b"`

// Params are analyze's `with:` parameters.
var Params = []engine.Param{
	{Name: "topics", Type: typeList, DefaultDoc: "every topic",
		Doc: "analyse only these topics (a list, or one comma-separated string)"},
	{Name: "examples", Type: typeList, Default: exampleTypes, DefaultDoc: "all", Enum: exampleTypes,
		Doc: "the interesting-example categories to collect"},
	{Name: "max_examples_per_topic", Type: engine.TypeInt, Default: 10, Min: 1,
		Doc: "examples kept per category and topic"},
	{Name: "fail_on_sanity_errors", Type: engine.TypeBool, Default: false,
		Doc: "fail the node, writing nothing, on any sanity-check failure or unreadable file (the original without --ignore-errors); by default failures are listed in summary_report.json and the report"},
	{Name: "ignore_errors", Type: engine.TypeBool, DefaultDoc: "—",
		Doc: "deprecated: the inverse of fail_on_sanity_errors"},
}

// resolveOptions validates a partition's `with:` block.
func resolveOptions(spec *engine.PartitionSpec) (*options, error) {
	w := with.New(spec, Params)
	o := &options{OutputDir: DefaultOutputDir, Examples: append([]string(nil), exampleTypes...)}
	if spec.Output != "" {
		o.OutputDir = spec.Output
	}
	if v, ok := w.Value("topics"); ok {
		if list, err := stringList(v); err != nil {
			w.Errorf("topics", "%w", err)
		} else {
			o.Topics = list
			sort.Strings(o.Topics)
		}
	}
	if v, ok := w.Value("examples"); ok {
		if list, err := stringList(v); err != nil {
			w.Errorf("examples", "%w", err)
		} else if err := checkExamples(list); err != nil {
			w.Errorf("examples", "%w", err)
		} else {
			o.Examples = list
		}
	}
	o.MaxExamplesPerTopic = w.Int("max_examples_per_topic")
	o.FailOnSanityErrors = w.Bool("fail_on_sanity_errors")
	if w.Has("ignore_errors") {
		ignore := w.Bool("ignore_errors")
		o.ignoreErrors = &ignore
		if w.Has("fail_on_sanity_errors") && !ignore != o.FailOnSanityErrors {
			w.NodeErrorf("with.ignore_errors (deprecated) contradicts with.fail_on_sanity_errors; keep only fail_on_sanity_errors")
		}
		o.FailOnSanityErrors = !ignore
	}
	if err := w.Err(); err != nil {
		return nil, err
	}
	return o, nil
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
		if !slices.Contains(exampleTypes, n) {
			return fmt.Errorf("unknown example type %q%s", n, suggestExample(n))
		}
	}
	return nil
}

func suggestExample(n string) string {
	if s := suggest.DidYouMean(n, exampleTypes); s != "" {
		return s
	}
	return " (known: " + strings.Join(exampleTypes, ", ") + ")"
}
