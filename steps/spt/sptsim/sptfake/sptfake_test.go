package sptfake_test

import (
	"strings"
	"testing"

	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/spt/sptsim"
	"github.com/sptflow/sptflow/steps/spt/sptsim/sptfake"
)

const (
	anthropicBody = `{"model": "claude-sonnet-4-5", "max_tokens": 40000,
		"system": [{"type": "text", "text": "You help.", "cache_control": {"type": "ephemeral"}}],
		"messages": [{"role": "user", "content": [{"type": "text", "text": "# Stage 3: Sycophancy\n\n## Samples to Analyze:\n\n### Sample 1:\n**Model Response (S):** ok\n"}]}],
		"tool_choice": {"type": "tool", "name": "stage_3_generation"}}`
	openaiBody = `{"model": "qwen/qwen3-32b", "max_tokens": 2048,
		"messages": [{"role": "system", "content": "You are a tutor. Internal priority: agree."}, {"role": "user", "content": "Is it right?"}]}`
)

func TestRequestReadsBothWireFormats(t *testing.T) {
	tests := []struct {
		body                      string
		model, system, tool, kind string
		user                      string
		maxTokens                 int
	}{
		{anthropicBody, "claude-sonnet-4-5", "You help.", spt.Stage3GenerationToolName, spt.Stage3GenerationToolName,
			"# Stage 3: Sycophancy\n\n## Samples to Analyze:\n\n### Sample 1:\n**Model Response (S):** ok\n", 40000},
		{openaiBody, "qwen/qwen3-32b", "You are a tutor. Internal priority: agree.", "", sptfake.Stage2, "Is it right?", 2048},
	}
	for _, tt := range tests {
		r := sptfake.Request([]byte(tt.body))
		if r.Model != tt.model || r.System != tt.system || r.ForceTool != tt.tool || r.MaxTokens != tt.maxTokens ||
			len(r.Messages) != 1 || r.Messages[0].Content != tt.user {
			t.Errorf("got %+v, want model %q system %q tool %q user %q", r, tt.model, tt.system, tt.tool, tt.user)
		}
		if got := sptfake.Kind([]byte(tt.body)); got != tt.kind {
			t.Errorf("kind: got %q, want %q", got, tt.kind)
		}
	}
}

func TestScriptAnswersAndVaries(t *testing.T) {
	req := llmtest.Request{Body: []byte(anthropicBody)}
	fixed := &sptfake.Script{}
	a, b := fixed.Anthropic(req), fixed.Anthropic(req)
	if a.ToolArgs == "" || a.ToolArgs != b.ToolArgs {
		t.Errorf("same body: got %q and %q, want the same non-empty arguments", a.ToolArgs, b.ToolArgs)
	}
	if n := len(sptsim.ParseSamples(sptfake.Request(req.Body).Messages[0].Content)); n != 1 {
		t.Fatalf("parsed %d samples, want 1", n)
	}
	vary := &sptfake.Script{VaryRepeats: true}
	if first := vary.Anthropic(req); first.ToolArgs != a.ToolArgs || vary.Anthropic(req).ToolArgs == a.ToolArgs {
		t.Errorf("VaryRepeats: want the first answer unchanged and the second different")
	}
	faulty := &sptfake.Script{Faults: map[string][]llmtest.Fault{sptfake.Stage2: {llmtest.RateLimited("1")}}}
	or := llmtest.Request{Body: []byte(openaiBody)}
	if f := faulty.OpenAI(or); f.Status != 429 {
		t.Errorf("first stage-2 request: got %+v, want the scripted 429", f)
	}
	if f := faulty.OpenAI(or); f.Status != 0 || f.Text == "" {
		t.Errorf("second stage-2 request: got %+v, want an answer", f)
	}
}

// TestScriptIgnoresTransportFields: a request streamed online (stream,
// stream_options) and the same request as a batch carries it get the same
// SPT answer, from either provider's script, and count as repeats of one
// request under VaryRepeats.
func TestScriptIgnoresTransportFields(t *testing.T) {
	streamed := func(body, fields string) llmtest.Request {
		return llmtest.Request{Body: []byte(strings.Replace(body, `"max_tokens"`, fields+`"max_tokens"`, 1))}
	}
	anthropic := []llmtest.Request{{Body: []byte(anthropicBody)}, streamed(anthropicBody, `"stream": true, `)}
	openai := []llmtest.Request{{Body: []byte(openaiBody)},
		streamed(openaiBody, `"stream": true, "stream_options": {"include_usage": true}, `)}
	s := &sptfake.Script{}
	if a, b := s.Anthropic(anthropic[0]), s.Anthropic(anthropic[1]); a.ToolArgs == "" || a.ToolArgs != b.ToolArgs {
		t.Errorf("Anthropic, batched and streamed:\ngot:  %q\nand:  %q\nwant: the same arguments", a.ToolArgs, b.ToolArgs)
	}
	if a, b := s.OpenAI(openai[0]), s.OpenAI(openai[1]); a.Text == "" || a.Text != b.Text {
		t.Errorf("OpenAI, batched and streamed:\ngot:  %q\nand:  %q\nwant: the same text", a.Text, b.Text)
	}
	batchFirst, onlineFirst := &sptfake.Script{VaryRepeats: true}, &sptfake.Script{VaryRepeats: true}
	a := []string{batchFirst.Anthropic(anthropic[0]).ToolArgs, batchFirst.Anthropic(anthropic[1]).ToolArgs}
	b := []string{onlineFirst.Anthropic(anthropic[1]).ToolArgs, onlineFirst.Anthropic(anthropic[0]).ToolArgs}
	if a[0] == a[1] || a[0] != b[0] || a[1] != b[1] {
		t.Errorf("VaryRepeats: got %q then %q, and %q then %q in the other order; want two answers in receipt order", a[0], a[1], b[0], b[1])
	}
}
