package openai

import (
	"context"
	"testing"

	"github.com/sptflow/sptflow/llm/llmtest"
)

// The base URL is the API root ending in /v1 (a trailing slash is
// fine). (Malformed base URLs are refused when the model entry is
// validated: llm/validate.go.)
func TestBaseURLForms(t *testing.T) {
	srv := llmtest.NewOpenAI(llmtest.Options{APIKey: key})
	defer srv.Close()
	root := srv.HTTP.URL
	for _, base := range []string{root + "/v1", root + "/v1/"} {
		p, err := New(Config{APIKey: key, BaseURL: base})
		if err != nil {
			t.Fatalf("New(%q): %v", base, err)
		}
		if _, err := p.Call(context.Background(), toolRequest()); err != nil {
			t.Errorf("base URL %q: %v", base, err)
		}
	}
	for _, r := range srv.Requests() {
		if r.Path != "/v1/chat/completions" {
			t.Errorf("request path got: %s want: /v1/chat/completions", r.Path)
		}
	}
}
