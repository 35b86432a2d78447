package export

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sptflow/sptflow/engine"
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

// Step is the export node kind.
type Step struct{}

var _ engine.Step = (*Step)(nil)

// New returns the export step.
func New() *Step { return &Step{} }

// Kind implements engine.Step.
func (*Step) Kind() string { return Kind }

// Version implements engine.Step.
func (*Step) Version() string { return version }

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
}

// Resolve implements engine.Step.
func (*Step) Resolve(spec *engine.PartitionSpec) (*engine.Plan, error) {
	p := &Params{SPTokenText: DefaultSPTokenText, DropVerdicts: []string{}}
	var errs []string
	for k, v := range spec.With {
		if err := p.set(k, v); err != nil {
			errs = append(errs, spec.WithErrorf(k, "%v", err).Error())
		}
	}
	if p.Config == "" {
		errs = append(errs, fmt.Sprintf("%s: node %q: with.config is required (a training config JSON file)", spec.NodePos, spec.Node))
	}
	if p.ExcludeSystemPrompt != nil && p.MismatchPrompts != nil && *p.ExcludeSystemPrompt && *p.MismatchPrompts {
		errs = append(errs, fmt.Sprintf("%s: node %q: exclude_system_prompt and mismatch_prompts cannot both be true", spec.NodePos, spec.Node))
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	out := spec.Output
	if out == "" {
		out = DefaultOutputDir
	}
	return &engine.Plan{Params: p, OutputDir: out, Inputs: []engine.InputSpec{{Path: p.Config}}}, nil
}

func (p *Params) set(key string, v any) error {
	switch key {
	case "config", "model", "sp_token_text":
		s, ok := v.(string)
		if !ok || s == "" {
			return fmt.Errorf("want a non-empty string, got %v", v)
		}
		*map[string]*string{"config": &p.Config, "model": &p.Model, "sp_token_text": &p.SPTokenText}[key] = s
	case "drop_verdicts":
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("want a list of verdicts, got %v", v)
		}
		for _, x := range list {
			s, ok := x.(string)
			if !ok {
				return fmt.Errorf("want verdict strings, got %v", x)
			}
			p.DropVerdicts = append(p.DropVerdicts, s)
		}
		sort.Strings(p.DropVerdicts)
	case "validation_holdout":
		return p.setHoldout(v)
	case "exclude_system_prompt", "mismatch_prompts":
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want true or false, got %v", v)
		}
		if key == "exclude_system_prompt" {
			p.ExcludeSystemPrompt = &b
		} else {
			p.MismatchPrompts = &b
		}
	default:
		return fmt.Errorf("unknown key (want config, model, drop_verdicts, validation_holdout, exclude_system_prompt, mismatch_prompts, sp_token_text)")
	}
	return nil
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
