package export

import (
	"context"
	"fmt"
	"maps"
	"path"
	"runtime"
	"slices"
	"sort"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/internal/ordered"
)

// Run implements engine.Kind. It uses the training config Resolve read
// (the engine keys the partition by that file's digest).
func (s *Step) Run(ctx context.Context, p *Params, t *engine.Task) error {
	sel, err := newSelection(p, p.cfg)
	if err != nil {
		return fmt.Errorf("select with training config %s: %w", p.Config, err)
	}
	res, err := sel.Export(ctx, TopicFiles(t.Upstream), t.Out, t.Plan.OutputDir)
	if err != nil {
		return fmt.Errorf("build training set: %w", err)
	}
	t.Log.Info().Int("train", res.Train.n).Int("validation", res.Validation.n).
		Str("model", sel.Model).Msg("training set exported")
	if sim := res.simulated(); sim.train+sim.validation > 0 {
		t.Log.Warn().Int("train", sim.train).Int("validation", sim.validation).
			Msg("the training set holds simulated data (the sim provider, or sptflow fake); summary.json counts it")
	}
	if err := res.writeSummary(t.Out, t.Plan.OutputDir, sel); err != nil {
		return fmt.Errorf("write training set: %w", err)
	}
	return nil
}

// Selection is everything that decides the exported samples.
type Selection struct {
	Config     *Config
	ConfigPath string
	Model      string // a model id or AllModels
	Holdout    int    // validation samples per topic, 0 for none
	Format     Format
	Drop       []string
	sel        *selector
}

func newSelection(p *Params, cfg *Config) (*Selection, error) {
	s := &Selection{Config: cfg, ConfigPath: p.Config, Model: p.Model, Drop: p.DropVerdicts}
	if s.Model == "" {
		s.Model = cfg.DataModelSource
	}
	if s.Model == "" {
		return nil, fmt.Errorf("no data model: set data_model_source in the config or with.model (%q for every model)", AllModels)
	}
	s.Holdout = p.ValidationHoldout
	if s.Holdout == HoldoutFromConfig {
		n, ok := cfg.valSamplesPerTopic()
		if !ok {
			return nil, fmt.Errorf("validation_holdout: true needs val_samples_per_topic in the config")
		}
		s.Holdout = n
	}
	s.Format = Format{SystemTag: cfg.SystemTag, InterventionPrefix: cfg.InterventionPrefix, ReviewPrefix: cfg.ReviewPrefix,
		FlagPrefix: cfg.FlagPrefix, AddSPToken: bool(cfg.AddSPToken), SPTokenText: p.SPTokenText,
		Elicitation: cfg.ElicitationType, ExcludeSystemPrompt: bool(cfg.ExcludeSystemPrompt), MismatchPrompts: bool(cfg.MismatchPrompts)}
	if p.ExcludeSystemPrompt != nil {
		s.Format.ExcludeSystemPrompt = *p.ExcludeSystemPrompt
	}
	if p.MismatchPrompts != nil {
		s.Format.MismatchPrompts = *p.MismatchPrompts
	}
	if s.Format.ExcludeSystemPrompt && s.Format.MismatchPrompts {
		return nil, fmt.Errorf("exclude_system_prompt and mismatch_prompts cannot both be set")
	}
	s.sel = newSelector(cfg, p.DropVerdicts)
	return s, nil
}

// TopicFiles groups the upstream batch files by topic the way the loader
// finds them, as <dir>/<topic>/*.json: a file's topic is its directory's
// name. Only files in an upstream's main output directory count, so side
// files such as the tagger's reports are not taken for batches. Files are
// sorted by name within a topic.
func TopicFiles(ups []engine.Upstream) map[string][]engine.OutputFile {
	out := map[string][]engine.OutputFile{}
	for i := range ups {
		for _, f := range ups[i].DataFiles(".json") {
			topic := path.Base(path.Dir(f.Path))
			out[topic] = append(out[topic], f)
		}
	}
	for _, fs := range out {
		sort.SliceStable(fs, func(i, j int) bool { return path.Base(fs[i].Path) < path.Base(fs[j].Path) })
	}
	return out
}

// Result is an exported training set, as counts: the samples themselves
// are written to the output files as they are read.
type Result struct {
	Train, Validation splitCounts
	Extracted         int // raw samples before filtering
	HeldOut           int // moved to validation by the hold-out
	Files             int // batch files read
	Skips             Skips
	Filtered          Filtered
	TopicsWithoutData []string // selected topics with no files
	TopicsNotSelected []string // topics with files that the config does not select
	// validationFiles says whether the validation files were written.
	validationFiles bool
}

type fileJob struct {
	topic string
	file  engine.OutputFile
}

// Export reads the selected topics' files and writes the training files
// below dir on out as it goes: one topic after the other (sorted), its
// files parsed in parallel and consumed in order, so memory holds a few
// files' samples whatever the size of the data. A topic split by the
// hold-out is read twice: first to count its samples (the split's stride
// depends on the count), then to write them.
func (s *Selection) Export(ctx context.Context, files map[string][]engine.OutputFile, out engine.Output, dir string) (*Result, error) {
	res := &Result{Filtered: newFiltered()}
	topics, validationOnly := s.topics()
	for t := range files {
		if !topics[t] {
			res.TopicsNotSelected = append(res.TopicsNotSelected, t)
		}
	}
	sort.Strings(res.TopicsNotSelected)
	w, err := newSetWriter(out, dir, s)
	if err != nil {
		return nil, err
	}
	defer w.abort()
	for _, t := range slices.Sorted(maps.Keys(topics)) {
		if len(files[t]) == 0 {
			res.TopicsWithoutData = append(res.TopicsWithoutData, t)
		}
		jobs := make([]fileJob, len(files[t]))
		for i, f := range files[t] {
			jobs[i] = fileJob{t, f}
		}
		if err := s.exportTopic(ctx, jobs, validationOnly[t], res, w); err != nil {
			return nil, err
		}
	}
	if err := w.close(s.Holdout > 0); err != nil {
		return nil, err
	}
	res.Train, res.Validation, res.validationFiles = w.train.counts, w.val.counts, w.val.opened
	return res, nil
}

// exportTopic writes one topic's kept samples to the train or validation
// split.
func (s *Selection) exportTopic(ctx context.Context, jobs []fileJob, validationOnly bool, res *Result, w *setWriter) error {
	var isVal map[int]bool // the hold-out's validation indices
	if s.Holdout > 0 && !validationOnly {
		total := 0
		if err := s.extractAll(ctx, jobs, func(_ int, x *extraction) error { total += len(x.kept); return nil }); err != nil {
			return err
		}
		isVal = strideIndices(total, s.Holdout)
		res.HeldOut += len(isVal)
	}
	next := 0
	return s.extractAll(ctx, jobs, func(_ int, x *extraction) error {
		res.Files++
		res.Extracted += x.extracted
		res.Skips.add(x.skips)
		res.Filtered.add(x.filtered)
		for i := range x.kept {
			split := w.train
			if validationOnly || isVal[next] {
				split = w.val
			}
			next++
			if err := w.add(split, &x.kept[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// topics returns the selected topics and which of them are validation
// topics only (all their samples go to validation).
func (s *Selection) topics() (all, validationOnly map[string]bool) {
	all, validationOnly = map[string]bool{}, map[string]bool{}
	for _, t := range s.Config.TrainTopics {
		all[t] = true
	}
	for _, t := range s.Config.ValidationTopics {
		if !all[t] {
			validationOnly[t] = true
		}
		all[t] = true
	}
	return all, validationOnly
}

// extractAll parses and extracts the files in parallel (one per CPU) and
// hands the extractions to use in job order, a few files at a time. Each
// worker reads its files into a buffer of its own, reused: an extraction
// holds copies of the texts it keeps, not the file's bytes.
func (s *Selection) extractAll(ctx context.Context, jobs []fileJob, use func(int, *extraction) error) error {
	workers := runtime.GOMAXPROCS(0)
	bufs := make(chan []byte, workers+1) // Map runs at most workers+1 at once
	for range workers + 1 {
		bufs <- nil
	}
	return ordered.Map(ctx, len(jobs), workers, func(ctx context.Context, i int) (*extraction, error) {
		j := jobs[i]
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		buf := <-bufs
		data, err := j.file.ReadInto(buf)
		defer func() { bufs <- data[:0] }()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", j.file.Path, err)
		}
		x, err := extract(j.topic, path.Base(j.file.Path), data, s.Model, s.sel)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path.Dir(j.file.Path), err)
		}
		return x, nil
	}, use)
}
