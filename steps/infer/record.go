package infer

import (
	"context"
	"errors"
	"strings"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/spt"
)

// maxLeakedReasoning is how much reasoning text a model with thinking
// switched off may return before the answer is rejected (the original's
// leak check, spec §6.6).
const maxLeakedReasoning = 10

// answer sends one row's request and builds its inference record.
func (j *job) answer(ctx context.Context, r *row, usage *llmstep.Usage) (*pyjson.Object, bool, error) {
	spec := j.p.specs[r.model]
	validate := func(resp *llm.Response) error { return checkAnswer(resp, spec) }
	if err := j.refused[j.clients[r.model].KeyOf(r.req)]; err != nil {
		return nil, false, err
	}
	res, err := j.clients[r.model].Do(ctx, llm.Call{Request: r.req, Validate: validate, Meter: &usage.Meter})
	if err != nil {
		return nil, false, err
	}
	usage.Served(res.Response.Model)
	return Record(spec, spec.Apply(r.req), res.Response), res.Cached, nil
}

// checkAnswer rejects an empty answer and, when thinking is off, leaked
// reasoning.
func checkAnswer(resp *llm.Response, spec *llm.ModelSpec) error {
	if spt.Strip(resp.Text) == "" {
		return &llm.Error{Kind: llm.KindEmpty, Provider: spec.Provider, Model: spec.Model, Message: "empty answer"}
	}
	if !thinkingEnabled(spec) && len([]rune(strings.TrimSpace(resp.Reasoning))) > maxLeakedReasoning {
		return errors.New("the model reasoned although thinking is off")
	}
	return nil
}

// thinkingEnabled is the record's thinking_enabled: a thinking budget, or
// an extra `reasoning: {enabled: true}`; a no-think suffix or
// `reasoning: {enabled: false}` means off.
func thinkingEnabled(spec *llm.ModelSpec) bool {
	if spec.NoThinkSuffix != "" {
		return false
	}
	if r, ok := spec.Extra["reasoning"].(map[string]any); ok {
		if on, ok := r["enabled"].(bool); ok {
			return on
		}
	}
	return spec.Thinking > 0
}

// Record is the inference record of an answer (spec §6.5): S,
// input_tokens, output_tokens, string_length, generation_time,
// temperature, top_p, top_k, thinking_enabled in the original's order, then
// no_think_suffix (what was appended to the system prompt), served_model,
// stop_reason, and simulated for sim answers. Token counts missing from the
// response are estimated as the original did (characters / 4).
func Record(spec *llm.ModelSpec, sent *llm.Request, resp *llm.Response) *pyjson.Object {
	s := spt.Strip(resp.Text)
	in, out := resp.Usage.InputTokens, resp.Usage.OutputTokens
	if in == 0 && out == 0 {
		var all []string
		all = append(all, sent.System)
		for _, m := range sent.Messages {
			all = append(all, m.Content)
		}
		in, out = int64(spt.Len(strings.Join(all, " "))/4), int64(spt.Len(s)/4)
	}
	o := pyjson.NewObject(14)
	o.Set("S", s)
	o.Set("input_tokens", in)
	o.Set("output_tokens", out)
	o.Set("string_length", spt.Len(s))
	o.Set("generation_time", resp.Latency.Seconds())
	o.Set("temperature", optFloat(sent.Temperature))
	o.Set("top_p", optFloat(sent.TopP))
	o.Set("top_k", optInt(sent.TopK))
	o.Set("thinking_enabled", thinkingEnabled(spec))
	o.Set("no_think_suffix", spec.NoThinkSuffix)
	o.Set("served_model", resp.Model)
	o.Set("stop_reason", string(resp.StopReason))
	if resp.Simulated {
		o.Set("simulated", true)
	}
	return o
}

func optFloat(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func optInt(i *int) any {
	if i == nil {
		return nil
	}
	return *i
}
