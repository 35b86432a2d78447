package llm_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/llm"
)

func newMemRecords() *llm.MemRecords { return llm.NewMemRecords() }

// fakeProvider answers with a script and counts calls.
type fakeProvider struct {
	calls  atomic.Int64
	mu     sync.Mutex
	starts []time.Time
	script func(n int64, req *llm.Request) (*llm.Response, error)
}

func (f *fakeProvider) Name() string { return "fake" }

func (f *fakeProvider) Call(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	n := f.calls.Add(1)
	f.mu.Lock()
	f.starts = append(f.starts, time.Now())
	f.mu.Unlock()
	if f.script != nil {
		return f.script(n, req)
	}
	return okResponse(req), nil
}

func okResponse(req *llm.Request) *llm.Response {
	return &llm.Response{Text: "answer to " + req.Messages[0].Content, StopReason: llm.StopEnd,
		Model: req.Model + "-served", Usage: llm.Usage{InputTokens: 100, OutputTokens: 50}}
}

func testSpec(t *testing.T, raw map[string]any) *llm.ModelSpec {
	t.Helper()
	base := map[string]any{"provider": "openai", "model": "gpt-test", "max_tokens": 256}
	for k, v := range raw {
		base[k] = v
	}
	spec, err := llm.ParseModelSpec("m", base)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func newRuntime(t *testing.T, rs llm.RecordStore, p llm.Provider, mod func(*llm.RuntimeConfig)) *llm.Runtime {
	t.Helper()
	cfg := llm.RuntimeConfig{
		Records:           rs,
		Log:               zerolog.Nop(),
		Getenv:            func(string) string { return "" },
		Connect:           func(*llm.ModelSpec, llm.ConnectEnv) (llm.Provider, error) { return p, nil },
		DefaultRetryAfter: 50 * time.Millisecond,
		RetryBase:         time.Millisecond,
		RetryCap:          5 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	rt, err := llm.NewRuntime(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func newClient(t *testing.T, rt *llm.Runtime, spec *llm.ModelSpec) *llm.Client {
	t.Helper()
	c, err := rt.Client(spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func userReq(content string) *llm.Request {
	return &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: content}}}
}
