package llm_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/llm"
)

func ptr[T any](v T) *T { return &v }

func baseKeyRequest() *llm.Request {
	return &llm.Request{
		System:    "sys",
		Messages:  []llm.Message{{Role: llm.RoleUser, Content: "hello"}},
		Tools:     []llm.Tool{{Name: "t", Description: "d", InputSchema: json.RawMessage(`{"type":"object"}`)}},
		ForceTool: "t",
		MaxTokens: 100,
	}
}

func TestKeySensitivity(t *testing.T) {
	spec := testSpec(t, nil)
	base, _ := llm.KeyOf(baseKeyRequest(), spec)
	tests := []struct {
		name string
		req  func(r *llm.Request)
		spec map[string]any
	}{
		{"model", func(r *llm.Request) { r.Model = "other" }, nil},
		{"system", func(r *llm.Request) { r.System = "sys2" }, nil},
		{"message content", func(r *llm.Request) { r.Messages[0].Content = "hello!" }, nil},
		{"message role", func(r *llm.Request) { r.Messages[0].Role = llm.RoleAssistant }, nil},
		{"extra message", func(r *llm.Request) { r.Messages = append(r.Messages, llm.Message{Role: llm.RoleUser}) }, nil},
		{"tool schema", func(r *llm.Request) { r.Tools[0].InputSchema = json.RawMessage(`{"type":"array"}`) }, nil},
		{"tool description", func(r *llm.Request) { r.Tools[0].Description = "e" }, nil},
		{"force tool", func(r *llm.Request) { r.ForceTool = "" }, nil},
		{"json schema", func(r *llm.Request) { r.JSONSchema = json.RawMessage(`{}`) }, nil},
		{"temperature 0", func(r *llm.Request) { r.Temperature = ptr(0.0) }, nil},
		{"top_p", func(r *llm.Request) { r.TopP = ptr(0.9) }, nil},
		{"top_k", func(r *llm.Request) { r.TopK = ptr(40) }, nil},
		{"max tokens", func(r *llm.Request) { r.MaxTokens = 101 }, nil},
		{"thinking", func(r *llm.Request) { r.Thinking = &llm.Thinking{BudgetTokens: 10} }, nil},
		{"extra", func(r *llm.Request) { r.Extra = map[string]any{"reasoning": map[string]any{"enabled": false}} }, nil},
		{"replica", func(r *llm.Request) { r.Replica = 1 }, nil},
		{"provider kind", nil, map[string]any{"provider": "openrouter"}},
		{"spec model", nil, map[string]any{"model": "gpt-other"}},
		{"spec temperature", nil, map[string]any{"temperature": 0.5}},
		{"token param", nil, map[string]any{"token_param": "max_completion_tokens"}},
		{"no-think suffix", nil, map[string]any{"no_think_suffix": "\n/no_think"}},
		{"spec extra", nil, map[string]any{"extra": map[string]any{"min_p": 0.05}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, s := baseKeyRequest(), spec
			if tt.req != nil {
				tt.req(req)
			}
			if tt.spec != nil {
				s = testSpec(t, tt.spec)
			}
			if got, _ := llm.KeyOf(req, s); got == base {
				t.Errorf("key unchanged by %s: got %s", tt.name, got)
			}
		})
	}
}

func TestKeyInsensitivity(t *testing.T) {
	base, _ := llm.KeyOf(baseKeyRequest(), testSpec(t, nil))
	tests := []struct {
		name string
		spec map[string]any
		req  func(r *llm.Request)
	}{
		{"api key env", map[string]any{"api_key_env": "MY_KEY"}, nil},
		{"base url", map[string]any{"base_url": "http://127.0.0.1:1/v1"}, nil},
		{"budgets", map[string]any{"rpm": 10, "tpm": 1000, "input_tpm": 5, "output_tpm": 5, "concurrency": 2}, nil},
		{"prices", map[string]any{"prices": map[string]any{"input": 3, "output": 15}}, nil},
		{"schema whitespace", nil, func(r *llm.Request) { r.Tools[0].InputSchema = json.RawMessage("{ \"type\" : \"object\" }") }},
		{"max tokens from spec", map[string]any{"max_tokens": 100}, func(r *llm.Request) { r.MaxTokens = 0 }},
		{"model from spec", map[string]any{"model": "gpt-test"}, func(r *llm.Request) { r.Model = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := baseKeyRequest()
			if tt.req != nil {
				tt.req(req)
			}
			if got, _ := llm.KeyOf(req, testSpec(t, tt.spec)); got != base {
				t.Errorf("key changed by %s: got %s, want %s", tt.name, got, base)
			}
		})
	}
}

// TestKeyStable pins the key of one request: a change means every stored
// response is orphaned, so it must come with a RequestKeySchema bump.
func TestKeyStable(t *testing.T) {
	got, comps := llm.KeyOf(baseKeyRequest(), testSpec(t, nil))
	const want = "04be2627901a47a24a6e97467592655ee3ff1fde05e7bc7c0742c6bc67125ab0"
	if got.String() != want {
		var b bytes.Buffer
		llm.WriteKeyDebug(&b, got, comps)
		t.Errorf("key: got %s, want %s\n%s", got, want, b.String())
	}
}

func TestKeyDebugPrintsComponents(t *testing.T) {
	var out bytes.Buffer
	rt := newRuntime(t, newMemRecords(), &fakeProvider{}, func(c *llm.RuntimeConfig) {
		c.Getenv = func(k string) string {
			if k == "SPTFLOW_DEBUG" {
				return "requestkey"
			}
			return "sk-secret"
		}
		c.DebugOut = &out
	})
	c := newClient(t, rt, testSpec(t, nil))
	if _, err := c.Do(t.Context(), llm.Call{Request: userReq("hi")}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"schema: \"" + llm.RequestKeySchema, "messages:", "replica: \"0\"", "provider: \"openai\""} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("debug output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "sk-secret") {
		t.Errorf("debug output contains the API key")
	}
}

// TestKeySimReviewRate: the sim provider's review rejection rate decides
// what a stored review says, so it is part of a sim model's keys; its
// other options change only how calls fail, and the default rate adds
// nothing, so sim keys from before the component existed stay valid.
func TestKeySimReviewRate(t *testing.T) {
	key := func(sim map[string]any) llm.RequestKey {
		entry := map[string]any{"provider": "sim", "model": "m"}
		if sim != nil {
			entry["sim"] = sim
		}
		spec, err := llm.ParseModelSpec("m", entry)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := llm.KeyOf(baseKeyRequest(), spec)
		return k
	}
	plain := key(nil)
	tests := []struct {
		name string
		sim  map[string]any
		same bool
	}{
		{"default rate", map[string]any{"review_rejection_rate": 0}, true},
		{"latency and failures", map[string]any{"latency": "10ms", "server_error_rate": 0.2, "truncation_rate": 0.1}, true},
		{"review rate", map[string]any{"review_rejection_rate": 0.3}, false},
	}
	for _, tt := range tests {
		if got := key(tt.sim) == plain; got != tt.same {
			t.Errorf("%s: key equal to the plain sim key: got %v, want %v", tt.name, got, tt.same)
		}
	}
	if key(map[string]any{"review_rejection_rate": 0.3}) == key(map[string]any{"review_rejection_rate": 0.6}) {
		t.Error("two review rates share a key")
	}
}
