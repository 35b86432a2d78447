package openai

import (
	"context"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/llm/llmtest"
)

// The base URL is the API root ending in /v1 (a trailing slash is
// fine). An endpoint URL or a bare host is refused with the fix.
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
	for base, want := range map[string]string{root + "/v1/chat/completions": "names an endpoint", root: "write \"" + root + "/v1\""} {
		if _, err := New(Config{APIKey: key, BaseURL: base}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("base URL %s: got %v, want an error saying %s", base, err, want)
		}
	}
}
