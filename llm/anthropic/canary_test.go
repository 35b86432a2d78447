package anthropic

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/llmtest"
)

// TestBatchCanary: before the first batch of a request shape, one of its
// requests goes online; a shape the provider refuses fails the batch run
// with the provider's message and submits nothing; a proven shape sends no
// canary again, in a later runtime too; each new shape gets its own.
func TestBatchCanary(t *testing.T) {
	ctx := context.Background()
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 1}})

	// The fake refuses a tool whose input schema is not an object.
	bad := batchRequests(4)
	for _, r := range bad {
		r.Tools[0].InputSchema = json.RawMessage(`{"type":"array","items":{"type":"string"}}`)
	}
	_, err := env.client(t, nil).RunBatch(ctx, "p1", bad)
	if err == nil || !strings.Contains(err.Error(), "refused the canary") ||
		!strings.Contains(err.Error(), "input_schema.type: Input should be 'object'") || llm.KindOf(err) != llm.KindInvalidRequest {
		t.Fatalf("refused shape: %v, want the provider's invalid-request message", err)
	}
	st := env.srv.Stats()
	if st.Batches != 0 || env.srv.Count() != 1 {
		t.Errorf("after the refused canary: %d batches, %d requests; want no batch, the one canary request", st.Batches, env.srv.Count())
	}
	if all, _ := store.Batches(env.ledger).All(); len(all) != 0 {
		t.Errorf("ledger after the refused canary: %d files, want none (no intent, no proven shape)", len(all))
	}

	// A good shape: one canary, the rest in one batch.
	good := batchRequests(5)
	rep, err := env.client(t, nil).RunBatch(ctx, "p1", good)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Canaries != 1 || rep.Submitted != 4 || rep.Succeeded != 4 {
		t.Errorf("good shape: %+v, want 1 canary and 4 in the batch", rep)
	}
	if !env.client(t, nil).Cached(good[0]) {
		t.Error("the canary's response is not in the request store")
	}

	// Same shape, new messages, a new runtime: proven, no canary.
	more := batchRequests(8)[5:]
	rep, err = env.client(t, nil).RunBatch(ctx, "p1", more)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Canaries != 0 || rep.Submitted != 3 {
		t.Errorf("proven shape: %+v, want no canary and 3 in the batch", rep)
	}

	// Another shape (a different max_tokens) gets its canary.
	other := batchRequests(3)
	for _, r := range other {
		r.MaxTokens = 2000
	}
	rep, err = env.client(t, nil).RunBatch(ctx, "p1", other)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Canaries != 1 || rep.Submitted != 2 {
		t.Errorf("new shape: %+v, want 1 canary and 2 in the batch", rep)
	}
	st = env.srv.Stats()
	if st.Billed["claude-sonnet-4-5"].Replies != 2 || st.BatchBilled["claude-sonnet-4-5"].Replies != 9 || st.Batches != 3 {
		t.Errorf("fake stats %+v: want 2 canaries billed online, 9 batch results in 3 batches", st)
	}
}

// TestBatchInFlightVisible: while a batch is polled, the runtime reports
// it (the progress display) and its ledger entry holds the counts as last
// polled (status); both are gone once it is harvested.
func TestBatchInFlightVisible(t *testing.T) {
	ctx := context.Background()
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 2}})
	var rt *llm.Runtime
	var seen []llm.BatchProgress
	var ledger []*llm.BatchEntry
	rt = env.runtime(t, func(c *llm.RuntimeConfig) {
		c.BatchHook = func(p string) error {
			if p == llm.HookBatchPolled {
				seen = rt.BatchesInFlight()
				ledger, _ = llm.ReadBatchLedger(store.Batches(env.ledger))
			}
			return nil
		}
	})
	c, err := rt.Client(env.spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RunBatch(ctx, "p1", batchRequests(4)); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0].Model != "judge" || seen[0].Counts.Processing != 3 || seen[0].ETA.IsZero() {
		t.Errorf("in flight at the first poll: %+v, want the batch of 3 processing, with an ETA", seen)
	}
	if len(ledger) != 1 || ledger[0].Counts == nil || ledger[0].Counts.Processing != 3 || ledger[0].Polled.IsZero() {
		t.Errorf("ledger at the first poll: %+v, want the counts as polled", ledger)
	}
	if n := len(rt.BatchesInFlight()); n != 0 {
		t.Errorf("%d batches still reported in flight after the harvest", n)
	}
}
