package openai

import (
	"context"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/llm/llmtest"
)

// The base URL is the API root ending in /v1; a bare host gets /v1. An
// endpoint URL is refused with the fix.
func TestBaseURLForms(t *testing.T) {
	srv := llmtest.NewOpenAI(llmtest.Options{APIKey: key})
	defer srv.Close()
	root := srv.HTTP.URL
	for _, base := range []string{root, root + "/", root + "/v1", root + "/v1/"} {
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
	_, err := New(Config{APIKey: key, BaseURL: root + "/v1/chat/completions"})
	if err == nil || !strings.Contains(err.Error(), "names an endpoint") {
		t.Errorf("endpoint as base URL: got %v, want an error naming the endpoint", err)
	}
}
