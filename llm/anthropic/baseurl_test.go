package anthropic

import (
	"context"
	"testing"

	"github.com/sptflow/sptflow/llm/llmtest"
)

// The base URL may be the host root (as Anthropic's SDKs take it) or end
// in /v1: both reach /v1/messages. (Malformed base URLs are refused when
// the model entry is validated: llm/validate.go.)
func TestBaseURLForms(t *testing.T) {
	srv := llmtest.NewAnthropic(llmtest.Options{APIKey: key})
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
		if r.Path != "/v1/messages" {
			t.Errorf("request path got: %s want: /v1/messages", r.Path)
		}
	}
}
