package main

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/connect"
	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/view"
)

// TestViewCurlIsWhatWasSent: the curl the viewer writes for a stored
// request carries the body the provider client sent for it, field for
// field, to the same endpoint, for each provider kind.
func TestViewCurlIsWhatWasSent(t *testing.T) {
	zero, half := 0.0, 0.5
	tool := llm.Tool{Name: "answer", Description: "d", InputSchema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}}}`)}
	reqs := map[string]*llm.Request{
		"plain": {System: "be brief, it's 'quoted'", Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi <there> & \"you\""}}},
		"tool": {Messages: []llm.Message{{Role: llm.RoleUser, Content: "go"}, {Role: llm.RoleAssistant, Content: "ok"}, {Role: llm.RoleUser, Content: "again"}},
			Tools: []llm.Tool{tool}, ForceTool: "answer", Temperature: &zero, TopP: &half},
		"extra": {Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}, Extra: map[string]any{"metadata": map[string]any{"user_id": "u1"}}},
	}
	for _, tc := range []struct {
		entry map[string]any
		fake  func(llmtest.Options) *llmtest.Server
		opts  llmtest.Options
	}{
		{map[string]any{"provider": "anthropic", "model": "claude-x", "max_tokens": 64}, llmtest.NewAnthropic, llmtest.Options{}},
		{map[string]any{"provider": "openai", "model": "gpt-x", "max_tokens": 64}, llmtest.NewOpenAI, llmtest.Options{}},
		{map[string]any{"provider": "openrouter", "model": "x/y", "max_tokens": 2048, "thinking": 1024, "supports_thinking": true}, llmtest.NewOpenAI, llmtest.Options{Flavor: "openrouter"}},
		{map[string]any{"provider": "vllm", "model": "qwen", "max_tokens": 64, "top_k": 20}, llmtest.NewOpenAI, llmtest.Options{}},
	} {
		spec, err := llm.ParseModelSpec("m", tc.entry)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(spec.Provider, func(t *testing.T) {
			srv := tc.fake(tc.opts)
			defer srv.Close()
			recs := llm.NewMemRecords()
			rt, err := llm.NewRuntime(llm.RuntimeConfig{Records: recs, Log: zerolog.Nop(),
				Getenv: func(string) string { return "test-key" }, Connect: connect.Connect,
				BaseURLOverride: func(string) string { return srv.URL }, RetryBase: time.Millisecond, RetryCap: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			c, err := rt.Client(spec)
			if err != nil {
				t.Fatal(err)
			}
			all := maps.Clone(reqs)
			if spec.Provider != llm.ProviderAnthropic {
				all["schema"] = &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "json"}},
					JSONSchema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}`)}
			}
			for name, req := range all {
				n := len(srv.Requests())
				_, _ = c.Do(t.Context(), llm.Call{Request: req, Attempts: 1}) // a failure stores its request too
				sent := srv.Requests()
				if len(sent) <= n {
					t.Fatalf("%s: nothing sent", name)
				}
				last := sent[len(sent)-1]
				rec, ok, _ := llm.LookupRecord(recs, c.KeyOf(req))
				if !ok {
					if rec, ok = llm.LookupFailure(recs, c.KeyOf(req)); !ok {
						t.Fatalf("%s: no record", name)
					}
				}
				d, _ := rec.RequestRef()
				sr, _, ok := llm.LookupRequest(recs, d)
				if !ok {
					t.Fatalf("%s: no stored request", name)
				}
				curl, err := view.CurlRequest(sr)
				if err != nil {
					t.Fatal(err)
				}
				got := curlBody(t, curl)
				want := last.JSON()
				delete(want, "stream")
				if !reflect.DeepEqual(got, want) {
					gb, _ := json.Marshal(got)
					wb, _ := json.Marshal(want)
					t.Errorf("%s: curl body\n%s\nwant what was sent\n%s", name, gb, wb)
				}
				if url := strings.Fields(curl)[1]; !strings.HasSuffix(strings.Trim(url, "'"), last.Path) {
					t.Errorf("%s: curl goes to %s, the request went to %s", name, url, last.Path)
				}
				if strings.Contains(curl, "test-key") {
					t.Errorf("%s: curl holds the key", name)
				}
			}
		})
	}
}
