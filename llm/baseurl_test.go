package llm

import (
	"strings"
	"testing"
)

func TestAPIBaseURL(t *testing.T) {
	tests := []struct {
		provider, raw, want string
	}{
		{ProviderAnthropic, "https://api.anthropic.com", "https://api.anthropic.com/v1"},
		{ProviderAnthropic, "https://api.anthropic.com/", "https://api.anthropic.com/v1"},
		{ProviderAnthropic, "https://api.anthropic.com/v1", "https://api.anthropic.com/v1"},
		{ProviderAnthropic, "http://127.0.0.1:8089/v1/", "http://127.0.0.1:8089/v1"},
		{ProviderAnthropic, "https://gateway.example/anthropic", "https://gateway.example/anthropic/v1"},
		{ProviderOpenAI, "https://api.openai.com/v1", "https://api.openai.com/v1"},
		{ProviderOpenRouter, "https://openrouter.ai/api/v1/", "https://openrouter.ai/api/v1"},
		{ProviderVLLM, "http://gpu:8000/openai", "http://gpu:8000/openai"},
		{ProviderOllama, "http://localhost:11434/v1", "http://localhost:11434/v1"},
	}
	for _, tt := range tests {
		got, err := APIBaseURL(tt.provider, tt.raw)
		if err != nil || got != tt.want {
			t.Errorf("APIBaseURL(%s, %q) got: %q, %v want: %q", tt.provider, tt.raw, got, err, tt.want)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	tests := []struct {
		provider, raw, want string // want: "" or a part of the message
	}{
		{ProviderAnthropic, "", ""},
		{ProviderSim, "whatever", ""},
		{ProviderAnthropic, "https://api.anthropic.com/v1/messages", `names an endpoint; write the API root "https://api.anthropic.com/v1" (the provider appends /v1/messages)`},
		{ProviderOpenAI, "http://127.0.0.1:8089/v1/chat/completions", `names an endpoint; write the API root "http://127.0.0.1:8089/v1" (the provider appends /chat/completions)`},
		{ProviderAnthropic, "http://127.0.0.1:8089/v1/v1", `repeats /v1; write "http://127.0.0.1:8089/v1"`},
		{ProviderOpenRouter, "openrouter.ai/api/v1", "want an absolute http:// or https:// URL such as https://openrouter.ai/api/v1"},
		{ProviderOpenAI, "ftp://host/v1", "want an absolute http:// or https:// URL"},
		{ProviderOpenAI, "https://host/v1?key=x", "want no query, fragment or user info"},
		{ProviderOpenAI, "https://user:pw@host/v1", "want no query, fragment or user info"},
		{ProviderOpenAI, "http://[::1", `base_url "http://[::1": missing ']' in host`},
		{ProviderVLLM, "http://gpu:8000/", `the OpenAI-compatible API is served under a path such as /v1; write "http://gpu:8000/v1"`},
		{ProviderAnthropic, "http://127.0.0.1:8089", ""},
	}
	for _, tt := range tests {
		err := CheckBaseURL(tt.provider, tt.raw)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckBaseURL(%s, %q) got: %v want: nil", tt.provider, tt.raw, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckBaseURL(%s, %q) got: %v want: …%s…", tt.provider, tt.raw, err, tt.want)
		}
	}
}
