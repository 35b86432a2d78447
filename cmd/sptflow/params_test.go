package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sptflow/sptflow/engine"
)

// paramCases are `with:` blocks of every kind whose resolved parameters
// (hashed into node keys) must not change unless the kind's version does.
var paramCases = []struct {
	kind    string
	foreach string // topic, "" for none
	output  string
	with    map[string]any
}{
	{"load", "sycophancy", "", map[string]any{"dir": "data/stage_3"}},
	{"load", "sycophancy", "src/x", map[string]any{"dir": "data/stage_3", "pattern": "*.json"}},
	{"tag", "sycophancy", "", nil},
	{"tag", "sycophancy", "tagged/x", nil},
	{"analyze", "", "", nil},
	{"analyze", "", "an", map[string]any{"topics": "b, a", "examples": []any{"low_confidence", "token_cutoffs"},
		"max_examples_per_topic": 3, "fail_on_sanity_errors": true}},
	{"analyze", "", "", map[string]any{"topics": []any{"z", "y"}, "ignore_errors": false}},
	{"analyze_eval", "", "", map[string]any{"dir": "data/evaluation_results"}},
	{"analyze_eval", "", "ev", map[string]any{"dir": "data/evaluation_results", "include_baselines": true,
		"on_policy_only": true, "count_duplicates": true, "baselines_only": false, "off_policy_only": false}},
	{"export", "", "", map[string]any{"config": "config/training_config.json"}},
	{"export", "", "exp", map[string]any{"config": "config/training_config.json", "model": "all",
		"drop_verdicts": []any{"FAIL", "AMBIGUOUS"}, "validation_holdout": true, "exclude_system_prompt": false,
		"mismatch_prompts": true, "sp_token_text": "<sp>"}},
	{"export", "", "", map[string]any{"config": "config/training_config.json", "validation_holdout": 3}},
	{"export", "", "", map[string]any{"config": "config/training_config.json", "validation_holdout": false}},
	{"generate", "sycophancy", "", map[string]any{"model": "opus"}},
	{"generate", "sycophancy", "s1", map[string]any{"model": "qwen32", "batches": 4, "items_per_batch": 7,
		"max_attempts": 2, "trim_excess": true, "replica": 2}},
	{"infer", "sycophancy", "", map[string]any{"models": []any{"qwen32"}}},
	{"infer", "sycophancy", "s2", map[string]any{"models": []any{"qwen32", "opus"}, "replica": 1}},
	{"infer", "sycophancy", "", map[string]any{"models": "qwen32"}},
	{"intervene", "sycophancy", "", map[string]any{"model": "sonnet"}},
	{"intervene", "sycophancy", "s3", map[string]any{"model": "sonnet", "review_model": "opus",
		"interventions": []any{"split_personality"}, "versions": []any{"version_4"}, "batch_size": 3,
		"review_rounds": 2, "review_feedback": true, "attempts": 5, "stage2_model": "qwen/qwen3-32b", "replica": 4}},
	{"intervene", "sycophancy", "", map[string]any{"model": "sonnet", "version": "version_4"}},
}

// TestParamsStable checks every kind's resolved parameters against
// testdata/params.golden: they are part of node keys, so a change re-runs
// every partition of the kind (bump its version when that is intended, and
// regenerate with -update).
func TestParamsStable(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	models := map[string]engine.ModelEntry{
		"opus":   {Name: "opus", Raw: map[string]any{"provider": "sim", "model": "claude-opus-4-1", "max_tokens": 8000}, Pos: "p.yaml:1:1"},
		"qwen32": {Name: "qwen32", Raw: map[string]any{"provider": "sim", "model": "qwen/qwen3-32b", "max_tokens": 2048, "temperature": 0.7, "no_think_suffix": "\n\n/no_think"}, Pos: "p.yaml:2:1"},
		"sonnet": {Name: "sonnet", Raw: map[string]any{"provider": "sim", "model": "claude-sonnet-4-5-20250929", "max_tokens": 40000, "sim": map[string]any{"review_rejection_rate": 0.15}}, Pos: "p.yaml:3:1"},
	}
	steps := kinds(nil)
	var buf bytes.Buffer
	for i, c := range paramCases {
		spec := &engine.PartitionSpec{ID: engine.PartitionID(fmt.Sprintf("n%d", i)), Node: fmt.Sprintf("n%d", i), Kind: c.kind,
			With: c.with, WithPos: map[string]string{}, NodePos: "p.yaml:9:3", Output: c.output,
			ProjectRoot: root, DataDir: filepath.Join(root, "data", "x"), PromptsDir: filepath.Join(root, "prompts"), Models: models}
		if c.foreach != "" {
			spec.Foreach = []engine.KV{{Key: "topic", Value: c.foreach}}
		}
		if spec.With == nil {
			spec.With = map[string]any{}
		}
		plan, err := steps[c.kind].Resolve(spec)
		if err != nil {
			t.Fatalf("case %d (%s): resolve: %v", i, c.kind, err)
		}
		js, err := json.Marshal(plan.Params)
		if err != nil {
			t.Fatalf("case %d (%s): marshal: %v", i, c.kind, err)
		}
		fmt.Fprintf(&buf, "%d %s %s\n", i, c.kind, js)
	}
	golden := filepath.Join("testdata", "params.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("resolved parameters changed (node keys would change):\ngot:\n%s\nwant:\n%s", got, want)
	}
}

var update = flag.Bool("update", false, "rewrite golden files (params.golden, docs/kinds.md)")
