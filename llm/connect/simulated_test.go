package connect_test

import (
	"testing"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/connect"
	"github.com/sptflow/sptflow/llm/llmtest"
)

// A reply whose served model carries the fake servers' prefix is labelled
// simulated (response and stored record); any other is not.
func TestFakeServerRepliesAreSimulated(t *testing.T) {
	for _, tt := range []struct {
		provider, prefix string
		want             bool
	}{
		{"openai", connect.FakeModelPrefix, true},
		{"anthropic", connect.FakeModelPrefix, true},
		{"openai", "", false},
		{"anthropic", "", false},
	} {
		o := llmtest.Options{ModelPrefix: tt.prefix}
		srv := llmtest.NewOpenAI(o)
		if tt.provider == "anthropic" {
			srv = llmtest.NewAnthropic(o)
		}
		rt := runtimeFor(t, srv.URL)
		c, err := rt.Client(spec(t, tt.provider))
		if err != nil {
			t.Fatal(err)
		}
		req := &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}
		res, err := c.Do(t.Context(), llm.Call{Request: req})
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.Response.Simulated != tt.want {
			t.Errorf("%s served %q: simulated got: %v want: %v", tt.provider, res.Response.Model, res.Response.Simulated, tt.want)
		}
	}
}
