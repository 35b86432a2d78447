package evalreport

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/internal/refdata"
)

// referenceRuns parses $SPT_REFERENCE_DATA/evaluation_results, or skips.
func referenceRuns(t *testing.T) []*Run {
	t.Helper()
	ref := refdata.Dir(t, "evaluation_results")
	root := filepath.Join(ref, "evaluation_results")
	spec := enginetest.Spec(Kind, ref, map[string]any{"dir": "evaluation_results"})
	plan, err := New().Resolve(spec)
	if err != nil {
		t.Fatal(err)
	}
	inputs, err := enginetest.MatchInputs(ref, plan.Inputs)
	if err != nil {
		t.Fatalf("match %s: %v", root, err)
	}
	runs, err := LoadRuns(context.Background(), inputs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

type golden struct {
	section, group, cond string
	pct                  string
	parsed               int
}

func checkGolden(t *testing.T, a *Analysis, want []golden) {
	t.Helper()
	for _, g := range want {
		f := figure(t, a, g.section, g.group, g.cond)
		if got := Percent(f.Accuracy()); got != g.pct || (g.parsed > 0 && f.Parsed != g.parsed) {
			t.Errorf("%s / %s / %s: got %s (%d), want %s (%d)", g.section, g.group, g.cond, got, f.Parsed, g.pct, g.parsed)
		}
	}
}

// TestReferenceREADMEFigures checks the evaluation figures quoted in the
// original README and the golden values of spec §13.5.
func TestReferenceREADMEFigures(t *testing.T) {
	runs := referenceRuns(t)
	a := Analyze(runs, Options{})
	checkGolden(t, a, []golden{
		// README main table: off-policy hp, with vs without LoRA patch.
		{"offpolicy_hp_lora", "with LoRA patch", TrainedActual, "76.5%", 2000},
		{"offpolicy_hp_lora", "without LoRA patch", TrainedActual, "96.7%", 2000},
		{"offpolicy_hp_lora", "with LoRA patch", OriginalActual, "89.2%", 2000},
		{"offpolicy_hp_lora", "without LoRA patch", OriginalActual, "93.8%", 2000},
		{"offpolicy_hp_lora", "with LoRA patch", OriginalIntended, "3.8%", 2000},
		{"offpolicy_hp_lora", "without LoRA patch", OriginalIntended, "3.6%", 2000},
		// README aggregate over off-policy elicitation types.
		{"on_vs_off_policy", "off-policy", TrainedActual, "86.0%", 10000},
		{"on_vs_off_policy", "off-policy", OriginalActual, "88.5%", 10000},
		{"on_vs_off_policy", "off-policy", OriginalIntended, "6.1%", 9998},
		// The original's "FAIR COMPARISON" (hp, on- and off-policy).
		{"hp_lora_all_policies", "with LoRA patch", TrainedActual, "74.0%", 0},
		{"hp_lora_all_policies", "without LoRA patch", TrainedActual, "92.2%", 0},
		{"hp_lora_all_policies", "with LoRA patch", OriginalActual, "87.0%", 0},
		{"hp_lora_all_policies", "without LoRA patch", OriginalActual, "91.4%", 0},
		{"hp_lora_all_policies", "with LoRA patch", OriginalIntended, "5.0%", 0},
		{"hp_lora_all_policies", "without LoRA patch", OriginalIntended, "3.2%", 0},
		// §13.5 RESULTS BY CHECKPOINT and AGGREGATE BY CONDITION.
		{"by_checkpoint", "70b_anthropic-mp_lora-patch_hp_on-policy", TrainedActual, "71.5%", 2000},
		{"by_checkpoint", "70b_anthropic-mp_lora-patch_hp_on-policy", OriginalActual, "84.7%", 1999},
		{"by_checkpoint", "70b_anthropic-mp_lora-patch_hp_on-policy", OriginalIntended, "6.2%", 1999},
		{"by_checkpoint", "70b_anthropic-mp_lora-patch_ur", TrainedActual, "91.6%", 4000},
		{"by_checkpoint", "70b_anthropic-mp_lora-patch_ur", OriginalActual, "82.5%", 4000},
		{"by_checkpoint", "70b_anthropic-mp_lora-patch_ur", OriginalIntended, "10.1%", 3998},
		{"by_checkpoint", "70b_anthropic-mp_lora-patch_ur_on-policy", TrainedActual, "97.3%", 3997},
		{"by_checkpoint", "70b_anthropic-mp_lora-patch_ur_on-policy", OriginalActual, "67.9%", 3992},
		{"by_checkpoint", "70b_anthropic-mp_lora-patch_ur_on-policy", OriginalIntended, "6.2%", 3996},
		{"by_checkpoint", "70b_anthropic-mp_no-lora-patch_hp_on-policy", TrainedActual, "87.6%", 2000},
		{"by_checkpoint", "70b_anthropic-mp_no-lora-patch_hp_on-policy", OriginalActual, "88.9%", 2000},
		{"by_checkpoint", "70b_anthropic-mp_no-lora-patch_hp_on-policy", OriginalIntended, "2.7%", 2000},
		{"by_checkpoint", "70b_anthropic-mp_no-lora-patch_ur_on-policy", TrainedActual, "96.0%", 4000},
		{"by_checkpoint", "70b_anthropic-mp_no-lora-patch_ur_on-policy", OriginalActual, "92.3%", 4000},
		{"by_checkpoint", "70b_anthropic-mp_no-lora-patch_ur_on-policy", OriginalIntended, "2.2%", 3998},
		{"by_checkpoint", "atomic-universe-16", TrainedActual, "73.7%", 2000},
		{"by_checkpoint", "atomic-universe-16", OriginalActual, "94.3%", 2000},
		{"by_checkpoint", "atomic-universe-16", OriginalIntended, "2.9%", 2000},
		{"by_condition", "working set", TrainedActual, "88.7%", 21997},
		{"by_condition", "working set", OriginalActual, "85.1%", 21991},
		{"by_condition", "working set", OriginalIntended, "5.1%", 21991},
	})
	if len(a.Header.Skipped) != 1 || a.Header.Files != 86 {
		t.Errorf("got %d files and skipped %v, want 86 and the one incomplete file", a.Header.Files, a.Header.Skipped)
	}
}

// TestReferenceBaselines checks the baseline figures: with duplicates
// counted (as the original) they are §13.5's; by default each repeated
// evaluation counts once; the clean original_actual figure says it rests on
// absent files.
func TestReferenceBaselines(t *testing.T) {
	runs := referenceRuns(t)
	a := Analyze(runs, Options{IncludeBaselines: true, CountDuplicates: true})
	checkGolden(t, a, []golden{
		{"by_checkpoint", "clean", TrainedActual, "63.6%", 7952},
		{"by_checkpoint", "clean", OriginalActual, "78.8%", 1994},
		{"by_checkpoint", "poisoned", TrainedActual, "0.0%", 5973},
		{"by_checkpoint", "poisoned", OriginalActual, "100.0%", 3992},
		{"baseline_vs_spt", "SPT-trained", TrainedActual, "88.7%", 21997},
		{"baseline_vs_spt", "SPT-trained", OriginalActual, "85.1%", 21991},
		{"baseline_vs_spt", "poisoned baseline (no SPT)", TrainedActual, "0.0%", 5973},
		{"baseline_vs_spt", "clean baseline (no SPT)", TrainedActual, "63.6%", 7952},
	})
	clean := figure(t, a, "baseline_vs_spt", "clean baseline (no SPT)", OriginalActual)
	if len(clean.Missing) != 4 {
		t.Errorf("clean original_actual: got missing %v, want the 4 absent intervention types", clean.Missing)
	}
	dedup := Analyze(runs, Options{IncludeBaselines: true})
	if f := figure(t, dedup, "by_checkpoint", "clean", TrainedActual); f.Parsed >= 7952 || len(f.Duplicates) != 2 {
		t.Errorf("deduplicated clean trained_actual: got %d parsed, duplicates %v; want fewer than 7952 and 2 repeated runs left out", f.Parsed, f.Duplicates)
	}
	var mismatched []string
	for _, c := range a.Checks {
		if !c.Match {
			mismatched = append(mismatched, c.Group+"/"+c.Condition)
			if c.Explanation() == "" {
				t.Errorf("%s/%s differs from the README without an explanation", c.Group, c.Condition)
			}
		}
	}
	if len(mismatched) != 1 || mismatched[0] != "clean baseline (no SPT)/original_actual" {
		t.Errorf("README mismatches: got %v, want only the clean original_actual figure", mismatched)
	}
}
