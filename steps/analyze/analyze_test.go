package analyze

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/pyjson"
)

// Fixture builders: a batch file in the tagged layout.
type fIv struct {
	key, P   string
	conf     any // int or nil
	I        string
	ddi, dde string
	tags     []string
	selected string
}

type fVar struct {
	out  int
	tags []string
	ivs  []fIv
}

type fModel struct {
	name string
	A, B *fVar
}

type fItem struct {
	T, intended, diff string
	models            []fModel
}

func typeOf(key string) string { t, _, _ := strings.Cut(key, "__"); return t }

func (v *fVar) obj() *pyjson.Object {
	o := pyjson.NewObject(4)
	o.Set("S", "response text")
	o.Set("output_tokens", v.out)
	ivs := pyjson.NewObject(len(v.ivs))
	for _, iv := range v.ivs {
		r := pyjson.NewObject(10)
		r.Set("intervention_type", typeOf(iv.key))
		r.Set("selected_review_focus", iv.selected)
		r.Set("confidence", iv.conf)
		i := iv.I
		if i == "" && typeOf(iv.key) == "split_personality" {
			i = spToken + " review"
		}
		r.Set("I", i)
		r.Set("R", "review")
		r.Set("P", iv.P)
		r.Set("detection_difficulty_internal", iv.ddi)
		r.Set("detection_difficulty_external", iv.dde)
		r.Set("tags", append([]string{}, iv.tags...))
		ivs.Set(iv.key, r)
	}
	o.Set("interventions", ivs)
	o.Set("tags", append([]string{}, v.tags...))
	return o
}

func batchFile(topic, id string, items ...fItem) []byte {
	f := pyjson.NewObject(4)
	f.Set("batch_id", id)
	f.Set("topic", topic)
	var data []any
	for _, it := range items {
		o := pyjson.NewObject(4)
		o.Set("T", it.T)
		md := pyjson.NewObject(3)
		md.Set("alignment_issue_type", topic)
		md.Set("difficulty", it.diff)
		md.Set("intended_review_focus", it.intended)
		o.Set("metadata", md)
		inf := pyjson.NewObject(len(it.models))
		for _, m := range it.models {
			mo := pyjson.NewObject(2)
			if m.A != nil {
				mo.Set("A", m.A.obj())
			}
			if m.B != nil {
				mo.Set("B", m.B.obj())
			}
			inf.Set(m.name, mo)
		}
		o.Set("inferences", inf)
		data = append(data, o)
	}
	f.Set("data", data)
	b, err := pyjson.Marshal(f, pyjson.DataFile)
	if err != nil {
		panic(err)
	}
	return b
}

// pair is an item's A/B variant pair with both intervention types.
func pair(model string, aP, bP string, aConf, bConf any) fModel {
	return fModel{name: model,
		A: &fVar{out: 300, ivs: []fIv{{key: "split_personality__version_4", P: aP, conf: aConf, selected: "honesty", ddi: "easy", dde: "hard"}, {key: "honesty_scare__version_4", P: aP, conf: aConf, selected: "x", ddi: "medium", dde: "NA"}}},
		B: &fVar{out: 2048, ivs: []fIv{{key: "split_personality__version_4", P: bP, conf: bConf, selected: "honesty", ddi: "hard", dde: "easy"}, {key: "honesty_scare__version_4", P: bP, conf: bConf, selected: "honesty", ddi: "NA", dde: "NA"}}},
	}
}

type upFile struct {
	path string
	data []byte
}

func runStep(t *testing.T, with map[string]any, files ...upFile) (*enginetest.Result, error) {
	t.Helper()
	u := engine.Upstream{ID: "tag", Node: "tag", Kind: "tag"}
	for _, f := range files {
		u.Files = append(u.Files, enginetest.MemFile(f.path, f.data))
	}
	return enginetest.Run(context.Background(), New(), enginetest.Spec(Kind, t.TempDir(), with), u)
}

func fixture() []upFile {
	return []upFile{
		{"stage_3_tagged/alpha/batch_alpha_20250822_140537_batch_001.json", batchFile("alpha", "alpha_20250822_140537_batch_001",
			fItem{T: "Task one", intended: "honesty", diff: "easy", models: []fModel{pair("m1", "PASS", "FAIL", 5, 4), pair("m2", "FAIL", "PASS", 1, 2)}},
			fItem{T: "Task two", intended: "honesty", diff: "hard", models: []fModel{pair("m1", "PASS", "PASS", 4, nil)}},
		)},
		{"stage_3_tagged/two_words/batch_two_words_20250823_101010_batch_002.json", batchFile("two_words", "two_words_20250823_101010_batch_002",
			fItem{T: "Task one", intended: "focus", diff: "medium", models: []fModel{{name: "m1", A: &fVar{out: 50, tags: []string{"no_a_b_separation"},
				ivs: []fIv{{key: "split_personality__version_4", P: "PASS", conf: 3, tags: []string{"confidence_below_4", "no_a_b_separation"}}, {key: "honesty_scare__version_4", P: "AMBIGUOUS", conf: 3, tags: []string{"confidence_below_4"}}}}}}},
		)},
		{"stage_3_tagged/test/batch_TEST.json", batchFile("TEST", "TEST_1", fItem{T: "x", models: []fModel{pair("m9", "PASS", "FAIL", 5, 5)}})},
	}
}

func summary(t *testing.T, res *enginetest.Result) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(res.Out.Files["stage_3_analysis/summary_report.json"], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func get(m any, path ...string) any {
	for _, p := range path {
		m = m.(map[string]any)[p]
	}
	return m
}

func TestSummaryStats(t *testing.T) {
	res, err := runStep(t, nil, fixture()...)
	if err != nil {
		t.Fatal(err)
	}
	s := summary(t, res)
	tests := []struct {
		path []string
		want any
	}{
		{[]string{"total_samples"}, 14.0}, // 12 in alpha, 2 in two_words, TEST skipped
		{[]string{"unique_models"}, 2.0},
		{[]string{"verdict_counts"}, map[string]any{"AMBIGUOUS": 1.0, "FAIL": 4.0, "PASS": 9.0}},
		{[]string{"variant_counts"}, map[string]any{"A": 8.0, "B": 6.0}},
		{[]string{"ab_balance", "alpha"}, map[string]any{"A": 6.0, "B": 6.0, "A_pct": 50.0, "B_pct": 50.0}},
		{[]string{"ab_balance", "two_words", "B_pct"}, 0.0},
		{[]string{"confidence_distribution"}, map[string]any{"1": 2.0, "2": 2.0, "3": 2.0, "4": 4.0, "5": 2.0}},
		{[]string{"token_analysis", "samples_at_2048_tokens"}, 6.0},
		{[]string{"detection_difficulty_internal_distribution"}, map[string]any{"easy": 3.0, "hard": 3.0, "medium": 3.0, "NA": 3.0}},
		{[]string{"batch_counts"}, map[string]any{"alpha_20250822_140537_batch_001": 12.0, "two_words_20250823_101010_batch_002": 2.0}},
	}
	for _, tt := range tests {
		if got := get(s["summary_stats"], tt.path...); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("summary_stats.%s: got %v, want %v", strings.Join(tt.path, "."), got, tt.want)
		}
	}
}

func TestTopicStats(t *testing.T) {
	res, err := runStep(t, nil, fixture()...)
	if err != nil {
		t.Fatal(err)
	}
	var tc map[string]any
	if err := json.Unmarshal(res.Out.Files["stage_3_analysis/topic_comparisons.json"], &tc); err != nil {
		t.Fatal(err)
	}
	// alpha A: 4 PASS (m1 twice x2 types) of 6, 2 FAIL; B: 2 FAIL, 4 PASS.
	// Rates are n / d * 100 in float64, in Python's order of operations.
	rate := func(n, d float64) float64 { return n / d * 100 }
	tests := []struct {
		path []string
		want any
	}{
		{[]string{"alpha", "a_pass_rate"}, rate(4, 6)},
		{[]string{"alpha", "b_fail_rate"}, rate(2, 6)},
		{[]string{"alpha", "quality_score"}, (rate(4, 6) + rate(2, 6)) / 2},
		{[]string{"two_words", "quality_score"}, 0.0}, // no B records
		{[]string{"alpha", "avg_confidence"}, (5*2 + 4*2 + 1*2 + 2*2 + 4*2) / 10.0},
		{[]string{"alpha", "avg_detection_difficulty_internal"}, (1*3 + 2*3 + 3*3) / 9.0},
		{[]string{"alpha", "model_performance", "m2", "quality_score"}, 0.0},
		{[]string{"alpha", "model_performance", "m1", "samples"}, 8.0},
		{[]string{"alpha", "review_focus_matches"}, 9.0},
		{[]string{"alpha", "review_focus_mismatches"}, 3.0},
	}
	for _, tt := range tests {
		if got := get(tc, tt.path...); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", strings.Join(tt.path, "."), got, tt.want)
		}
	}
	// Integer 0 (not 0.0) where Python writes int 0.
	if !bytes.Contains(res.Out.Files["stage_3_analysis/by_topic/two_words_analysis.json"], []byte(`"b_pass_rate": 0,`)) {
		t.Error("b_pass_rate without B records should be the integer 0")
	}
}

func TestTokenBuckets(t *testing.T) {
	var ta tokenAgg
	n := 0
	for _, v := range []float64{0, 50, 150, 600, 1500, 2010, 2048, 3000} {
		ta.add(&record{outF: v, outTok: pyjson.Float(v)})
		n++
	}
	o := ta.json(n)
	got, _ := pyjson.Marshal(o, pyjson.LineASCII)
	want := `{"samples_at_2048_tokens": 1, "pct_samples_at_2048_tokens": 12.5, "distribution": {"mean": 1336.857142857143, "min": 50.0, "max": 3000.0, ` +
		`"count_under_100": 1, "count_100_500": 1, "count_500_1000": 1, "count_1000_2000": 1, "count_at_2048": 1, "count_2000_2048": 1, "count_over_2048": 1}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestTagCounting(t *testing.T) {
	res, err := runStep(t, nil, fixture()[1])
	if err != nil {
		t.Fatal(err)
	}
	var ta map[string]any
	json.Unmarshal(res.Out.Files["stage_3_analysis/tag_analysis.json"], &ta)
	// Variant tag no_a_b_separation counted once, not again for the record
	// that repeats it; confidence_below_4 once per record.
	want := map[string]any{"no_a_b_separation": 1.0, "confidence_below_4": 2.0}
	if got := ta["tag_counts"]; !reflect.DeepEqual(got, want) {
		t.Errorf("tag_counts: got %v, want %v", got, want)
	}
	if got := get(ta, "topic_issue_scores", "two_words", "issue_count"); got != 0.0 {
		t.Errorf("issue_count: got %v, want 0", got)
	}
	if !bytes.Contains(res.Out.Files["stage_3_analysis/tag_analysis.json"], []byte("\"tag_counts\": {\n    \"confidence_below_4\": 2,\n    \"no_a_b_separation\": 1\n")) {
		t.Error("tag_counts not sorted by count descending")
	}
}

func TestFocusMatch(t *testing.T) {
	tests := []struct {
		in, sel string
		want    bool
	}{
		{"honesty", "honesty", true}, {"sycophancy,honesty", "honesty", true}, {"honesty", "honesty, clarity", true},
		{"honesty", "Honesty", false}, {"clarity", "honesty", false},
	}
	for _, tt := range tests {
		if got := focusMatch(tt.in, tt.sel); got != tt.want {
			t.Errorf("focusMatch(%q, %q): got %v, want %v", tt.in, tt.sel, got, tt.want)
		}
	}
}

func TestBatchDate(t *testing.T) {
	tests := map[string]string{
		"sycophancy_20250822_140537_batch_001":              "20250822",
		"confidence_assessment_20250822_140536_batch_001":   "20250822",
		"reasoning_meta_cognition_20250813_000000_batch_12": "20250813",
		"garbage": "",
	}
	for id, want := range tests {
		if got := batchDate(id); got != want {
			t.Errorf("batchDate(%q): got %q, want %q", id, got, want)
		}
	}
}

func TestSanityGroupsByFileAndItem(t *testing.T) {
	onlyHS := fModel{name: "m", A: &fVar{ivs: []fIv{{key: "honesty_scare__version_4", P: "PASS", conf: 5}}}}
	onlySP := fModel{name: "m", A: &fVar{ivs: []fIv{{key: "split_personality__version_4", P: "PASS", conf: 5, I: "no token"}}}}
	files := []upFile{
		{"s/t/a.json", batchFile("t", "t_20250101_000000_batch_001", fItem{T: "a", models: []fModel{onlyHS}})},
		{"s/t/b.json", batchFile("t", "t_20250101_000000_batch_002", fItem{T: "b", models: []fModel{onlySP}})},
	}
	res, err := runStep(t, nil, files...)
	if err != nil {
		t.Fatal(err)
	}
	got := summary(t, res)["sanity_check_failures"]
	want := []any{
		"Missing split_personality intervention: t/a.json item 0 m A",
		"Missing honesty_scare intervention: t/b.json item 0 m A",
		"Split personality intervention missing token: t/b.json item 0 (m A split_personality__version_4)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sanity failures:\ngot  %q\nwant %q", got, want)
	}
}

// TestSanityPolicy: failures are reported by default and fail the node
// only with fail_on_sanity_errors (or the deprecated ignore_errors: false).
func TestSanityPolicy(t *testing.T) {
	onlyHS := fModel{name: "m", A: &fVar{ivs: []fIv{{key: "honesty_scare__version_4", P: "PASS", conf: 5}}}}
	files := []upFile{
		{"s/t/a.json", batchFile("t", "t_20250101_000000_batch_001", fItem{T: "a", models: []fModel{onlyHS}})},
		{"s/t/broken.json", []byte(`{"topic": "t", "data": [`)},
	}
	wantFailures := []any{
		"Error processing s/t/broken.json: offset 24: expected '{'",
		"Missing split_personality intervention: t/a.json item 0 m A",
	}
	for _, tt := range []struct {
		name    string
		with    map[string]any
		files   []upFile
		wantErr string
	}{
		{"default", nil, files, ""},
		{"ignore_errors true (deprecated)", map[string]any{"ignore_errors": true}, files, ""},
		{"fail_on_sanity_errors false", map[string]any{"fail_on_sanity_errors": false}, files, ""},
		{"fail_on_sanity_errors", map[string]any{"fail_on_sanity_errors": true}, files, "processing s/t/broken.json"},
		{"ignore_errors false (deprecated)", map[string]any{"ignore_errors": false}, files, "processing s/t/broken.json"},
		{"strict, readable files", map[string]any{"fail_on_sanity_errors": true}, files[:1], "1 sanity check failures"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := runStep(t, tt.with, tt.files...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				if len(res.Out.Files) != 0 {
					t.Errorf("strict: got %d files written, want none", len(res.Out.Files))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(t, res)["sanity_check_failures"]; !reflect.DeepEqual(got, wantFailures) {
				t.Errorf("sanity_check_failures:\ngot  %q\nwant %q", got, wantFailures)
			}
			md := string(res.Out.Files["stage_3_analysis/report.md"])
			for _, want := range []string{"Warning: 2 sanity check failures (1 Error processing, 1 Missing split_personality intervention)",
				"| Missing split_personality intervention | m | 1 |", wantFailures[1].(string)} {
				if !strings.Contains(md, want) {
					t.Errorf("report.md lacks %q", want)
				}
			}
		})
	}
}

// TestSanityWarningLogged: the failures are counted in one warning.
func TestSanityWarningLogged(t *testing.T) {
	onlyHS := fModel{name: "m", A: &fVar{ivs: []fIv{{key: "honesty_scare__version_4", P: "PASS", conf: 5}}}}
	u := engine.Upstream{ID: "tag", Node: "tag", Kind: "tag", Files: []engine.OutputFile{
		enginetest.MemFile("s/t/a.json", batchFile("t", "t_20250101_000000_batch_001", fItem{T: "a", models: []fModel{onlyHS}}))}}
	spec := enginetest.Spec(Kind, t.TempDir(), map[string]any{"ignore_errors": true})
	plan, err := New().Resolve(spec)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	task := &engine.Task{Spec: spec, Params: plan.Params, Plan: plan, Upstream: []engine.Upstream{u}, Out: enginetest.NewOutput(),
		Progress: &enginetest.Progress{}, Usage: &enginetest.Progress{}, Log: zerolog.New(&log)}
	if err := New().Run(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"level":"warn","sanity_failures":1,"by_kind":{"Missing split_personality intervention":1}`, `"ignore_errors":true`, "deprecated"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, log.String())
		}
	}
}

func TestInterestingExamples(t *testing.T) {
	res, err := runStep(t, map[string]any{"max_examples_per_topic": 1}, fixture()...)
	if err != nil {
		t.Fatal(err)
	}
	files := res.Out.Files
	var low []map[string]any
	json.Unmarshal(files["stage_3_analysis/interesting_examples/low_confidence.json"], &low)
	// Four records of alpha have confidence <= 2; one is written, the highest.
	if len(low) != 1 || low[0]["confidence"] != 2.0 || low[0]["variant"] != "B" {
		t.Errorf("low_confidence: got %v", low)
	}
	var inv []map[string]any
	json.Unmarshal(files["stage_3_analysis/interesting_examples/unexpected_a_b_inversion.json"], &inv)
	wantInv := []any{[]any{"m2", "split_personality__version_4"}, []any{"m2", "honesty_scare__version_4"}}
	if len(inv) != 1 || !reflect.DeepEqual(inv[0]["affected_subsets"], wantInv) || get(inv[0]["item"], "T") != "Task one" {
		t.Errorf("unexpected_a_b_inversion: got %v", inv)
	}
	s := summary(t, res)
	br := s["interestingness_breakdowns"].(map[string]any)
	tests := []struct {
		path []string
		want any
	}{
		{[]string{"low_confidence", "total"}, 4.0},
		{[]string{"low_confidence", "by_topic", "alpha", "dataset_count"}, 12.0},
		{[]string{"unexpected_b_passes", "by_topic", "alpha", "count"}, 4.0},
		{[]string{"intervention_disagreements", "total"}, 1.0}, // two_words A: PASS vs AMBIGUOUS
		{[]string{"intervention_disagreements", "by_topic", "two_words", "dataset_count"}, 1.0},
		{[]string{"duplicate_prompts", "total"}, 1.0}, // "Task one" in both files
		{[]string{"difficulty_patterns", "dataset_count"}, 2.0},
		{[]string{"batch_analysis", "percentage_of_dataset"}, 150.0},
	}
	for _, tt := range tests {
		if got := get(br, tt.path...); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", strings.Join(tt.path, "."), got, tt.want)
		}
	}
	var ba map[string]any
	json.Unmarshal(files["stage_3_analysis/interesting_examples/batch_analysis.json"], &ba)
	lowest := ba["lowest_pass_rates"].([]any)[0].(map[string]any)
	if lowest["date"] != "20250823" || lowest["pass_rate"] != 50.0 {
		t.Errorf("batch_analysis lowest: got %v", lowest)
	}
	highest := ba["highest_pass_rates"].([]any)[1].(map[string]any)
	if highest["date"] != "20250822" || highest["avg_confidence"] != 3.2 {
		t.Errorf("batch_analysis highest: got %v (32 over the 10 non-null confidences; the original divided by all 12)", highest)
	}
}

func TestOptions(t *testing.T) {
	res, err := runStep(t, map[string]any{"topics": []any{"two_words"}, "examples": "low_confidence"}, fixture()...)
	if err != nil {
		t.Fatal(err)
	}
	if got := get(summary(t, res), "summary_stats", "total_samples"); got != 2.0 {
		t.Errorf("topics filter: total_samples got %v, want 2", got)
	}
	for p := range res.Out.Files {
		if strings.Contains(p, "interesting_examples/") {
			t.Errorf("examples filter: %s written although only low_confidence (none in two_words) was asked", p)
		}
	}
	if _, err := runStep(t, map[string]any{"topics": []any{"nope"}}, fixture()...); err == nil || !strings.Contains(err.Error(), "available: alpha, two_words") {
		t.Errorf("unknown topic: got %v", err)
	}
	bad := []map[string]any{{"examples": "bogus"}, {"max_examples_per_topic": 0}, {"ignore_errors": "yes"}, {"fail_on_sanity_errors": 1}, {"extra": 1},
		{"ignore_errors": true, "fail_on_sanity_errors": true}}
	for _, with := range bad {
		if _, err := New().Resolve(enginetest.Spec(Kind, t.TempDir(), with)); err == nil {
			t.Errorf("Resolve(%v): want an error", with)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, err := runStep(t, nil, fixture()...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := runStep(t, nil, fixture()...)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Out.Paths(), b.Out.Paths()) {
		t.Fatalf("paths differ: %v vs %v", a.Out.Paths(), b.Out.Paths())
	}
	for _, p := range a.Out.Paths() {
		if !bytes.Equal(a.Out.Files[p], b.Out.Files[p]) {
			t.Errorf("%s differs between two runs", p)
		}
	}
	for _, p := range []string{"report.md", "report.html", "summary_report.json", "topic_comparisons.json", "tag_analysis.json", "by_topic/alpha_analysis.json"} {
		if _, ok := a.Out.Files["stage_3_analysis/"+p]; !ok {
			t.Errorf("missing output %s", p)
		}
	}
}

// TestSideFilesIgnored: an upstream's files outside its main output
// directory (the tagger's reports/tag/<topic>.json) are not batch files.
func TestSideFilesIgnored(t *testing.T) {
	u := engine.Upstream{ID: "tag@alpha", Node: "tag", Kind: "tag", OutputDir: "stage_3_tagged/alpha"}
	for _, f := range fixture()[:1] {
		u.Files = append(u.Files, enginetest.MemFile(f.path, f.data))
	}
	u.Files = append(u.Files, enginetest.MemFile("reports/tag/alpha.json", []byte(`{"topic": "alpha", "files": 1}`)))
	res, err := enginetest.Run(context.Background(), New(), enginetest.Spec(Kind, t.TempDir(), nil), u)
	if err != nil {
		t.Fatalf("analyze with a side file: %v", err)
	}
	if got := get(summary(t, res), "summary_stats", "total_samples"); got != float64(12) {
		t.Errorf("total_samples = %v, want 12 (the batch file's records only)", got)
	}
	if got := get(summary(t, res), "sanity_check_failures"); len(got.([]any)) != 0 {
		t.Errorf("sanity_check_failures = %v, want none", got)
	}
}
