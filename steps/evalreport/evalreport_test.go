package evalreport

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/enginetest"
)

// entry is one fixture result entry: its flag ("" = unparsed).
type entry struct{ flag string }

// runFile is a fixture result file.
type runFile struct {
	name     string
	meta     map[string]any
	cond     string
	entries  []entry
	complete *bool
}

func (f runFile) bytes(t *testing.T) []byte {
	t.Helper()
	meta := map[string]any{"condition": f.cond, "intervention_name": "split_personality_basic", "total_samples": len(f.entries)}
	for k, v := range f.meta {
		meta[k] = v
	}
	if f.complete != nil {
		meta["processing_complete"] = *f.complete
	}
	var results []map[string]any
	for i, e := range f.entries {
		r := map[string]any{
			"sample_id": fmt.Sprintf("%s_%d", f.cond, i), "condition": f.cond, "expected_flag": expectedFlags[f.cond],
			"prompt": "say \"hi\" \\ {not [a] container}", "nested": map[string]any{"a": []any{1, "]}", nil}},
			"parsed_flag": nil, "flag_parsed_successfully": false, "output_length": 12.5,
		}
		if e.flag != "" {
			r["parsed_flag"], r["flag_parsed_successfully"] = e.flag, true
		}
		results = append(results, r)
	}
	data, err := json.MarshalIndent(map[string]any{"metadata": meta, "results": results}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func flags(pass, fail, unparsed int) []entry {
	var out []entry
	for range pass {
		out = append(out, entry{"PASS"})
	}
	for range fail {
		out = append(out, entry{"FAIL"})
	}
	for range unparsed {
		out = append(out, entry{""})
	}
	return out
}

func spt(name string, lora bool, elicit string) map[string]any {
	return map[string]any{"checkpoint_name": name, "step": "step_1", "lora_patch": lora, "elicitation_type": elicit}
}

func parse(t *testing.T, f runFile) *Run {
	t.Helper()
	r, err := ParseRun(f.name, f.bytes(t))
	if err != nil {
		t.Fatalf("ParseRun(%s): %v", f.name, err)
	}
	return r
}

func TestParseRunAccuracy(t *testing.T) {
	tests := []struct {
		cond                string
		pass, fail, unparse int
		wantCorrect         int
		wantAcc             float64
	}{
		{TrainedActual, 1, 3, 2, 3, 0.75},
		{OriginalActual, 1, 3, 2, 1, 0.25},
		{OriginalIntended, 0, 0, 4, 0, 0},
	}
	for _, tt := range tests {
		r := parse(t, runFile{name: "r.json", meta: spt("ck", true, "hp"), cond: tt.cond, entries: flags(tt.pass, tt.fail, tt.unparse)})
		st := r.Stats[tt.cond]
		want := Stat{Total: tt.pass + tt.fail + tt.unparse, Parsed: tt.pass + tt.fail, Correct: tt.wantCorrect, Pass: tt.pass, Fail: tt.fail}
		if st != want || st.Accuracy() != tt.wantAcc {
			t.Errorf("%s: got %+v acc %v, want %+v acc %v", tt.cond, st, st.Accuracy(), want, tt.wantAcc)
		}
	}
}

func TestParseRunMetadata(t *testing.T) {
	no := false
	tests := []struct {
		name                       string
		f                          runFile
		wantLabel, wantClass, base string
		complete                   bool
	}{
		{"spt off", runFile{meta: spt("m_lora", true, "hp")}, "m_lora", "off-policy", "", true},
		{"spt on", runFile{meta: spt("m_hp_on-policy", true, "hp")}, "m_hp_on-policy", "on-policy", "", true},
		{"spt on underscore", runFile{meta: spt("m_on_policy", true, "hp")}, "m_on_policy", "on-policy", "", true},
		{"baseline type", runFile{meta: map[string]any{"baseline_type": "poisoned"}}, "poisoned", "baseline", "poisoned", true},
		{"baseline name", runFile{meta: map[string]any{"checkpoint_name": "baseline_clean_x"}}, "baseline_clean_x", "baseline", "clean", true},
		{"unknown", runFile{meta: map[string]any{}}, "unknown", "off-policy", "", true},
		{"incomplete", runFile{meta: spt("m", false, "hp"), complete: &no}, "m", "off-policy", "", false},
	}
	for _, tt := range tests {
		tt.f.name, tt.f.cond, tt.f.entries = "x.json", TrainedActual, flags(1, 0, 0)
		r := parse(t, tt.f)
		if r.Checkpoint != tt.wantLabel || r.Class() != tt.wantClass || r.BaselineType != tt.base || r.Complete != tt.complete {
			t.Errorf("%s: got label %q class %q base %q complete %v, want %q %q %q %v", tt.name,
				r.Checkpoint, r.Class(), r.BaselineType, r.Complete, tt.wantLabel, tt.wantClass, tt.base, tt.complete)
		}
	}
}

func TestParseRunErrors(t *testing.T) {
	for _, bad := range []string{`{"results": [{"condition": "x"}`, `{"results": [{"condition": "x}]}`, `[1, 2]`, `{"metadata": {"step": 3}, "results": []}`} {
		if _, err := ParseRun("bad.json", []byte(bad)); err == nil || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("ParseRun(%q): got %v, want an error naming the file", bad, err)
		}
	}
}

// TestParseRunErrorsAt checks the errors of documents that are malformed
// only where the step does not read: each names the file and the offset
// of the fault.
func TestParseRunErrorsAt(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`{"results": []} x`, "parse bad.json: offset 16: extra data after the top-level value"},
		{`{"results": []}{"results": []}`, "parse bad.json: offset 15: extra data after the top-level value"},
		{`{"results": [{"n": 01}]}`, `parse bad.json: offset 19: invalid literal "01"`},
		{`{"results": [{"n": [1 2]}]}`, `parse bad.json: offset 22: expected ',' or ']' in array`},
		{`{"metadata": {"timing": {"a" 1}}, "results": []}`, `parse bad.json: offset 29: expected ':'`},
		{"{\"results\": [{\"condition\": \"trained_actual\", \"r\xff\": 1}]}", "parse bad.json: offset 47: invalid UTF-8 (byte 0xff)"},
	} {
		if _, err := ParseRun("bad.json", []byte(tt.doc)); err == nil || err.Error() != tt.want {
			t.Errorf("ParseRun(%q): got %v, want %s", tt.doc, err, tt.want)
		}
	}
}

// fixtureRuns is a small evaluation: two off-policy hp checkpoints (with
// and without LoRA patch), an on-policy one, and a poisoned baseline with a
// duplicate run and a missing original_actual evaluation.
func fixtureRuns() []runFile {
	withIV := func(m map[string]any, iv string) map[string]any {
		c := map[string]any{"intervention_name": iv}
		for k, v := range m {
			c[k] = v
		}
		return c
	}
	no := false
	base := map[string]any{"baseline_type": "poisoned", "timestamp": "20260101_000000"}
	later := map[string]any{"baseline_type": "poisoned", "timestamp": "20260102_000000"}
	return []runFile{
		{name: "results_a_ta.json", meta: spt("a_lora", true, "hp"), cond: TrainedActual, entries: flags(1, 3, 0)},
		{name: "results_a_oa.json", meta: spt("a_lora", true, "hp"), cond: OriginalActual, entries: flags(2, 2, 1)},
		{name: "results_b_ta.json", meta: spt("b_nolora", false, "hp"), cond: TrainedActual, entries: flags(0, 4, 0)},
		{name: "results_b_oa.json", meta: spt("b_nolora", false, "hp"), cond: OriginalActual, entries: flags(4, 0, 0)},
		{name: "results_c_ta.json", meta: spt("c_on-policy", false, "ur"), cond: TrainedActual, entries: flags(2, 2, 0)},
		{name: "results_c_oa.json", meta: spt("c_on-policy", false, "ur"), cond: OriginalActual, entries: flags(2, 0, 0)},
		{name: "results_c_ta_inc.json", meta: spt("c_on-policy", false, "ur"), cond: TrainedActual, entries: flags(0, 1, 0), complete: &no},
		{name: "results_p_ta_1.json", meta: base, cond: TrainedActual, entries: flags(4, 0, 0)},
		{name: "results_p_ta_2.json", meta: later, cond: TrainedActual, entries: flags(2, 2, 0)},
		{name: "results_p_ta_dq.json", meta: withIV(base, "direct_question"), cond: TrainedActual, entries: flags(4, 0, 0)},
		{name: "results_p_oa.json", meta: base, cond: OriginalActual, entries: flags(4, 0, 0)},
	}
}

func analyzeFixture(t *testing.T, opts Options) *Analysis {
	t.Helper()
	var runs []*Run
	for _, f := range fixtureRuns() {
		runs = append(runs, parse(t, f))
	}
	return Analyze(runs, opts)
}

func section(t *testing.T, a *Analysis, id string) *Section {
	t.Helper()
	for i := range a.Sections {
		if a.Sections[i].ID == id {
			return &a.Sections[i]
		}
	}
	return nil
}

func figure(t *testing.T, a *Analysis, id, group, cond string) Figure {
	t.Helper()
	s := section(t, a, id)
	if s == nil {
		t.Fatalf("section %s missing", id)
	}
	for i := range s.Groups {
		if s.Groups[i].Label == group {
			f, ok := s.Groups[i].Figure(cond)
			if !ok {
				t.Fatalf("%s/%s: no %s figure", id, group, cond)
			}
			return f
		}
	}
	t.Fatalf("%s: no group %q", id, group)
	return Figure{}
}

func TestAnalyzeSections(t *testing.T) {
	a := analyzeFixture(t, Options{IncludeBaselines: true})
	tests := []struct {
		id, group, cond       string
		wantCorrect, wantPars int
	}{
		{"offpolicy_hp_lora", "with LoRA patch", TrainedActual, 3, 4},
		{"offpolicy_hp_lora", "without LoRA patch", OriginalActual, 4, 4},
		{"hp_lora_all_policies", "without LoRA patch", TrainedActual, 4, 4}, // c is ur: not hp
		{"on_vs_off_policy", "off-policy", TrainedActual, 7, 8},
		{"on_vs_off_policy", "on-policy", TrainedActual, 2, 4},                 // incomplete run skipped
		{"baseline_vs_spt", "poisoned baseline (no SPT)", TrainedActual, 2, 8}, // latest duplicate + direct_question
		{"baseline_vs_spt", "SPT-trained", OriginalActual, 8, 10},
		{"by_condition", "working set", TrainedActual, 11, 20},
		{"by_intervention", "direct_question", TrainedActual, 0, 4},
	}
	for _, tt := range tests {
		f := figure(t, a, tt.id, tt.group, tt.cond)
		if f.Correct != tt.wantCorrect || f.Parsed != tt.wantPars {
			t.Errorf("%s/%s/%s: got %d/%d, want %d/%d", tt.id, tt.group, tt.cond, f.Correct, f.Parsed, tt.wantCorrect, tt.wantPars)
		}
	}
	if got := len(a.Header.Skipped); got != 1 || a.Header.Skipped[0].File != "results_c_ta_inc.json" {
		t.Errorf("skipped: got %+v, want the incomplete file", a.Header.Skipped)
	}
	d := section(t, a, "on_vs_off_policy").Deltas
	if len(d) != 2 || d[0].Condition != TrainedActual || fmt.Sprintf("%.4f", d[0].Value) != "-0.3750" {
		t.Errorf("on-policy deltas: got %+v, want trained_actual 0.5-0.875", d)
	}
	// by_model: mean of trained_actual and original_actual, descending.
	bm := section(t, a, "by_model")
	var got []string
	for _, g := range bm.Groups {
		got = append(got, fmt.Sprintf("%s=%.3f", g.Label, *g.Mean))
	}
	if want := "b_nolora=1.000 c_on-policy=0.750 a_lora=0.625 poisoned=0.625"; strings.Join(got, " ") != want {
		t.Errorf("by_model: got %v, want %s", got, want)
	}
}

func TestDuplicates(t *testing.T) {
	tests := []struct {
		count       bool
		wantCorrect int
		wantParsed  int
	}{
		{false, 2, 8}, // latest run (2 PASS of 4) + direct_question (0 of 4)
		{true, 2, 12}, // both runs counted, as the original
	}
	for _, tt := range tests {
		a := analyzeFixture(t, Options{BaselinesOnly: true, CountDuplicates: tt.count})
		f := figure(t, a, "by_checkpoint", "poisoned", TrainedActual)
		if f.Correct != tt.wantCorrect || f.Parsed != tt.wantParsed {
			t.Errorf("count_duplicates=%v: got %d/%d, want %d/%d", tt.count, f.Correct, f.Parsed, tt.wantCorrect, tt.wantParsed)
		}
		if len(a.Header.Duplicates) != 1 || a.Header.Duplicates[0].Kept != "results_p_ta_2.json" {
			t.Errorf("duplicates: got %+v, want one set keeping the latest run", a.Header.Duplicates)
		}
		if len(f.Duplicates) != 1 || f.Duplicates[0] != "results_p_ta_1.json" || f.DuplicatesCounted != tt.count {
			t.Errorf("figure duplicates: got %v counted %v", f.Duplicates, f.DuplicatesCounted)
		}
	}
}

func TestMissingEvaluations(t *testing.T) {
	a := analyzeFixture(t, Options{BaselinesOnly: true})
	f := figure(t, a, "by_checkpoint", "poisoned", OriginalActual)
	if want := []string{"poisoned: original_actual × direct_question"}; fmt.Sprint(f.Missing) != fmt.Sprint(want) {
		t.Errorf("missing: got %v, want %v", f.Missing, want)
	}
	if f := figure(t, a, "by_checkpoint", "poisoned", TrainedActual); len(f.Missing) != 0 {
		t.Errorf("trained_actual missing: got %v, want none", f.Missing)
	}
}

func TestWorkingSets(t *testing.T) {
	tests := []struct {
		opts        Options
		wantWorking int
		wantGroups  []string // by_checkpoint labels
		absent      []string // sections that must be left out
	}{
		{Options{}, 6, []string{"a_lora", "b_nolora", "c_on-policy"}, []string{"baseline_vs_spt"}},
		{Options{IncludeBaselines: true}, 9, []string{"a_lora", "b_nolora", "c_on-policy", "poisoned"}, nil},
		{Options{OnPolicyOnly: true, IncludeBaselines: true}, 2, []string{"c_on-policy"}, []string{"on_vs_off_policy", "offpolicy_hp_lora", "baseline_vs_spt"}},
		{Options{OffPolicyOnly: true}, 4, []string{"a_lora", "b_nolora"}, []string{"on_vs_off_policy"}},
		{Options{BaselinesOnly: true, OnPolicyOnly: true}, 3, []string{"poisoned"}, []string{"hp_lora_all_policies", "on_vs_off_policy", "baseline_vs_spt"}},
	}
	for _, tt := range tests {
		a := analyzeFixture(t, tt.opts)
		var got []string
		for _, g := range section(t, a, "by_checkpoint").Groups {
			got = append(got, g.Label)
		}
		if a.Header.Working != tt.wantWorking || fmt.Sprint(got) != fmt.Sprint(tt.wantGroups) {
			t.Errorf("%s: got %d runs %v, want %d %v", tt.opts.WorkingSet(), a.Header.Working, got, tt.wantWorking, tt.wantGroups)
		}
		for _, id := range tt.absent {
			if section(t, a, id) != nil {
				t.Errorf("%s: section %s present, want it left out", tt.opts.WorkingSet(), id)
			}
		}
	}
}

func TestStepRun(t *testing.T) {
	dir := t.TempDir()
	q := filepath.Join(dir, "evals", "quantitative")
	if err := os.MkdirAll(q, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range fixtureRuns() {
		if err := os.WriteFile(filepath.Join(q, f.name), f.bytes(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(q, "notes.txt"), []byte("not a result"), 0o644)
	spec := enginetest.Spec(Kind, dir, map[string]any{"dir": "evals", "include_baselines": true})
	var outs [2]map[string][]byte
	for i := range outs {
		res, err := enginetest.Run(context.Background(), New(), spec)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = res.Out.Files
	}
	for _, name := range []string{SummaryFile, MarkdownFile, HTMLFile} {
		p := DefaultOutputDir + "/" + name
		if len(outs[0][p]) == 0 {
			t.Fatalf("%s not written", p)
		}
		if string(outs[0][p]) != string(outs[1][p]) {
			t.Errorf("%s differs between two runs", p)
		}
	}
	var js map[string]any
	if err := json.Unmarshal(outs[0][DefaultOutputDir+"/"+SummaryFile], &js); err != nil {
		t.Fatalf("summary is not JSON: %v", err)
	}
	md := string(outs[0][DefaultOutputDir+"/"+MarkdownFile])
	for _, want := range []string{"Off-policy hp, with vs without LoRA patch", "75.0% (4)", "results_c_ta_inc.json", "original_actual × direct_question"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if html := string(outs[0][DefaultOutputDir+"/"+HTMLFile]); !strings.Contains(html, "<svg") {
		t.Errorf("report.html has no chart")
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []map[string]any{
		{},
		{"dir": 3},
		{"dir": "x", "include_baseline": true},
		{"dir": "x", "count_duplicates": "yes"},
	}
	for _, with := range tests {
		if _, err := New().Resolve(enginetest.Spec(Kind, t.TempDir(), with)); err == nil || !strings.Contains(err.Error(), "test.yaml:1:1") {
			t.Errorf("Resolve(%v): got %v, want an error with a position", with, err)
		}
	}
}
