package connect_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/connect"
	"github.com/sptflow/sptflow/llm/llmtest"
)

// entry is one model entry and what validation must make of it: an error
// on the field wantField whose message contains wantMsg, or (wantField "")
// a spec that connects and sends requests without a configuration error.
type entry struct {
	name      string
	raw       map[string]any
	wantField string
	wantMsg   string
}

func m(provider, model string, kv ...any) map[string]any {
	raw := map[string]any{"provider": provider, "model": model}
	for i := 0; i+1 < len(kv); i += 2 {
		raw[kv[i].(string)] = kv[i+1]
	}
	return raw
}

var validationTable = []entry{
	// Valid entries: every provider at the edges of its documented ranges.
	{"anthropic defaults", m("anthropic", "claude-x"), "", ""},
	{"anthropic edges", m("anthropic", "claude-x", "temperature", 1, "top_p", 0, "top_k", 0, "max_tokens", 1), "", ""},
	{"anthropic base with /v1", m("anthropic", "claude-x", "base_url", "https://api.anthropic.com/v1/"), "", ""},
	{"anthropic thinking", m("anthropic", "claude-x", "thinking", 1024, "max_tokens", 1025, "top_p", 0.95, "temperature", 1), "", ""},
	{"openai edges", m("openai", "gpt-4o", "temperature", 2, "top_p", 1, "max_tokens", 8), "", ""},
	{"openai reasoning model", m("openai", "o3-mini", "token_param", "max_completion_tokens"), "", ""},
	{"openrouter top_k", m("openrouter", "qwen/qwen3-32b", "top_k", 0, "temperature", 2, "extra", map[string]any{"provider": map[string]any{"order": []any{"x"}}}), "", ""},
	{"openrouter thinking", m("openrouter", "anthropic/claude", "supports_thinking", true, "thinking", 2000), "", ""},
	{"vllm", m("vllm", "q", "base_url", "http://gpu:8000/v1", "temperature", 3.5, "top_p", 0.01, "top_k", -1), "", ""},
	{"llamacpp", m("llamacpp", "q", "top_k", 0, "temperature", 0), "", ""},
	{"ollama", m("ollama", "q", "temperature", 1.5, "top_p", 0.5, "api_key_env", "OLLAMA_KEY_2"), "", ""},
	{"sim with options", m("sim", "s", "thinking", 500, "top_k", 40, "sim", map[string]any{"latency": "0s", "truncation_rate": 1, "rate_limit_rate": 0}), "", ""},
	{"budgets and prices", m("openai", "gpt-4o", "rpm", 0, "tpm", 1, "concurrency", 3, "prices", map[string]any{"input": 0, "output": 1.5, "batch_discount": 1}), "", ""},

	// Sampling ranges per provider.
	{"temperature 50", m("anthropic", "c", "temperature", 50), "temperature", "50: want a number in [0, 1] (Anthropic Messages API)"},
	{"temperature above 1 on anthropic", m("anthropic", "c", "temperature", 1.5), "temperature", "[0, 1]"},
	{"temperature above 2 on openai", m("openai", "g", "temperature", 2.1), "temperature", "[0, 2]"},
	{"negative temperature", m("vllm", "q", "base_url", "http://h/v1", "temperature", -0.1), "temperature", "[0, ∞)"},
	{"top_p 7", m("openrouter", "q", "top_p", 7), "top_p", "7: want a number in [0, 1]"},
	{"top_p 0 on vllm", m("vllm", "q", "base_url", "http://h/v1", "top_p", 0), "top_p", "(0, 1]"},
	{"top_k -3", m("anthropic", "c", "top_k", -3), "top_k", "-3: want an integer >= 0"},
	{"top_k on openai", m("openai", "g", "top_k", 5), "top_k", "takes no top_k"},
	{"top_k on ollama", m("ollama", "q", "top_k", 5), "top_k", "takes no top_k"},
	{"top_k 0 on vllm", m("vllm", "q", "base_url", "http://h/v1", "top_k", 0), "top_k", "want -1 (off) or an integer >= 1"},
	{"top_k fraction", m("anthropic", "c", "top_k", 2.5), "top_k", "want an integer"},
	{"temperature not finite", m("openai", "g", "temperature", "NaN"), "temperature", "want a number"},
	{"max_tokens 0", m("anthropic", "c", "max_tokens", 0), "max_tokens", "want a positive number of tokens"},
	{"max_tokens negative", m("openai", "g", "max_tokens", -5), "max_tokens", "want a positive number of tokens"},

	// OpenAI reasoning models.
	{"o3 max_tokens", m("openai", "o3-mini", "token_param", "max_tokens"), "token_param", "take max_completion_tokens"},
	{"o1 temperature", m("openai", "o1", "temperature", 0.5), "temperature", "accept only the default 1"},
	{"gpt-5 top_p", m("openai", "gpt-5", "top_p", 0.9), "top_p", "accept only the default 1"},
	{"gpt-5-chat temperature", m("openai", "gpt-5-chat-latest", "temperature", 0.5), "", ""},
	{"o3 temperature 1", m("openai", "o3", "temperature", 1), "", ""},

	// Thinking.
	{"thinking below 1024 on anthropic", m("anthropic", "c", "thinking", 1000), "thinking", "at least 1024"},
	{"thinking over max_tokens", m("anthropic", "c", "thinking", 5000, "max_tokens", 4000), "thinking", "below max_tokens 4000"},
	{"thinking with temperature", m("anthropic", "c", "thinking", 2000, "temperature", 0.5), "temperature", "accepts no temperature but 1"},
	{"thinking with top_k", m("anthropic", "c", "thinking", 2000, "top_k", 5), "top_k", "accepts no top_k"},
	{"thinking with low top_p", m("anthropic", "c", "thinking", 2000, "top_p", 0.9), "top_p", "[0.95, 1]"},
	{"thinking on vllm", m("vllm", "q", "base_url", "http://h/v1", "supports_thinking", true, "thinking", 2000), "thinking", "takes no thinking budget"},
	{"thinking unsupported", m("openrouter", "q", "thinking", 2000), "thinking", "does not support thinking"},
	{"negative thinking", m("sim", "s", "thinking", -1), "thinking", "want 0 (off)"},

	// base_url, api_key_env, provider, token_param, model.
	{"base_url scheme", m("openai", "g", "base_url", "ftp://h/v1"), "base_url", "want an http:// or https:// URL"},
	{"base_url relative", m("vllm", "q", "base_url", "gpu:8000/v1"), "base_url", "want an http:// or https:// URL"},
	{"base_url no host", m("vllm", "q", "base_url", "http:///v1"), "base_url", "no host"},
	{"base_url query", m("openrouter", "q", "base_url", "https://openrouter.ai/api/v1?x=1"), "base_url", "no query"},
	{"base_url fragment", m("openai", "g", "base_url", "https://h/v1#frag"), "base_url", "no fragment"},
	{"base_url credentials", m("openai", "g", "base_url", "https://user:secret@h/v1"), "base_url", `"https://REDACTED@h/v1": credentials do not belong`},
	{"base_url bad port", m("openai", "g", "base_url", "https://h:port/v1"), "base_url", "invalid port"},
	{"base_url space", m("openai", "g", "base_url", "https://h x/v1"), "base_url", "invalid character"},
	{"base_url bare host", m("vllm", "q", "base_url", "http://gpu:8000"), "base_url", "write http://gpu:8000/v1"},
	{"base_url endpoint", m("openai", "g", "base_url", "https://api.openai.com/v1/chat/completions"), "base_url", "not the endpoint"},
	{"anthropic endpoint", m("anthropic", "c", "base_url", "https://api.anthropic.com/v1/messages"), "base_url", "not the endpoint"},
	{"anthropic repeated v1", m("anthropic", "c", "base_url", "https://api.anthropic.com/v1/v1"), "base_url", "repeats /v1; write https://api.anthropic.com/v1"},
	{"openai repeated v1", m("openai", "gpt-x", "base_url", "http://127.0.0.1:8000/v1/v1/"), "base_url", "repeats /v1; write http://127.0.0.1:8000/v1"},
	{"base_url on sim", m("sim", "s", "base_url", "http://h/v1"), "base_url", "sim provider sends no requests"},
	{"api_key_env on sim", m("sim", "s", "api_key_env", "SIM_KEY"), "api_key_env", "sim provider sends no requests"},
	{"api_key_env space", m("anthropic", "c", "api_key_env", "MY KEY"), "api_key_env", "want an environment variable name"},
	{"api_key_env digit", m("openai", "g", "api_key_env", "1KEY"), "api_key_env", "want an environment variable name"},
	{"api_key_env dollar", m("openai", "g", "api_key_env", "$OPENAI_API_KEY"), "api_key_env", "want an environment variable name"},
	{"provider", m("gemini", "g"), "provider", "want one of"},
	{"token_param value", m("openai", "g", "token_param", "max_output_tokens"), "token_param", "want max_tokens or max_completion_tokens"},
	{"token_param on anthropic", m("anthropic", "c", "token_param", "max_tokens"), "token_param", "only for OpenAI-compatible"},
	{"model blank", m("openai", " gpt-4o"), "model", "white space"},
	{"model control", m("openai", "gpt\n4o"), "model", "control character"},

	// extra, budgets, prices, sim options.
	{"extra model", m("openrouter", "q", "extra", map[string]any{"model": "other"}), "extra", "sptflow sets this field itself"},
	{"extra messages", m("anthropic", "c", "extra", map[string]any{"messages": []any{}}), "extra", "sptflow sets this field itself"},
	{"extra tools", m("openai", "g", "extra", map[string]any{"tools": []any{}}), "extra", "sptflow sets this field itself"},
	{"extra stream", m("openai", "g", "extra", map[string]any{"stream": true}), "extra", "sptflow sets this field itself"},
	{"extra system", m("anthropic", "c", "extra", map[string]any{"system": "x"}), "extra", "sptflow sets this field itself"},
	{"extra top_k", m("openai", "g", "extra", map[string]any{"top_k": 3}), "extra", "sptflow sets this field itself"},
	{"extra reasoning with thinking", m("openrouter", "q", "supports_thinking", true, "thinking", 2000, "extra", map[string]any{"reasoning": map[string]any{}}), "extra", "sets reasoning already"},
	{"negative rpm", m("openai", "g", "rpm", -1), "rpm", "want a positive integer"},
	{"negative concurrency", m("openai", "g", "concurrency", -2), "concurrency", "want a positive integer"},
	{"huge tpm", m("openai", "g", "tpm", 3e9), "tpm", "3e+09: want an integer of at most 2147483647"},
	{"fractional tpm", m("openai", "g", "tpm", 1.5), "tpm", "want an integer"},
	{"negative price", m("openai", "g", "prices", map[string]any{"output": -1}), "prices", "want a non-negative price"},
	{"unknown price", m("openai", "g", "prices", map[string]any{"inptu": 1}), "prices", "unknown field"},
	{"batch discount", m("openai", "g", "prices", map[string]any{"batch_discount": 1.5}), "prices", "want a fraction in [0, 1]"},
	{"sim rate", m("sim", "s", "sim", map[string]any{"server_error_rate": -0.1}), "sim", "want a probability in [0, 1]"},
	{"sim latency", m("sim", "s", "sim", map[string]any{"latency": "-1s"}), "sim", "non-negative duration"},
	{"unknown field", m("sim", "s", "temprature", 1), "temprature", "unknown field"},
}

// TestValidationTable: every entry either fails validation on the field it
// names, or connects (with its own base URL) and sends a plain and a
// forced-tool request to a fake server of its provider without error.
func TestValidationTable(t *testing.T) {
	anth := llmtest.NewAnthropic(llmtest.Options{APIKey: "test-key"})
	defer anth.Close()
	oai := llmtest.NewOpenAI(llmtest.Options{APIKey: "test-key"})
	defer oai.Close()
	orr := llmtest.NewOpenAI(llmtest.Options{APIKey: "test-key", Flavor: "openrouter"})
	defer orr.Close()
	fakes := map[string]*llmtest.Server{"anthropic": anth, "openrouter": orr}
	for _, tt := range validationTable {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := llm.ParseModelSpec(tt.name, tt.raw)
			if tt.wantField != "" {
				checkFieldError(t, err, tt.wantField, tt.wantMsg)
				return
			}
			if err != nil {
				t.Fatalf("got %v, want a valid entry", err)
			}
			fake := fakes[spec.Provider]
			if fake == nil {
				fake = oai
			}
			checkSends(t, spec, fake)
		})
	}
}

func checkFieldError(t *testing.T, err error, field, msg string) {
	t.Helper()
	var se *llm.SpecError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *llm.SpecError on %s", err, field)
	}
	for _, fe := range se.Fields {
		if fe.Path[0] == field && strings.Contains(fe.Error(), msg) {
			return
		}
	}
	t.Errorf("got %v, want an error on %s containing %q", err, field, msg)
}

// checkSends connects spec as the command does and sends two requests.
func checkSends(t *testing.T, spec *llm.ModelSpec, fake *llmtest.Server) {
	t.Helper()
	env := llm.ConnectEnv{APIKey: "test-key", BaseURL: spec.BaseURL, Log: zerolog.Nop()}
	if _, err := connect.Connect(spec, env); err != nil {
		t.Fatalf("connect with the entry's own base URL: %v", err)
	}
	if spec.Provider != llm.ProviderSim {
		env.BaseURL = onFake(spec.BaseURL, fake.URL)
	}
	p, err := connect.Connect(spec, env)
	if err != nil {
		t.Fatal(err)
	}
	tool := llm.Tool{Name: "answer", Description: "d", InputSchema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}}}`)}
	reqs := []*llm.Request{{System: "s", Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}}
	// Anthropic refuses thinking with a forced tool (see llm/validate.go).
	if spec.Provider != llm.ProviderSim && (spec.Provider != llm.ProviderAnthropic || spec.Thinking == 0) {
		reqs = append(reqs, &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "go"}},
			Tools: []llm.Tool{tool}, ForceTool: tool.Name})
	}
	for _, req := range reqs {
		if _, err := p.Call(t.Context(), spec.Apply(req)); err != nil && !slices.Contains(simFaults, llm.KindOf(err)) {
			t.Errorf("call (forced tool %q): %v", req.ForceTool, err)
		}
	}
}

// simFaults are what a sim entry's rates simulate on purpose.
var simFaults = []llm.ErrorKind{llm.KindRateLimited, llm.KindServer, llm.KindTruncated}

// onFake moves base onto the fake server, keeping its path when the fake
// serves it (/v1), so the provider's own URL building is exercised.
func onFake(base, fakeURL string) string {
	u, err := url.Parse(base)
	if err != nil || strings.TrimRight(u.Path, "/") != "/v1" {
		return fakeURL
	}
	f, _ := url.Parse(fakeURL)
	u.Scheme, u.Host = f.Scheme, f.Host
	return u.String()
}
