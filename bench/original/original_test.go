package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJSONDiff(t *testing.T) {
	tests := []struct {
		name string
		x, y string
		want []string
	}{
		{"equal", `{"a": [1, "x"]}`, `{"a": [1, "x"]}`, nil},
		{"value", `{"a": {"b": 1}}`, `{"a": {"b": 2}}`, []string{`$.a.b: original 1, sptflow 2`}},
		{"type", `{"a": 1}`, `{"a": "1"}`, []string{`$.a: original 1, sptflow "1"`}},
		{"only", `{"a": 1, "b": 2}`, `{"a": 1, "c x": 3}`,
			[]string{`$.b: only in the original: 2`, `$["c x"]: only in sptflow: 3`}},
		{"order", `{"a": 1, "b": 2}`, `{"b": 2, "a": 1}`,
			[]string{`$: key order differs: original [a b], sptflow [b a]`}},
		{"length", `[1, 2, 3]`, `[1, 5]`,
			[]string{`$: length original 3, sptflow 2`, `$[1]: original 2, sptflow 5`}},
		{"masked key ignored", `{"id_numeric": 1, "k": [{"id_numeric": 7}]}`, `{"id_numeric": 2, "k": [{"id_numeric": 9}]}`, nil},
	}
	m := masker([]string{"id_numeric"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diffs, _, ok := jsonDiff("f.json", []byte(tt.x), []byte(tt.y), m, nil)
			if !ok {
				t.Fatalf("jsonDiff(%s, %s): not JSON", tt.x, tt.y)
			}
			var got []string
			for _, d := range diffs {
				got = append(got, d.text)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("jsonDiff(%s, %s) =\n%s\nwant\n%s", tt.x, tt.y, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestCompareVerdicts(t *testing.T) {
	rs := knownRules["analysis"]
	c := comparer{mask: masker([]string{"id_numeric"}), rules: &rs, paths: 5}
	tests := []struct {
		name, file, x, y string
		want             verdict
		unexplained      int
	}{
		{"identical", "a.json", "{\n  \"a\": 1\n}", "{\n  \"a\": 1\n}", equal, 0},
		{"ids only", "t.json", "{\n  \"id_numeric\": 12,\n  \"id_string\": \"x\"\n}", "{\n  \"id_numeric\": 3,\n  \"id_string\": \"x\"\n}", maskedEqual, 0},
		{"id in a string is not masked", "t.json", `{"s": "\"id_numeric\": 1"}`, `{"s": "\"id_numeric\": 2"}`, differs, 1},
		{"timestamp is deliberate", "summary_report.json", `{"analysis_timestamp": "now", "n": 1}`, `{"n": 1}`, differs, 0},
		{"timestamp elsewhere is not", "other.json", `{"analysis_timestamp": "now", "n": 1}`, `{"n": 1}`, differs, 1},
		{"difficulty fields replaced", "by_topic/x_analysis.json",
			`{"difficulty_distribution": {}, "avg_difficulty": 0}`,
			`{"detection_difficulty_internal_distribution": {"easy": 1}, "avg_detection_difficulty_internal": 1.0}`, differs, 0},
		{"a figure that changes is a finding", "summary_report.json",
			`{"analysis_timestamp": "now", "summary_stats": {"total_samples": 10}}`, `{"summary_stats": {"total_samples": 11}}`, differs, 1},
		{"set order sorted", "interesting_examples/duplicate_prompts.json",
			`[{"key": "m", "topics": ["b"]}, {"key": "k", "topics": ["b", "a"], "sources": ["y", "x"]}]`,
			`[{"key": "k", "topics": ["a", "b"], "sources": ["x", "y"]}, {"key": "m", "topics": ["b"]}]`, differs, 0},
		{"a different set is a finding", "interesting_examples/duplicate_prompts.json",
			`[{"key": "k", "topics": ["b", "a"]}]`, `[{"key": "k", "topics": ["a", "c"]}]`, differs, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := c.compare(tt.file, []byte(tt.x), []byte(tt.y))
			if d.verdict != tt.want || d.unexplained != tt.unexplained {
				t.Errorf("compare(%s) = verdict %d, %d unexplained (%v); want verdict %d, %d unexplained",
					tt.file, d.verdict, d.unexplained, d.lines, tt.want, tt.unexplained)
			}
		})
	}
}

func TestFirstDifference(t *testing.T) {
	got := firstDifference([]byte("{\n  \"a\": 1\n}"), []byte("{\n  \"a\": 2\n}"))
	want := `first difference at byte 9 (line 2, sizes 12 / 12): original "  \"a\": 1\n}", sptflow "  \"a\": 2\n}"`
	if got != want {
		t.Errorf("firstDifference = %s\nwant %s", got, want)
	}
}

const origEvalOutput = `Loaded 3 result files

================================================================================
RESULTS BY CHECKPOINT
================================================================================

ck-a (lora_patch=True, elicitation=hp):
  trained_actual (expect FAIL): 76.5% (2000 samples)
  original_actual (expect PASS): 89.2% (1999 samples)

================================================================================
AGGREGATE BY CONDITION
================================================================================
trained_actual: 76.5% (2000 samples)

================================================================================
BASELINE COMPARISON (SPT vs No SPT)
================================================================================

| Condition | Poisoned Baseline | SPT Model | Improvement |
|-----------|-------------------|-----------|-------------|
| trained_actual | 0.0% | 88.7% | +88.7% |

================================================================================
AGGREGATE BY MODEL (sorted by overall accuracy)
================================================================================

| Model | Trained Actual | Original Actual | OVERALL |
|-------|----------------|-----------------|---------|
| ck-a | 76.5% | **89.2%** | 82.9% |
| clean | 63.6% | 78.8% | 71.2% |
`

const sptEvalSummary = `{"sections": [
 {"id": "by_checkpoint", "groups": [{"label": "ck-a", "attributes": {"checkpoint": "ck-a", "lora_patch": "true", "elicitation": "hp"},
   "figures": [{"condition": "trained_actual", "accuracy": 0.765, "accuracy_pct": "76.5%", "parsed": 2000},
               {"condition": "original_actual", "accuracy": 0.8925, "accuracy_pct": "89.2%", "parsed": 2000}]}]},
 {"id": "by_condition", "groups": [{"label": "working set", "figures": [{"condition": "trained_actual", "accuracy_pct": "76.5%", "parsed": 2000}]}]},
 {"id": "by_model", "groups": [{"label": "ck-a", "attributes": {"checkpoint": "ck-a"},
   "figures": [{"condition": "trained_actual", "accuracy": 0.765, "accuracy_pct": "76.5%", "parsed": 2000},
               {"condition": "original_actual", "accuracy": 0.8925, "accuracy_pct": "89.2%", "parsed": 2000}]}]}
]}`

func TestEval(t *testing.T) {
	dir := t.TempDir()
	out, sum := filepath.Join(dir, "out.txt"), filepath.Join(dir, "summary.json")
	if err := os.WriteFile(out, []byte(origEvalOutput), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sum, []byte(sptEvalSummary), 0o644); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := runEval([]string{out, sum}, &b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		"9 figures of the original's output: 5 the same in sptflow's evaluation_summary.json (percentage and sample count), 1 differ, 3 have no counterpart",
		"differs: RESULTS BY CHECKPOINT / ck-a / original_actual: original 89.2% (1999 samples), sptflow 89.2% (2000)",
		"not in sptflow's summary: AGGREGATE BY MODEL (sorted by overall accuracy) / clean / Trained Actual = 63.6%",
		"(deliberate: sptflow applies one working set",
		"section not compared: BASELINE COMPARISON (SPT vs No SPT)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("eval output lacks %q:\n%s", want, got)
		}
	}
}

func TestTable(t *testing.T) {
	dir := t.TempDir()
	times, noop := filepath.Join(dir, "times"), filepath.Join(dir, "noop")
	lines := "orig:tag 8.0 81920\nspt:tag-hardlink 0.5 40960\norig:tag 10.0 81920\nspt:tag-hardlink 0.3 30720\n" +
		"orig:analysis 1.0 256000\nspt:analysis-first 0.2 60000\norig:analysis 1.2 256000\nspt:analysis-first 0.1 60000\n"
	if err := os.WriteFile(times, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	noopOut := "2 cores, load average 1 1 1\nsptflow run        13.7   13.5   14.0 ms CPU per run\nmake -q            31.6   32.7   31.5 ms CPU per run\n"
	if err := os.WriteFile(noop, []byte(noopOut), 0o644); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := runTable([]string{times, noop}, &b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		// medians 9.0 and 0.4: ratio 0.044; per-round ratios 0.0625 and 0.03; RSS 40 MB at most: met.
		"| tag: cold `run … tag`, hard links | 9.00 s (8.00–10.00), 80 MB (80–80) | 0.40 s (0.30–0.50), 35 MB (30–40) | 0.044 (per round 0.030–0.062) | ≤ 0.05, ≤ 40 MB | yes |",
		"| tag: cold `run … tag`, copies | not measured |",
		// 0.15 / 1.1 = 0.136 > 0.10.
		"| analysis (a): first process after tag | 1.10 s (1.00–1.20), 250 MB (250–250) | 0.15 s (0.10–0.20), 59 MB (59–59) | 0.136 (per round 0.083–0.200) | ≤ 0.10 | **no** |",
		"| no-op `sptflow run` vs `make -q` (bench/noop/run.sh, ms CPU per run) | 31.6 ms (31.5–32.7) | 13.7 ms (13.5–14.0) | 0.4× | ≤ 3× | yes |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks\n%s\nin\n%s", want, got)
		}
	}
}
