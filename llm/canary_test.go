package llm_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/llm"
)

func TestCheckCanary(t *testing.T) {
	tool := &llm.Request{ForceTool: "review", MaxTokens: 100}
	structured := &llm.Request{JSONSchema: json.RawMessage(`{"type":"object"}`), MaxTokens: 100}
	for _, tc := range []struct {
		name string
		req  *llm.Request
		resp *llm.Response
		want string // "" = accepted
	}{
		{"tool call", tool, &llm.Response{ToolCalls: []llm.ToolCall{{Name: "review", Arguments: json.RawMessage(`{"ok":true}`)}}}, ""},
		{"no tool call", tool, &llm.Response{Text: "sure"}, "no call of the forced tool review"},
		{"arguments not an object", tool, &llm.Response{ToolCalls: []llm.ToolCall{{Name: "review", Arguments: json.RawMessage(`[1]`)}}}, "not a JSON object"},
		{"refusal", &llm.Request{}, &llm.Response{StopReason: llm.StopRefusal}, "refused"},
		{"plain text", &llm.Request{}, &llm.Response{Text: "hello", StopReason: llm.StopMaxTokens}, ""},
		{"structured", structured, &llm.Response{Text: `{"a":1}`}, ""},
		{"structured cut", structured, &llm.Response{Text: `{"a":`, StopReason: llm.StopMaxTokens}, "cut at max_tokens 100"},
		{"structured not JSON", structured, &llm.Response{Text: `a`}, "not JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := llm.CheckCanary(tc.req, tc.resp)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v, want accepted", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}
