package anthropic

import (
	"strings"
	"testing"

	"github.com/sptflow/sptflow/llm"
)

// FuzzReadStream checks that no event stream makes the parser panic, and
// that whatever fails, fails as a typed *llm.Error.
func FuzzReadStream(f *testing.F) {
	f.Add("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\",\"content\":[],\"usage\":{}}}\n\n" +
		"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"name\":\"t\",\"input\":{}}}\n\n" +
		"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}\n\n" +
		"data: {\"type\":\"message_stop\"}\n\n")
	f.Add("data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")
	f.Add("data: {\"type\":\"content_block_delta\",\"index\":-1}\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := readStream(strings.NewReader(s))
		if err == nil && m == nil {
			t.Fatal("nil message without error")
		}
		if err != nil && llm.KindOf(err) == "" {
			t.Fatalf("untyped error %v", err)
		}
		if m != nil && err == nil {
			_ = m.response()
		}
	})
}
