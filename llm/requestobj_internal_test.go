package llm

import (
	"strings"
	"testing"
)

// BenchmarkEncodeRequestObject is the hot-path cost a stored request adds
// to a stage-3-sized call (a 14 KB system prompt and a 16 KB message):
// encoding and hashing it and its shared parts; the append rides the
// record's sync.
func BenchmarkEncodeRequestObject(b *testing.B) {
	spec := &ModelSpec{Provider: ProviderAnthropic, Model: "claude-sonnet-4-5", APIKeyEnv: "ANTHROPIC_API_KEY"}
	req := &Request{Model: spec.Model, System: strings.Repeat("Review the samples honestly. ", 500),
		Messages: []Message{{Role: RoleUser, Content: strings.Repeat("Sample: the model's response S. ", 500)}}, MaxTokens: 40000}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeRequestObject(spec, req); err != nil {
			b.Fatal(err)
		}
	}
}
