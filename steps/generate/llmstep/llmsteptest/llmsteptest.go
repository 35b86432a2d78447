// Package llmsteptest helps test the LLM node kinds: a runtime over a
// temporary request store whose providers count every request they send,
// simulated model entries, and a small prompt folder in the original layout.
package llmsteptest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
	llmconnect "github.com/sptflow/sptflow/llm/connect"
	"github.com/sptflow/sptflow/llm/sim"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/spt/sptsim"
)

// Counter counts the requests the providers sent (not those the request
// store served), by forced tool ("" for plain requests), and keeps them.
type Counter struct {
	mu   sync.Mutex
	n    map[string]int
	reqs []*llm.Request
}

// Count returns the requests sent for tool.
func (c *Counter) Count(tool string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[tool]
}

// Requests returns every request sent, in order.
func (c *Counter) Requests() []*llm.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*llm.Request(nil), c.reqs...)
}

// Reset forgets what was counted.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n, c.reqs = map[string]int{}, nil
}

// counting is a provider that counts the requests it passes on, by forced tool.
type counting struct {
	llm.Provider
	c *Counter
}

// Call implements llm.Provider.
func (p counting) Call(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	p.c.mu.Lock()
	p.c.n[req.ForceTool]++
	p.c.reqs = append(p.c.reqs, req)
	p.c.mu.Unlock()
	return p.Provider.Call(ctx, req)
}

// Runtime returns a runtime over the request store in dir (shared by every
// runtime opened on the same dir, like successive runs) with the SPT sim
// responders; responders, when given, replace some of them.
func Runtime(t testing.TB, dir string, responders map[string]llm.SimResponder) (*llm.Runtime, *Counter) {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	rs := sptsim.Responders()
	for k, v := range responders {
		rs[k] = v
	}
	c := &Counter{n: map[string]int{}}
	connect := func(spec *llm.ModelSpec, env llm.ConnectEnv) (llm.Provider, error) {
		p, err := sim.Connect(spec, env)
		if err != nil {
			return nil, err
		}
		return counting{p, c}, nil
	}
	records := st.RecordLog("llm")
	t.Cleanup(func() { records.Close() })
	rt, err := llm.NewRuntime(llm.RuntimeConfig{Records: records, Log: zerolog.Nop(),
		Getenv: func(string) string { return "" }, Sim: rs, Connect: connect})
	if err != nil {
		t.Fatalf("new runtime: %v", err)
	}
	return rt, c
}

// BatchRuntime is a runtime over the request store and batch ledger in
// dir for tests of the batch executor against the fake servers
// (llmtest): real providers (connect.Connect), the key "test-key", a
// 1 ms poll and no canary (tests of the canary set their own). tweak, if
// set, changes the configuration. done closes the request log.
func BatchRuntime(t testing.TB, dir string, tweak func(*llm.RuntimeConfig)) (rt *llm.Runtime, done func()) {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	records := st.RecordLog("llm")
	cfg := llm.RuntimeConfig{Records: records, Log: zerolog.Nop(),
		Getenv: func(string) string { return "test-key" }, Connect: llmconnect.Connect,
		Batches: store.Batches(dir), BatchPoll: time.Millisecond, BatchNoCanary: true}
	if tweak != nil {
		tweak(&cfg)
	}
	rt, err = llm.NewRuntime(cfg)
	if err != nil {
		records.Close()
		t.Fatalf("new runtime: %v", err)
	}
	return rt, func() { records.Close() }
}

// SimModel is a sim model entry.
func SimModel(name string, extra map[string]any) engine.ModelEntry {
	raw := map[string]any{"provider": "sim", "model": name, "max_tokens": 2048}
	for k, v := range extra {
		raw[k] = v
	}
	return engine.ModelEntry{Name: name, Raw: raw, Pos: "test.yaml:1:1"}
}

// WritePrompts writes a minimal prompt folder to dir/prompts: the base
// prompt, a stage-1 prompt per topic and split_personality and
// honesty_scare stage-3 prompts per topic.
func WritePrompts(t testing.TB, dir string, topics ...string) {
	t.Helper()
	files := map[string]string{spt.BaseFile: "You help build the SPT dataset. Literal braces {'role':'assistant'} stay.\n"}
	for _, topic := range topics {
		files[spt.Stage1File(topic)] = "# What is " + topic + "?\n\nWrite exactly {num_samples} samples about " +
			topic + ". Metadata example: {{\"difficulty\": \"easy\"}}. Use the stage_1_generation tool.\n"
		files[spt.Stage3File(topic, "split_personality")] = "# Stage 3 Data Assessment: " + topic +
			"\n\nWrite an intervention starting with " + sptsim.SplitPersonalityToken + " for each of the {num_samples} samples.\n"
		files[spt.Stage3File(topic, "honesty_scare")] = "# Stage 3 Data Assessment: " + topic +
			"\n\nWrite an external audit intervention for each sample.\n"
	}
	for rel, text := range files {
		p := filepath.Join(dir, "prompts", filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
