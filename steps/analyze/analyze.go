package analyze

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
)

// Kind is the node kind this step implements.
const Kind = "analyze"

// version is part of every analyze node key; bump it when the same inputs
// would give different outputs. Version 3: wrong JSON types and invalid
// UTF-8 are "Error processing" failures; numbers and lone surrogates are
// written as Python's json writes them.
const version = "3"

// Step is the analyze node kind (an engine.Kind).
type Step struct{}

var _ engine.Kind[*options] = (*Step)(nil)

// New returns the analyze step.
func New() engine.Step { return engine.Adapt[*options](&Step{}) }

// Info implements engine.Kind.
func (*Step) Info() engine.KindInfo {
	return engine.KindInfo{Name: Kind, Version: version, Params: Params,
		Summary: "stage-3 data-quality reports over every upstream partition (fan-in): statistics, sanity checks, tag analysis, interesting examples",
		Outputs: DefaultOutputDir + "/: summary_report.json, topic_comparisons.json, by_topic/, tag_analysis.json, interesting_examples/, report.md, report.html",
		Reads:   "the tagged stage-3 files it analyzes (tag nodes)"}
}

// Resolve implements engine.Kind: it validates the `with:` options.
func (*Step) Resolve(spec *engine.PartitionSpec) (*options, *engine.Plan, error) {
	o, err := resolveOptions(spec)
	if err != nil {
		return nil, nil, err
	}
	return o, &engine.Plan{OutputDir: o.OutputDir}, nil
}

// Run implements engine.Kind: it reads every *.json file of the upstream
// partitions, analyses them and writes the JSON outputs and the report.
func (s *Step) Run(ctx context.Context, o *options, t *engine.Task) error {
	files := inputFiles(t.Upstream)
	t.Progress.SetTotal(len(files))
	a, err := analyzeFiles(ctx, files, o, t.Out, t.Progress)
	if err != nil {
		return err
	}
	defer a.abort() // the files written as the files were merged, on an error below
	if o.ignoreErrors != nil {
		t.Log.Warn().Bool("ignore_errors", *o.ignoreErrors).Msg("analyze: with.ignore_errors is deprecated; sanity-check failures are reported by default, set fail_on_sanity_errors: true to fail on them")
	}
	t.Log.Info().Int("files", len(files)).Int("records", a.nRecs).Int("sanity_failures", len(a.failures)).Msg("analyzed stage-3 data")
	if len(a.failures) > 0 {
		if o.FailOnSanityErrors {
			return sanityError(a.failureMessages())
		}
		logFailures(t.Log, a.failureCounts(), len(a.failures))
	}
	return a.write(ctx, t.Out)
}

// logFailures warns once with the number of failures of each kind.
func logFailures(log zerolog.Logger, kinds []kindCount, total int) {
	d := zerolog.Dict()
	for _, k := range kinds {
		d.Int(k.kind, k.n)
	}
	log.Warn().Int("sanity_failures", total).Dict("by_kind", d).
		Msg("sanity checks failed; the analysis is written and lists them in summary_report.json (sanity_check_failures) and the report")
}

func sanityError(failures []string) error {
	n := min(len(failures), 10)
	msg := fmt.Sprintf("%d sanity check failures (fail_on_sanity_errors is set; unset it to write the analysis and list them):\n  %s",
		len(failures), strings.Join(failures[:n], "\n  "))
	if len(failures) > n {
		msg += fmt.Sprintf("\n  ... and %d more", len(failures)-n)
	}
	return fmt.Errorf("%s", msg)
}

// inputFiles lists the *.json files in the main output directories of all
// upstream partitions (not their side files, such as the tagger's reports),
// sorted by path.
func inputFiles(ups []engine.Upstream) []engine.OutputFile {
	var files []engine.OutputFile
	seen := map[string]bool{}
	for i := range ups {
		for _, f := range ups[i].DataFiles(".json") {
			if !seen[f.Path] {
				seen[f.Path] = true
				files = append(files, f)
			}
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files
}

// sourceName is a file's `source_file`: its path below the upstream's
// top-level output directory ("sycophancy/batch_….json"), as the original
// reports paths relative to its data directory.
func sourceName(p string) string {
	if _, rest, ok := strings.Cut(p, "/"); ok {
		return rest
	}
	return path.Base(p)
}
