package export

import (
	"context"
	"fmt"
	"maps"
	"path"
	"runtime"
	"slices"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/sptflow/sptflow/engine"
)

// Run implements engine.Kind. It uses the training config Resolve read
// (the engine keys the partition by that file's digest).
func (s *Step) Run(ctx context.Context, p *Params, t *engine.Task) error {
	sel, err := newSelection(p, p.cfg)
	if err != nil {
		return fmt.Errorf("select with training config %s: %w", p.Config, err)
	}
	res, err := sel.Build(ctx, TopicFiles(t.Upstream))
	if err != nil {
		return fmt.Errorf("build training set: %w", err)
	}
	t.Log.Info().Int("train", len(res.Train)).Int("validation", len(res.Validation)).
		Str("model", sel.Model).Msg("training set exported")
	if sim := countSimulated(res.Train, res.Validation); sim.train+sim.validation > 0 {
		t.Log.Warn().Int("train", sim.train).Int("validation", sim.validation).
			Msg("the training set holds simulated data (sim provider); summary.json counts it")
	}
	if err := res.write(t.Out, t.Plan.OutputDir, sel); err != nil {
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

// Result is an exported training set.
type Result struct {
	Train, Validation []Sample
	Extracted         int // raw samples before filtering
	HeldOut           int // moved to validation by the hold-out
	Files             int // batch files read
	Skips             Skips
	Filtered          Filtered
	TopicsWithoutData []string // selected topics with no files
	TopicsNotSelected []string // topics with files that the config does not select
}

type fileJob struct {
	topic string
	file  engine.OutputFile
}

// Build reads the selected topics' files and assembles the training set.
func (s *Selection) Build(ctx context.Context, files map[string][]engine.OutputFile) (*Result, error) {
	res := &Result{Filtered: newFiltered()}
	topics, validationOnly := s.topics()
	for t := range files {
		if !topics[t] {
			res.TopicsNotSelected = append(res.TopicsNotSelected, t)
		}
	}
	sort.Strings(res.TopicsNotSelected)
	var jobs []fileJob
	for _, t := range slices.Sorted(maps.Keys(topics)) {
		if len(files[t]) == 0 {
			res.TopicsWithoutData = append(res.TopicsWithoutData, t)
		}
		for _, f := range files[t] {
			jobs = append(jobs, fileJob{t, f})
		}
	}
	outs, err := s.extractAll(ctx, jobs)
	if err != nil {
		return nil, err
	}
	res.Files = len(jobs)
	var topic []Sample
	for i, j := range jobs {
		topic = append(topic, outs[i].kept...)
		res.Extracted += outs[i].extracted
		res.Skips.add(outs[i].skips)
		res.Filtered.add(outs[i].filtered)
		if i+1 == len(jobs) || jobs[i+1].topic != j.topic {
			res.addTopic(s, topic, validationOnly[j.topic])
			topic = nil
		}
	}
	return res, nil
}

// addTopic places a topic's kept samples in the train or validation split.
func (r *Result) addTopic(s *Selection, kept []Sample, validationOnly bool) {
	switch {
	case validationOnly:
		r.Validation = append(r.Validation, kept...)
	case s.Holdout > 0:
		train, val := strideSplit(kept, s.Holdout)
		r.Train = append(r.Train, train...)
		r.Validation = append(r.Validation, val...)
		r.HeldOut += len(val)
	default:
		r.Train = append(r.Train, kept...)
	}
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

// extractAll parses and extracts the files in parallel (one per CPU),
// keeping results in job order.
func (s *Selection) extractAll(ctx context.Context, jobs []fileJob) ([]*extraction, error) {
	outs := make([]*extraction, len(jobs))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, j := range jobs {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			data, err := j.file.ReadAll()
			if err != nil {
				return fmt.Errorf("read %s: %w", j.file.Path, err)
			}
			x, err := extract(j.topic, path.Base(j.file.Path), data, s.Model, s.sel)
			if err != nil {
				return fmt.Errorf("%s: %w", path.Dir(j.file.Path), err)
			}
			outs[i] = x
			return nil
		})
	}
	return outs, g.Wait()
}
