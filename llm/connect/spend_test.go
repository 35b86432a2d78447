package connect_test

import (
	"context"
	"encoding/json"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/connect"
	"github.com/sptflow/sptflow/llm/llmtest"
)

// memLedger keeps Spend lines in memory.
type memLedger struct {
	mu    sync.Mutex
	lines []llm.Spend
}

func (m *memLedger) Note(_ context.Context, s llm.Spend) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines = append(m.lines, s)
}

func (m *memLedger) tally() llm.Spent {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, _ := llm.Tally(m.lines, nil)
	return t
}

// TestSpendMatchesServer sends one tool call through faults that a real
// provider bills differently — 500s and a 529 (no body: not billed), a
// truncated tool call and malformed tool JSON (whole replies: billed, then
// retried) — against the fake OpenAI and Anthropic servers, and checks that
// the runtime's totals and its ledger equal the server's own counts: HTTP
// requests received, tokens billed, and cost = tokens × prices. A second
// call is served from the store, with what it originally cost.
func TestSpendMatchesServer(t *testing.T) {
	faults := []llmtest.Fault{llmtest.ServerError(500), {ToolArgs: `{"answer": "cut sho`, Truncate: true},
		llmtest.ServerError(502), {ToolArgs: `{"answer": }`}, llmtest.Overloaded()}
	prices := map[string]any{"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75}
	for _, tt := range []struct {
		provider string
		start    func(llmtest.Options) *llmtest.Server
	}{{"openai", llmtest.NewOpenAI}, {"anthropic", llmtest.NewAnthropic}} {
		t.Run(tt.provider, func(t *testing.T) {
			srv := tt.start(llmtest.Options{Faults: faults})
			defer srv.Close()
			rs := llm.NewMemRecords()
			rt, err := llm.NewRuntime(llm.RuntimeConfig{Records: rs, Log: zerolog.Nop(),
				Getenv: func(string) string { return "test-key" }, Connect: connect.Connect,
				BaseURLOverride: func(string) string { return srv.URL },
				RetryBase:       time.Millisecond, RetryCap: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ledger := &memLedger{}
			rt.SetRun("run-1", ledger)
			s, err := llm.ParseModelSpec("m", map[string]any{"provider": tt.provider, "model": "model-x",
				"max_tokens": 64, "prices": prices})
			if err != nil {
				t.Fatal(err)
			}
			c, err := rt.Client(s)
			if err != nil {
				t.Fatal(err)
			}
			req := &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}, ForceTool: "answer",
				Tools: []llm.Tool{{Name: "answer", InputSchema: json.RawMessage(
					`{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]}`)}}}
			res, err := c.Do(t.Context(), llm.Call{Request: req, Attempts: 3})
			if err != nil {
				t.Fatal(err)
			}
			st := srv.Stats()
			b := st.Billed["model-x"]
			got, tot := ledger.tally(), rt.Totals()
			if st.Requests != 6 || b.Replies < 2 {
				t.Fatalf("server: %d requests, %d billed replies; want 6 and at least 2 (the faults, then a success)", st.Requests, b.Replies)
			}
			if got.Requests != int64(st.Requests) || tot.Attempts != int64(st.Requests) || res.Response.Attempts != st.Requests {
				t.Errorf("requests: ledger %d, totals %d, response %d; server received %d",
					got.Requests, tot.Attempts, res.Response.Attempts, st.Requests)
			}
			want := llm.Usage{InputTokens: b.InputTokens, OutputTokens: b.OutputTokens,
				CacheReadTokens: b.CacheReadTokens, CacheWriteTokens: b.CacheWriteTokens}
			if got.Usage != want || tot.Usage != want {
				t.Errorf("usage: ledger %+v, totals %+v; server billed %+v", got.Usage, tot.Usage, want)
			}
			wantCost := (float64(b.InputTokens)*3 + float64(b.OutputTokens)*15 +
				float64(b.CacheReadTokens)*0.3 + float64(b.CacheWriteTokens)*3.75) / 1e6
			if !near(got.CostUSD, wantCost) || !near(tot.CostUSD, wantCost) || !near(res.CostUSD, wantCost) {
				t.Errorf("cost: ledger %g, totals %g, result %g; want %g", got.CostUSD, tot.CostUSD, res.CostUSD, wantCost)
			}
			if got.Stored != 1 || got.FailedCalls != 5 || got.FailedUsage == (llm.Usage{}) ||
				got.FailedUsage.OutputTokens >= got.Usage.OutputTokens || tot.FailedUsage != got.FailedUsage {
				t.Errorf("ledger: %d stored, %d failed calls, failed usage %+v (totals %+v); want 1, 5 and the two unusable replies' tokens",
					got.Stored, got.FailedCalls, got.FailedUsage, tot.FailedUsage)
			}
			key, _ := llm.KeyOf(req, s)
			rec, _, _ := llm.LookupRecord(rs, key)
			if rec == nil || rec.Run != "run-1" || rec.FailedUsage == nil || *rec.FailedUsage != got.FailedUsage ||
				rec.Attempts != st.Requests || !near(rec.CostUSD, wantCost) {
				t.Errorf("stored record: %+v; want run-1, the failed usage, %d attempts and $%g", rec, st.Requests, wantCost)
			}

			if _, err := c.Do(t.Context(), llm.Call{Request: req}); err != nil {
				t.Fatal(err)
			}
			again, tot := ledger.tally(), rt.Totals()
			if again.Served != 1 || !near(again.SavedUSD, wantCost) || tot.Cached != 1 || !near(tot.SavedUSD, wantCost) ||
				again.Requests != got.Requests || srv.Count() != st.Requests {
				t.Errorf("served again: ledger %+v, totals %+v; want 1 served, saving $%g, nothing sent", again, tot, wantCost)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
