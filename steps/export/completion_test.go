package export

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
)

// pcMessages returns line i of train_prompt_completion.jsonl as
// "role:content" strings.
func pcMessages(t *testing.T, files map[string][]byte, i int) (prompt, completion []string) {
	t.Helper()
	line := lines(t, files, TrainPromptCompletionFile)[i]
	for _, part := range []struct {
		key string
		out *[]string
	}{{"prompt", &prompt}, {"completion", &completion}} {
		for _, m := range line[part.key].([]any) {
			mm := m.(map[string]any)
			*part.out = append(*part.out, mm["role"].(string)+":"+mm["content"].(string))
		}
	}
	return prompt, completion
}

func TestPromptCompletionSplit(t *testing.T) {
	const sp = DefaultSPTokenText
	tests := []struct {
		name           string
		cfgExtra       string
		with           map[string]any
		sample         int
		wantPrompt     []string
		wantCompletion []string
	}{
		{"hp", "", nil, 1,
			[]string{"system:PA", "user:T0", "assistant:SA"},
			[]string{"assistant:" + sp + " INTERVENTION: hello\n\nREVIEW:r\nFLAG: PASS"}},
		{"hp, positional marker cut", "", nil, 2,
			[]string{"system:PA", "user:T0", "assistant:SA"},
			[]string{"assistant:" + sp + " INTERVENTION: <split rest\n\nREVIEW:r2\nFLAG: AMBIGUOUS"}},
		{"ur: the intervention is the user's turn", `, "elicitation_type": "ur"`, nil, 0,
			[]string{"system:RA", "user:RT", "assistant:RS", "user: INTERVENTION: rh"},
			[]string{"assistant:" + sp + "\n\nREVIEW:rr\nFLAG: FAIL"}},
		{"no sp token", `, "add_sp_token": 0`, nil, 0,
			[]string{"system:RA", "user:RT", "assistant:RS"},
			[]string{"assistant: INTERVENTION: rh\n\nREVIEW:rr\nFLAG: FAIL"}},
		{"custom sp token text", "", map[string]any{"sp_token_text": "<|sp|>"}, 0,
			[]string{"system:RA", "user:RT", "assistant:RS"},
			[]string{"assistant:<|sp|> INTERVENTION: rh\n\nREVIEW:rr\nFLAG: FAIL"}},
		{"exclude system prompt", "", map[string]any{"exclude_system_prompt": true}, 1,
			[]string{"system:", "user:T0", "assistant:SA"},
			[]string{"assistant:" + sp + " INTERVENTION: hello\n\nREVIEW:r\nFLAG: PASS"}},
		{"mismatch prompts", "", map[string]any{"mismatch_prompts": true}, 4,
			[]string{"system:PA4", "user:T4", "assistant:SB4"},
			[]string{"assistant:" + sp + " INTERVENTION: b4\n\nREVIEW:rb4\nFLAG: PASS"}},
		{"another system tag", `, "system_tag": "[SYS]"`, nil, 3,
			[]string{"system:PB3", "user:T3", "assistant:SB3"},
			[]string{"assistant:" + sp + " INTERVENTION: ib\n\nREVIEW:rb3\nFLAG: FAIL"}},
	}
	for _, tt := range tests {
		prompt, completion := pcMessages(t, runExport(t, tt.cfgExtra, tt.with), tt.sample)
		if strings.Join(prompt, "|") != strings.Join(tt.wantPrompt, "|") {
			t.Errorf("%s: prompt:\ngot  %q\nwant %q", tt.name, prompt, tt.wantPrompt)
		}
		if strings.Join(completion, "|") != strings.Join(tt.wantCompletion, "|") {
			t.Errorf("%s: completion:\ngot  %q\nwant %q", tt.name, completion, tt.wantCompletion)
		}
	}
}

// TestPromptCompletionInvariants checks every line against the same line
// of train.jsonl: the original response ends the prompt and never appears
// in the completion, which starts with the sp token and is exactly what
// SPT adds after the response.
func TestPromptCompletionInvariants(t *testing.T) {
	files := runExport(t, "", map[string]any{"model": AllModels})
	train := lines(t, files, TrainFile)
	pc := lines(t, files, TrainPromptCompletionFile)
	if len(pc) != len(train) || len(pc) == 0 {
		t.Fatalf("got %d prompt-completion lines for %d samples", len(pc), len(train))
	}
	for i := range pc {
		prompt, completion := pcMessages(t, files, i)
		s := train[i]
		if got, want := prompt[len(prompt)-1], "assistant:"+s["response"].(string); got != want {
			t.Errorf("line %d: prompt ends with %q, want the original response %q", i, got, want)
		}
		if len(completion) != 1 || !strings.HasPrefix(completion[0], "assistant:") {
			t.Fatalf("line %d: completion %q, want one assistant message", i, completion)
		}
		content := strings.TrimPrefix(completion[0], "assistant:")
		if want := DefaultSPTokenText + s["intervention"].(string) + s["review"].(string) + s["flag"].(string); content != want {
			t.Errorf("line %d: completion %q, want %q", i, content, want)
		}
		if strings.Contains(content, s["response"].(string)) {
			t.Errorf("line %d: completion %q holds the original response %q", i, content, s["response"])
		}
	}
}

// TestNoSystemTagInChat: train.jsonl keeps the loader's system_tag
// wrapping; no chat form's system message carries it.
func TestNoSystemTagInChat(t *testing.T) {
	files := runExport(t, "", map[string]any{"model": AllModels, "validation_holdout": 1})
	for _, name := range []string{TrainChatFile, ValidationChatFile} {
		for i, l := range lines(t, files, name) {
			if sys := l["messages"].([]any)[0].(map[string]any); sys["role"] != "system" || strings.Contains(sys["content"].(string), "<SYSTEM>") {
				t.Errorf("%s line %d: system message %v", name, i, sys)
			}
		}
	}
	for _, name := range []string{TrainPromptCompletionFile, ValidationPromptCompletionFile} {
		for i, l := range lines(t, files, name) {
			if sys := l["prompt"].([]any)[0].(map[string]any); sys["role"] != "system" || strings.Contains(sys["content"].(string), "<SYSTEM>") {
				t.Errorf("%s line %d: system message %v", name, i, sys)
			}
		}
	}
	if got := lines(t, files, TrainFile)[0]["system"]; got != "<SYSTEM> PA<SYSTEM> " {
		t.Errorf("train.jsonl system: got %q, want the loader's %q", got, "<SYSTEM> PA<SYSTEM> ")
	}
}

type summaryFiles struct {
	Files struct {
		Written    []string          `json:"written"`
		NotWritten map[string]string `json:"not_written"`
	} `json:"files"`
}

func readSummary(t *testing.T, files map[string][]byte, v any) {
	t.Helper()
	if err := json.Unmarshal(files[DefaultOutputDir+"/"+SummaryFile], v); err != nil {
		t.Fatal(err)
	}
}

func TestPromptCompletionFiles(t *testing.T) {
	tests := []struct {
		name           string
		cfgExtra       string
		with           map[string]any
		written        string
		notWritten     string
		validationPC   int
		validationRead bool
	}{
		{"hp", "", nil, "[train.jsonl train_chat.jsonl train_prompt_completion.jsonl summary.json]", "", 0, false},
		{"hold-out", "", map[string]any{"validation_holdout": 1},
			"[train.jsonl train_chat.jsonl train_prompt_completion.jsonl validation.jsonl validation_chat.jsonl validation_prompt_completion.jsonl summary.json]",
			"", 2, true},
		{"up: the persona is a user turn", `, "elicitation_type": "up"`, nil,
			"[train.jsonl train_chat.jsonl summary.json]", "elicitation_type up", 0, false},
	}
	for _, tt := range tests {
		files := runExport(t, tt.cfgExtra, tt.with)
		var sum summaryFiles
		readSummary(t, files, &sum)
		if got := fmt.Sprint(sum.Files.Written); got != tt.written {
			t.Errorf("%s: written: got %s, want %s", tt.name, got, tt.written)
		}
		for _, name := range sum.Files.Written {
			if _, ok := files[DefaultOutputDir+"/"+name]; !ok {
				t.Errorf("%s: summary lists %s, which is not written", tt.name, name)
			}
		}
		reason := sum.Files.NotWritten[TrainPromptCompletionFile]
		_, written := files[DefaultOutputDir+"/"+TrainPromptCompletionFile]
		if tt.notWritten == "" && (reason != "" || !written) {
			t.Errorf("%s: prompt-completion not written (%q)", tt.name, reason)
		}
		if tt.notWritten != "" && (written || !strings.Contains(reason, tt.notWritten)) {
			t.Errorf("%s: prompt-completion written %v, reason %q, want not written because %q", tt.name, written, reason, tt.notWritten)
		}
		if tt.validationRead {
			if got := len(lines(t, files, ValidationPromptCompletionFile)); got != tt.validationPC {
				t.Errorf("%s: %d validation prompt-completion lines, want %d", tt.name, got, tt.validationPC)
			}
		}
	}
}

// simUpstream holds a batch whose stage 1 ran on the sim provider (the
// file's marker follows the data list, as generate writes it) with one
// simulated stage-2 response and stage-3 record, and a batch with real
// stages 1 and 2 and one simulated stage-3 record.
func simUpstream() engine.Upstream {
	const syc = `{"data": [{"A": "PA", "B": "PB", "T": "T0", "inferences": {"m1": {
  "A": {"S": "SA", "simulated": true, "interventions": {
     "split_personality__version_3": {"I": "i", "R": "r", "P": "PASS", "simulated": true, "tags": []},
     "split_personality__version_4": {"I": "i", "R": "r", "P": "PASS", "simulated": true, "tags": ["confidence_below_4"]}}, "tags": []},
  "B": {"S": "SB", "interventions": {"split_personality__version_3": {"I": "i", "R": "r", "P": "FAIL", "tags": []}}, "tags": []}}}}],
 "project_feedback": "", "simulated": true}`
	const rh = `{"simulated": false, "data": [{"A": "RA", "B": "RB", "T": "RT", "inferences": {"m1": {
  "A": {"S": "RS", "interventions": {"split_personality__version_3": {"I": "i", "R": "r", "P": "PASS", "simulated": true, "tags": []}}, "tags": []},
  "B": {"S": "RSB", "simulated": false, "interventions": {"split_personality__version_3": {"I": "i", "R": "r", "P": "PASS", "tags": []}}, "tags": []}}}}]}`
	return engine.Upstream{ID: "tag", Node: "tag", Kind: "tag", Files: []engine.OutputFile{
		enginetest.MemFile("stage_3_tagged/reward_hacks/batch_0.json", []byte(rh)),
		enginetest.MemFile("stage_3_tagged/sycophancy/batch_0.json", []byte(syc)),
	}}
}

func TestSimulatedSummary(t *testing.T) {
	type simulated struct {
		Any        bool           `json:"any"`
		Train      int            `json:"train"`
		Validation int            `json:"validation"`
		ByPart     map[string]int `json:"by_part"`
	}
	tests := []struct {
		name string
		up   engine.Upstream
		with map[string]any
		want simulated
	}{
		{"real data", upstream(), nil, simulated{ByPart: map[string]int{"task": 0, "response": 0, "intervention": 0}}},
		// 4 samples kept (the filtered simulated record is not counted):
		// sycophancy A (task, response, intervention), sycophancy B (task),
		// reward_hacks A (intervention), reward_hacks B (none).
		{"simulated", simUpstream(), nil, simulated{Any: true, Train: 3,
			ByPart: map[string]int{"task": 2, "response": 1, "intervention": 2}}},
		// One sample per topic held out: both A samples.
		{"simulated, hold-out", simUpstream(), map[string]any{"validation_holdout": 1}, simulated{Any: true, Train: 1, Validation: 2,
			ByPart: map[string]int{"task": 2, "response": 1, "intervention": 2}}},
	}
	for _, tt := range tests {
		files := runExportOn(t, "", tt.with, tt.up)
		var sum struct {
			Samples   map[string]int `json:"samples"`
			Simulated simulated      `json:"simulated"`
		}
		readSummary(t, files, &sum)
		if got, want := fmt.Sprintf("%+v", sum.Simulated), fmt.Sprintf("%+v", tt.want); got != want {
			t.Errorf("%s: simulated: got %s, want %s (samples %v)", tt.name, got, want, sum.Samples)
		}
	}
}
