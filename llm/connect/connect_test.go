package connect_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/connect"
	"github.com/sptflow/sptflow/llm/llmtest"
)

func runtimeFor(t *testing.T, url string) *llm.Runtime {
	t.Helper()
	rt, err := llm.NewRuntime(llm.RuntimeConfig{Records: llm.NewMemRecords(), Log: zerolog.Nop(),
		Getenv:            func(string) string { return "test-key" },
		Connect:           connect.Connect,
		BaseURLOverride:   func(string) string { return url },
		DefaultRetryAfter: 10 * time.Millisecond, RetryBase: time.Millisecond, RetryCap: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func spec(t *testing.T, provider string) *llm.ModelSpec {
	s, err := llm.ParseModelSpec("m", map[string]any{"provider": provider, "model": "gpt-4o-mini", "max_tokens": 64})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOpenAIThroughGovernor(t *testing.T) {
	srv := llmtest.NewOpenAI(llmtest.Options{Faults: []llmtest.Fault{{Status: 429, RetryAfter: "0"}}})
	defer srv.Close()
	rt := runtimeFor(t, srv.URL)
	c, err := rt.Client(spec(t, "openai"))
	if err != nil {
		t.Fatal(err)
	}
	req := &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}
	res, err := c.Do(t.Context(), llm.Call{Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if res.Response.Text == "" || res.Response.Attempts != 2 {
		t.Errorf("got text %q attempts %d, want an answer on attempt 2", res.Response.Text, res.Response.Attempts)
	}
	if tot := rt.Totals(); tot.RateLimited != 1 || tot.Requests != 1 {
		t.Errorf("totals: got %+v, want one 429 seen and one request", tot)
	}
	if _, err := c.Do(t.Context(), llm.Call{Request: req}); err != nil || srv.Count() != 2 {
		t.Errorf("second Do: err %v, server requests %d, want 2 (served from the store)", err, srv.Count())
	}
}

func TestAnthropicThroughGovernor(t *testing.T) {
	srv := llmtest.NewAnthropic(llmtest.Options{})
	defer srv.Close()
	rt := runtimeFor(t, srv.URL)
	s, err := llm.ParseModelSpec("c", map[string]any{"provider": "anthropic", "model": "claude-test", "max_tokens": 64})
	if err != nil {
		t.Fatal(err)
	}
	c, err := rt.Client(s)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(t.Context(), llm.Call{Request: &llm.Request{System: "s", Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Response.Text == "" || srv.Count() != 1 {
		t.Errorf("got text %q, server requests %d", res.Response.Text, srv.Count())
	}
}

func TestQuotaStopsRun(t *testing.T) {
	srv := llmtest.NewOpenAI(llmtest.Options{Faults: []llmtest.Fault{{Status: 429, ErrorType: "insufficient_quota"}}})
	defer srv.Close()
	c, err := runtimeFor(t, srv.URL).Client(spec(t, "openai"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"a", "b"} {
		_, err := c.Do(t.Context(), llm.Call{Request: &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: q}}}})
		if !errors.Is(err, llm.ErrQuotaExhausted) {
			t.Fatalf("%s: got %v, want ErrQuotaExhausted", q, err)
		}
	}
	if srv.Count() != 1 {
		t.Errorf("server requests: got %d, want 1", srv.Count())
	}
}

func TestUnknownProvider(t *testing.T) {
	if _, err := connect.Connect(&llm.ModelSpec{Provider: "nope"}, llm.ConnectEnv{}); err == nil {
		t.Error("got no error")
	}
}
