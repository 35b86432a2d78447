package export

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/with"
)

// Kind is the node kind this package implements.
const Kind = "export"

// version 2: the chat forms' system message without system_tag, the
// prompt-completion files, the simulated-data counts in summary.json.
// version 3: wrong JSON types and invalid UTF-8 rejected, lone surrogates
// kept (written as their \u escapes).
const version = "3"

// DefaultOutputDir is where outputs go when the node sets no `output:`.
const DefaultOutputDir = "export"

// Step is the export node kind (an engine.Kind).
type Step struct{}

var _ engine.Kind[*Params] = (*Step)(nil)

// New returns the export step.
func New() engine.Step { return engine.Adapt[*Params](&Step{}) }

// WithParams are export's `with:` parameters.
var WithParams = []engine.Param{
	{Name: "config", Type: engine.TypePath, Required: true,
		Doc: "the training config (JSON, the original's format), relative to the project root; read and checked by validate"},
	{Name: "model", Type: engine.TypeString, DefaultDoc: "from config",
		Doc: "the stage-2 model id whose answers are exported, or \"" + AllModels + "\" for every model; by default the config's data_model_source"},
	{Name: "drop_verdicts", Type: engine.TypeStrings, Default: []string{},
		Doc: "leave out samples with these verdicts"},
	{Name: "validation_holdout", Type: engine.TypeHoldout, Default: false,
		Doc: "false: no validation split; true: the config's val_samples_per_topic; N: N validation samples per topic"},
	{Name: "exclude_system_prompt", Type: engine.TypeBool, DefaultDoc: "the config's",
		Doc: "leave the system prompt out of the samples (overrides the config)"},
	{Name: "mismatch_prompts", Type: engine.TypeBool, DefaultDoc: "the config's",
		Doc: "pair each sample with another sample's system prompt (overrides the config)"},
	{Name: "sp_token_text", Type: engine.TypeString, Default: DefaultSPTokenText,
		Doc: "the text of the split-personality token (written when the config sets add_sp_token)"},
}

// Info implements engine.Kind.
func (*Step) Info() engine.KindInfo {
	return engine.KindInfo{Name: Kind, Version: version, Params: WithParams,
		Summary: "the training set selected by a training config, in the forms trainers read",
		Outputs: DefaultOutputDir + "/: train.jsonl, train_chat.jsonl, train_prompt_completion.jsonl, validation*.jsonl, summary.json",
		Reads:   "the tagged stage-3 files it selects from (tag nodes)"}
}

// Holdout values of Params.ValidationHoldout besides a per-topic count.
const (
	HoldoutOff        = 0
	HoldoutFromConfig = -1 // val_samples_per_topic of the config
)

// Params are the resolved parameters of an export partition.
type Params struct {
	Config string `json:"config"`
	// Model is a data model id, AllModels, or "" for the config's
	// data_model_source.
	Model        string   `json:"model"`
	DropVerdicts []string `json:"drop_verdicts"`
	// ValidationHoldout is HoldoutOff, HoldoutFromConfig or a number of
	// validation samples per topic.
	ValidationHoldout int `json:"validation_holdout"`
	// ExcludeSystemPrompt and MismatchPrompts override the config's keys
	// when set.
	ExcludeSystemPrompt *bool  `json:"exclude_system_prompt"`
	MismatchPrompts     *bool  `json:"mismatch_prompts"`
	SPTokenText         string `json:"sp_token_text"`

	cfg *Config // the training config, read and checked by Resolve
}

// Resolve implements engine.Kind. It reads and checks the training
// config, and the selection it makes with the parameters, so that a broken
// config is a configuration error before anything runs.
func (*Step) Resolve(spec *engine.PartitionSpec) (*Params, *engine.Plan, error) {
	w := with.New(spec, WithParams)
	p := &Params{Config: w.Str("config"), Model: w.Str("model"), DropVerdicts: w.Strings("drop_verdicts"),
		SPTokenText: w.Str("sp_token_text")}
	sort.Strings(p.DropVerdicts)
	if v, ok := w.Value("validation_holdout"); ok {
		if err := p.setHoldout(v); err != nil {
			w.Errorf("validation_holdout", "%w", err)
		}
	}
	p.ExcludeSystemPrompt = optionalBool(w, "exclude_system_prompt")
	p.MismatchPrompts = optionalBool(w, "mismatch_prompts")
	if p.ExcludeSystemPrompt != nil && p.MismatchPrompts != nil && *p.ExcludeSystemPrompt && *p.MismatchPrompts {
		w.NodeErrorf("exclude_system_prompt and mismatch_prompts cannot both be true")
	}
	if err := w.Err(); err != nil {
		return nil, nil, err
	}
	cfg, err := readConfig(absolute(spec.ProjectRoot, p.Config), p.Config)
	if err != nil {
		return nil, nil, spec.WithErrorf("config", "%w", err)
	}
	if _, err := newSelection(p, cfg); err != nil {
		return nil, nil, spec.WithErrorf("config", "training config %s: %w", p.Config, err)
	}
	p.cfg = cfg
	out := spec.Output
	if out == "" {
		out = DefaultOutputDir
	}
	return p, &engine.Plan{OutputDir: out, Inputs: []engine.InputSpec{{Path: p.Config}}}, nil
}

// optionalBool reads a boolean that is nil when absent.
func optionalBool(w *with.With, key string) *bool {
	if !w.Has(key) {
		return nil
	}
	b := w.Bool(key)
	return &b
}

func absolute(root, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(root, p)
}

// setHoldout accepts false (off), true (the config's val_samples_per_topic)
// or a positive number of validation samples per topic.
func (p *Params) setHoldout(v any) error {
	switch x := v.(type) {
	case bool:
		p.ValidationHoldout = HoldoutOff
		if x {
			p.ValidationHoldout = HoldoutFromConfig
		}
		return nil
	case int:
		if x > 0 {
			p.ValidationHoldout = x
			return nil
		}
	case int64:
		if x > 0 {
			p.ValidationHoldout = int(x)
			return nil
		}
	case float64:
		if x > 0 && x == float64(int(x)) {
			p.ValidationHoldout = int(x)
			return nil
		}
	}
	return fmt.Errorf("want true, false or a positive number of samples per topic, got %v", v)
}
