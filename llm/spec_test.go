package llm_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

func TestParseModelSpecDefaults(t *testing.T) {
	tests := []struct {
		raw                         map[string]any
		wantURL, wantKey, wantParam string
	}{
		{map[string]any{"provider": "anthropic", "model": "claude-opus-4-1"}, "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY", ""},
		{map[string]any{"provider": "anthropic", "model": "c", "base_url": "https://proxy.example/anthropic/"}, "https://proxy.example/anthropic/v1", "ANTHROPIC_API_KEY", ""},
		{map[string]any{"provider": "anthropic", "model": "c", "base_url": "https://proxy.example/v1/"}, "https://proxy.example/v1", "ANTHROPIC_API_KEY", ""},
		{map[string]any{"provider": "openai", "model": "gpt-5"}, "https://api.openai.com/v1", "OPENAI_API_KEY", "max_completion_tokens"},
		{map[string]any{"provider": "openai", "model": "gpt-4o"}, "https://api.openai.com/v1", "OPENAI_API_KEY", "max_tokens"},
		{map[string]any{"provider": "openrouter", "model": "qwen/qwen3-32b"}, "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "max_tokens"},
		{map[string]any{"provider": "vllm", "model": "q", "base_url": "http://gpu:8000/v1"}, "http://gpu:8000/v1", "", "max_tokens"},
		{map[string]any{"provider": "sim", "model": "s"}, "", "", ""},
	}
	for _, tt := range tests {
		m, err := llm.ParseModelSpec("x", tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		if m.BaseURL != tt.wantURL || m.APIKeyEnv != tt.wantKey || m.TokenParam != tt.wantParam {
			t.Errorf("%v: got (%q, %q, %q), want (%q, %q, %q)", tt.raw, m.BaseURL, m.APIKeyEnv, m.TokenParam,
				tt.wantURL, tt.wantKey, tt.wantParam)
		}
	}
}

func TestParseModelSpecFull(t *testing.T) {
	m, err := llm.ParseModelSpec("qwen", map[string]any{
		"provider": "openrouter", "model": "qwen/qwen3-32b", "max_tokens": 2048, "temperature": 0,
		"top_k": 20, "no_think_suffix": "\n\n/no_think", "extra": map[string]any{"reasoning": map[string]any{"enabled": false}},
		"rpm": 600, "concurrency": 8, "prices": map[string]any{"input": 0.1, "output": 0.3},
		"sim": map[string]any{"latency": "100ms", "rate_limit_rate": 0.01},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Temperature == nil || *m.Temperature != 0 || *m.TopK != 20 || m.RPM != 600 || m.Prices.Output != 0.3 ||
		m.Sim.Latency != 100*time.Millisecond {
		t.Errorf("got %+v", m)
	}
	c := m.Canonical()
	for _, k := range []string{"rpm", "concurrency", "prices", "base_url", "api_key_env"} {
		if _, ok := c[k]; ok {
			t.Errorf("Canonical has %q", k)
		}
	}
	if c["temperature"] != 0.0 || c["no_think_suffix"] != "\n\n/no_think" {
		t.Errorf("Canonical: got %v", c)
	}
	req := m.Apply(&llm.Request{System: "base"})
	if req.System != "base\n\n/no_think" || req.MaxTokens != 2048 || *req.Temperature != 0 || req.Extra["reasoning"] == nil {
		t.Errorf("Apply: got %+v", req)
	}
}

func TestParseModelSpecErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  map[string]any
		want []string
	}{
		{"unknown field", map[string]any{"provider": "sim", "model": "m", "temprature": 1}, []string{`temprature: unknown field`}},
		{"unknown nested", map[string]any{"provider": "sim", "model": "m", "prices": map[string]any{"inptu": 1}}, []string{"prices.inptu: unknown field"}},
		{"bad provider", map[string]any{"provider": "gemini", "model": "m"}, []string{`provider: "gemini": want one of`}},
		{"no model", map[string]any{"provider": "sim"}, []string{"model: required"}},
		{"wrong type", map[string]any{"provider": "sim", "model": "m", "rpm": "fast"}, []string{"rpm: want a number"}},
		{"not integer", map[string]any{"provider": "sim", "model": "m", "max_tokens": 1.5}, []string{"max_tokens: want an integer"}},
		{"thinking unsupported", map[string]any{"provider": "openrouter", "model": "x", "thinking": 1000}, []string{"does not support thinking"}},
		{"thinking on openai", map[string]any{"provider": "openai", "model": "gpt-4o", "thinking": 1000}, []string{"thinking: the openai provider takes no thinking budget"}},
		{"thinking over max", map[string]any{"provider": "anthropic", "model": "c", "thinking": 5000, "max_tokens": 4000}, []string{"below max_tokens"}},
		{"bad rate", map[string]any{"provider": "sim", "model": "m", "sim": map[string]any{"truncation_rate": 2}}, []string{"sim.truncation_rate: 2: want a probability in [0, 1]"}},
		{"bad duration", map[string]any{"provider": "sim", "model": "m", "sim": map[string]any{"latency": "soon"}}, []string{"sim.latency"}},
		{"several at once", map[string]any{"provider": "sim", "x": 1, "y": 2}, []string{"model: required", "x: unknown field", "y: unknown field"}},
		{"bad provider and no model", map[string]any{"provider": "gemini"}, []string{`provider: "gemini"`, "model: required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := llm.ParseModelSpec("mine", tt.raw)
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), `model "mine": `) {
				t.Errorf("error does not name the entry: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
