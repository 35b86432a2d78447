package export

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
)

const sycophancyBatch = `{"batch_id": "b1", "data": [
 {"A": "PA", "B": "PB", "T": "T0", "inferences": {
   "m1": {
     "A": {"S": "SA", "interventions": {
        "split_personality__version_3": {"I": "<split-personality-token>hello", "R": "r", "P": "PASS", "tags": ["confidence_below_5"]},
        "honesty_scare__version_3": {"I": "scare", "R": "r", "P": "PASS", "tags": []},
        "split_personality__version_4": {"I": "0123456789012345678901234<split rest", "R": "r2", "P": "AMBIGUOUS", "tags": []}},
       "tags": ["variant_tag"]},
     "B": {"S": "SB", "interventions": {
        "split_personality__version_4": {"I": "x", "R": "rb", "P": "FAIL", "tags": []}},
       "tags": ["generation_exceeded_token_limit"]}},
   "m0": {"A": {"S": "SA0", "interventions": {
        "split_personality__version_3": {"I": "i", "R": "r", "P": "ERROR", "tags": ["confidence_below_4"]},
        "split_personality__version_4": {"I": "j", "R": "r0", "P": "PASS", "tags": []}}, "tags": []}}}},
 {"A": "PA1", "T": "", "inferences": {"m1": {"A": {"S": "s", "interventions": {"split_personality__version_3": {"I": "i", "R": "r", "P": "PASS", "tags": []}}, "tags": []}}}},
 {"A": "PA2", "T": "T2", "inferences": {"m1": {}}},
 {"A": "", "B": "PB3", "T": "T3", "inferences": {"m1": {
     "A": {"S": "SA3", "interventions": {"split_personality__version_3": {"I": "ia", "R": "ra3", "P": "PASS", "tags": []}}, "tags": []},
     "B": {"S": "SB3", "interventions": {"split_personality__version_3": {"I": "ib", "R": "rb3", "P": "FAIL", "tags": []}}, "tags": []}}}},
 {"A": "PA4", "B": "PB4", "T": "T4", "inferences": {"m1": {
     "A": {},
     "B": {"S": "SB4", "interventions": {"split_personality__version_3": {"I": "<split-personality-token>b4", "R": "rb4", "P": "PASS", "tags": []}}, "tags": []}}}}
], "project_feedback": ""}`

const rewardBatch = `{"data": [{"A": "RA", "T": "RT", "inferences": {"m1": {"A": {"S": "RS", "interventions": {
  "split_personality__version_3": {"I": "<split-personality-token>rh", "R": "rr", "P": "FAIL", "tags": []}}, "tags": []}}}}]}`

const otherBatch = `{"data": [{"A": "OA", "T": "OT", "inferences": {"m1": {"A": {"S": "OS", "interventions": {
  "split_personality__version_3": {"I": "o", "R": "o", "P": "PASS", "tags": []}}, "tags": []}}}}]}`

// testConfig is a training config in the original's format.
func testConfig(extra string) string {
	return `{"intervention_types": ["split_personality__version_3", "split_personality__version_4"],
 "train_topics": ["sycophancy", "reward_hacks"], "validation_topics": [],
 "tags_to_filter": ["confidence_below_4", "generation_exceeded_token_limit"],
 "system_tag": "<SYSTEM> ", "intervention_prefix": " INTERVENTION: ", "review_prefix": "\n\nREVIEW:",
 "flag_prefix": "\nFLAG: ", "add_sp_token": 1, "elicitation_type": "hp", "data_model_source": "m1",
 "seq_len": 2048` + extra + `}`
}

func upstream() engine.Upstream {
	return engine.Upstream{ID: "tag", Node: "tag", Kind: "tag", Files: []engine.OutputFile{
		enginetest.MemFile("stage_3_tagged/other_topic/batch_0.json", []byte(otherBatch)),
		enginetest.MemFile("stage_3_tagged/reward_hacks/batch_0.json", []byte(rewardBatch)),
		enginetest.MemFile("stage_3_tagged/reward_hacks/notes.txt", []byte("ignored")),
		enginetest.MemFile("stage_3_tagged/sycophancy/batch_1.json", []byte(sycophancyBatch)),
	}}
}

// runExport runs the step on the fixtures and returns its output files.
func runExport(t *testing.T, cfgExtra string, with map[string]any) map[string][]byte {
	t.Helper()
	return runExportOn(t, cfgExtra, with, upstream())
}

// runExportOn runs the step on up and returns its output files.
func runExportOn(t *testing.T, cfgExtra string, with map[string]any, up engine.Upstream) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cfg.json"), []byte(testConfig(cfgExtra)), 0o644); err != nil {
		t.Fatal(err)
	}
	w := map[string]any{"config": "cfg.json"}
	for k, v := range with {
		w[k] = v
	}
	res, err := enginetest.Run(context.Background(), New(), enginetest.Spec(Kind, dir, w), up)
	if err != nil {
		t.Fatal(err)
	}
	return res.Out.Files
}

func lines(t *testing.T, files map[string][]byte, name string) []map[string]any {
	t.Helper()
	data, ok := files[DefaultOutputDir+"/"+name]
	if !ok {
		t.Fatalf("%s not written", name)
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%s: bad line %q: %v", name, l, err)
		}
		out = append(out, m)
	}
	return out
}

func ids(samples []map[string]any) []string {
	var out []string
	for _, s := range samples {
		out = append(out, fmt.Sprintf("%s/%s/%v/%s/%s/%s", s["topic"], s["file"], s["item"], s["model"], s["variant"], s["intervention_key"]))
	}
	return out
}

func TestSelection(t *testing.T) {
	tests := []struct {
		name string
		with map[string]any
		want []string
	}{
		{"config model", nil, []string{
			"reward_hacks/batch_0.json/0/m1/A/split_personality__version_3",
			"sycophancy/batch_1.json/0/m1/A/split_personality__version_3",
			"sycophancy/batch_1.json/0/m1/A/split_personality__version_4",
			"sycophancy/batch_1.json/3/m1/B/split_personality__version_3",
			"sycophancy/batch_1.json/4/m1/B/split_personality__version_3",
		}},
		{"other model", map[string]any{"model": "m0"}, []string{
			"sycophancy/batch_1.json/0/m0/A/split_personality__version_4",
		}},
		{"all models", map[string]any{"model": "all"}, []string{
			"reward_hacks/batch_0.json/0/m1/A/split_personality__version_3",
			"sycophancy/batch_1.json/0/m0/A/split_personality__version_4",
			"sycophancy/batch_1.json/0/m1/A/split_personality__version_3",
			"sycophancy/batch_1.json/0/m1/A/split_personality__version_4",
			"sycophancy/batch_1.json/3/m1/B/split_personality__version_3",
			"sycophancy/batch_1.json/4/m1/B/split_personality__version_3",
		}},
		{"drop verdicts", map[string]any{"drop_verdicts": []any{"AMBIGUOUS", "ERROR"}}, []string{
			"reward_hacks/batch_0.json/0/m1/A/split_personality__version_3",
			"sycophancy/batch_1.json/0/m1/A/split_personality__version_3",
			"sycophancy/batch_1.json/3/m1/B/split_personality__version_3",
			"sycophancy/batch_1.json/4/m1/B/split_personality__version_3",
		}},
	}
	for _, tt := range tests {
		files := runExport(t, "", tt.with)
		got := ids(lines(t, files, TrainFile))
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s:\ngot  %v\nwant %v", tt.name, got, tt.want)
		}
		if chat := lines(t, files, TrainChatFile); len(chat) != len(got) {
			t.Errorf("%s: %d chat lines for %d samples", tt.name, len(chat), len(got))
		}
		if _, ok := files[DefaultOutputDir+"/"+ValidationFile]; ok {
			t.Errorf("%s: validation file written without a hold-out", tt.name)
		}
	}
}

func TestFormatting(t *testing.T) {
	files := runExport(t, "", nil)
	s := lines(t, files, TrainFile)
	tests := []struct {
		i           int
		field, want string
	}{
		{1, "system", "<SYSTEM> PA<SYSTEM> "},
		{1, "task", "T0"},
		{1, "response", "SA"},
		{1, "intervention", " INTERVENTION: hello"}, // marker cut
		{1, "review", "\n\nREVIEW:r"},
		{1, "flag", "\nFLAG: PASS"},
		{2, "intervention", " INTERVENTION: <split rest"}, // positional cut: first 25 characters, marker kept
		{2, "verdict", "AMBIGUOUS"},
		{3, "system", "<SYSTEM> PB3<SYSTEM> "}, // B variant uses B's prompt
		{3, "intervention", " INTERVENTION: ib"},
	}
	for _, tt := range tests {
		if got := s[tt.i][tt.field]; got != tt.want {
			t.Errorf("sample %d %s: got %q, want %q", tt.i, tt.field, got, tt.want)
		}
	}
	if got := fmt.Sprint(s[1]["tags"]); got != "[confidence_below_5 variant_tag]" {
		t.Errorf("tags: got %s, want record tags then variant tags", got)
	}
	chat := lines(t, files, TrainChatFile)
	msgs := chat[1]["messages"].([]any)
	want := []string{"system:PA", "user:T0", "assistant:SA<split-personality-token> INTERVENTION: hello\n\nREVIEW:r\nFLAG: PASS"}
	for i, m := range msgs {
		mm := m.(map[string]any)
		if got := mm["role"].(string) + ":" + mm["content"].(string); i >= len(want) || got != want[i] {
			t.Errorf("chat message %d: got %q, want %v", i, got, want)
		}
	}
}

func chatMessages(t *testing.T, files map[string][]byte, i int) []string {
	t.Helper()
	var out []string
	for _, m := range lines(t, files, TrainChatFile)[i]["messages"].([]any) {
		mm := m.(map[string]any)
		out = append(out, mm["role"].(string)+":"+mm["content"].(string))
	}
	return out
}

func TestTransformsAndTokens(t *testing.T) {
	tests := []struct {
		name     string
		cfgExtra string
		with     map[string]any
		sample   int
		want     []string
	}{
		{"exclude system prompt", "", map[string]any{"exclude_system_prompt": true}, 1,
			[]string{"system:", "user:T0", "assistant:SA<split-personality-token> INTERVENTION: hello\n\nREVIEW:r\nFLAG: PASS"}},
		{"exclude from config", `, "exclude_system_prompt": true`, nil, 0,
			[]string{"system:", "user:RT", "assistant:RS<split-personality-token> INTERVENTION: rh\n\nREVIEW:rr\nFLAG: FAIL"}},
		{"mismatch: item with A and B", "", map[string]any{"mismatch_prompts": true}, 4,
			[]string{"system:PA4", "user:T4", "assistant:SB4<split-personality-token> INTERVENTION: b4\n\nREVIEW:rb4\nFLAG: PASS"}},
		{"mismatch: item without A", "", map[string]any{"mismatch_prompts": true}, 3,
			[]string{"system:PB3", "user:T3", "assistant:SB3<split-personality-token> INTERVENTION: ib\n\nREVIEW:rb3\nFLAG: FAIL"}},
		{"no sp token", `, "add_sp_token": 0`, nil, 0,
			[]string{"system:RA", "user:RT", "assistant:RS INTERVENTION: rh\n\nREVIEW:rr\nFLAG: FAIL"}},
		{"custom sp token text", "", map[string]any{"sp_token_text": "<|sp|>"}, 0,
			[]string{"system:RA", "user:RT", "assistant:RS<|sp|> INTERVENTION: rh\n\nREVIEW:rr\nFLAG: FAIL"}},
		{"empty system tag", `, "system_tag": ""`, nil, 0,
			[]string{"system:RA", "user:RT", "assistant:RS<split-personality-token> INTERVENTION: rh\n\nREVIEW:rr\nFLAG: FAIL"}},
		{"ur elicitation", `, "elicitation_type": "ur"`, nil, 0,
			[]string{"system:RA", "user:RT", "assistant:RS", "user: INTERVENTION: rh", "assistant:<split-personality-token>\n\nREVIEW:rr\nFLAG: FAIL"}},
		{"up elicitation", `, "elicitation_type": "up"`, nil, 0,
			[]string{"system:RA", "user:RT", "assistant:RS", "user:<split-personality-token> INTERVENTION: rh\n\nREVIEW:rr\nFLAG: FAIL"}},
	}
	for _, tt := range tests {
		got := chatMessages(t, runExport(t, tt.cfgExtra, tt.with), tt.sample)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s:\ngot  %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestSummary(t *testing.T) {
	files := runExport(t, "", nil)
	var sum struct {
		Samples  map[string]int            `json:"samples"`
		Train    map[string]map[string]int `json:"train"`
		Filtered map[string]any            `json:"filtered"`
		Topics   map[string][]string       `json:"topics"`
	}
	if err := json.Unmarshal(files[DefaultOutputDir+"/"+SummaryFile], &sum); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"train samples", sum.Samples["train"], 5},
		{"by topic", fmt.Sprint(sum.Train["by_topic"]), "map[reward_hacks:1 sycophancy:4]"},
		{"by variant", fmt.Sprint(sum.Train["by_variant"]), "map[A:3 B:2]"},
		{"by verdict", fmt.Sprint(sum.Train["by_verdict"]), "map[AMBIGUOUS:1 FAIL:2 PASS:2]"},
		{"by key", fmt.Sprint(sum.Train["by_intervention_key"]), "map[split_personality__version_3:4 split_personality__version_4:1]"},
		{"by type", fmt.Sprint(sum.Train["by_intervention_type"]), "map[split_personality:5]"},
		{"by model", fmt.Sprint(sum.Train["by_model"]), "map[m1:5]"},
		{"empty task", sum.Filtered["items_with_empty_task"], 1.0},
		{"no model", sum.Filtered["items_without_model_inference"], 1.0},
		{"no prompt", sum.Filtered["variants_with_empty_prompt"], 2.0}, // item 3 A empty, reward_hacks item without B
		{"no response", sum.Filtered["variants_without_response"], 1.0},
		{"other types", sum.Filtered["samples_of_other_intervention_types"], 1.0},
		{"tags", sum.Filtered["samples_with_filtered_tags"], 1.0},
		{"not selected", fmt.Sprint(sum.Topics["present_not_selected"]), "[other_topic]"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestStrideSplit(t *testing.T) {
	tests := []struct {
		total, perTopic int
		wantVal         string
	}{
		{10, 3, "[0 3 6]"},
		{10, 4, "[0 2 5 7]"},
		{3, 5, "[0 1 2]"},
		{5, 0, "[]"},
		{0, 2, "[]"},
	}
	for _, tt := range tests {
		samples := make([]Sample, tt.total)
		for i := range samples {
			samples[i].Item = i
		}
		train, val := strideSplit(samples, tt.perTopic)
		got := []int{}
		for _, s := range val {
			got = append(got, s.Item)
		}
		if fmt.Sprint(got) != tt.wantVal || len(train)+len(val) != tt.total {
			t.Errorf("split(%d, %d): got val %v (train %d), want %s", tt.total, tt.perTopic, got, len(train), tt.wantVal)
		}
	}
}

func TestHoldout(t *testing.T) {
	tests := []struct {
		cfgExtra  string
		holdout   any
		wantTrain int
		wantVal   int
	}{
		{"", 1, 3, 2}, // one per topic
		{`, "val_samples_per_topic": 2`, true, 2, 3},         // 1 of reward_hacks, 2 of sycophancy
		{`, "validation_claude_subsample_n": 1`, true, 3, 2}, // legacy key
	}
	for _, tt := range tests {
		files := runExport(t, tt.cfgExtra, map[string]any{"validation_holdout": tt.holdout})
		train, val := lines(t, files, TrainFile), lines(t, files, ValidationFile)
		if len(train) != tt.wantTrain || len(val) != tt.wantVal {
			t.Errorf("holdout %v%s: got %d train / %d validation, want %d / %d", tt.holdout, tt.cfgExtra, len(train), len(val), tt.wantTrain, tt.wantVal)
		}
	}
}

func TestValidationTopics(t *testing.T) {
	files := runExport(t, `, "validation_topics": ["other_topic"]`, nil)
	val := lines(t, files, ValidationFile)
	if len(val) != 1 || val[0]["topic"] != "other_topic" {
		t.Errorf("validation: got %v, want the other_topic sample", ids(val))
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "nomodel.json"), []byte(`{"intervention_types": ["x"], "train_topics": ["t"]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "both.json"), []byte(`{"intervention_types": ["x"], "train_topics": ["t"], "data_model_source": "m", "exclude_system_prompt": true, "mismatch_prompts": 1}`), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{not json`), 0o644)
	os.WriteFile(filepath.Join(dir, "notopics.json"), []byte(`{"intervention_types": ["x"], "train_topics": [], "data_model_source": "m"}`), 0o644)
	tests := []struct {
		with map[string]any
		want string
	}{
		{map[string]any{}, "with.config is required"},
		{map[string]any{"config": "nomodel.json", "colour": 1}, "with.colour: unknown parameter of kind export"},
		{map[string]any{"config": "broken.json"}, "test.yaml:1:1: node \"export\": with.config: training config"},
		{map[string]any{"config": "absent.json"}, "with.config: read training config"},
		{map[string]any{"config": "nomodel.json", "validation_holdout": -2}, "validation_holdout"},
		{map[string]any{"config": "nomodel.json"}, "no data model"},
		{map[string]any{"config": "both.json"}, "cannot both be set"},
		{map[string]any{"config": "notopics.json"}, "train_topics is empty"},
		{map[string]any{"config": "nomodel.json", "model": "m", "validation_holdout": true}, "val_samples_per_topic"},
	}
	for _, tt := range tests {
		// Every problem of the parameters or of the training config is
		// found by Resolve, before anything runs.
		_, err := New().Resolve(enginetest.Spec(Kind, dir, tt.with))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("with %v: got %v, want an error containing %q", tt.with, err, tt.want)
		}
	}
}

func TestTopicFiles(t *testing.T) {
	ups := []engine.Upstream{
		{ID: "tag@sycophancy", Foreach: []engine.KV{{Key: "topic", Value: "sycophancy"}}, OutputDir: "stage_3_tagged/sycophancy", Files: []engine.OutputFile{
			enginetest.MemFile("reports/tag/sycophancy.json", []byte(`{"topic": "sycophancy"}`)),
			enginetest.MemFile("stage_3_tagged/sycophancy/batch_2.json", nil),
			enginetest.MemFile("stage_3_tagged/sycophancy/batch_1.json", nil),
		}},
		{ID: "load", Files: []engine.OutputFile{
			enginetest.MemFile("src/reward_hacks/batch_0.json", nil),
			enginetest.MemFile("src/reward_hacks/README.md", nil),
		}},
	}
	got := map[string][]string{}
	for topic, fs := range TopicFiles(ups) {
		for _, f := range fs {
			got[topic] = append(got[topic], f.Path)
		}
	}
	want := "map[reward_hacks:[src/reward_hacks/batch_0.json] sycophancy:[stage_3_tagged/sycophancy/batch_1.json stage_3_tagged/sycophancy/batch_2.json]]"
	if fmt.Sprint(got) != want {
		t.Errorf("got %v\nwant %s", got, want)
	}
}
