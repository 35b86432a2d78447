package anthropic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/llm/transport"
)

// batchEnv is one "process": a runtime over a request store and a batch
// ledger that outlive it, talking to a fake server.
type batchEnv struct {
	records *llm.MemRecords
	ledger  string
	srv     *llmtest.Server
	spec    *llm.ModelSpec
}

func newBatchEnv(t *testing.T, o llmtest.Options) *batchEnv {
	t.Helper()
	o.APIKey = key
	srv := llmtest.NewAnthropic(o)
	t.Cleanup(srv.Close)
	return &batchEnv{records: llm.NewMemRecords(), ledger: t.TempDir(), srv: srv, spec: judgeSpec(t)}
}

func judgeSpec(t *testing.T) *llm.ModelSpec {
	t.Helper()
	spec, err := llm.ParseModelSpec("judge", map[string]any{"provider": "anthropic", "model": "claude-sonnet-4-5",
		"execution": "batch", "prices": map[string]any{"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75, "batch_discount": 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func (e *batchEnv) client(t *testing.T, tweak func(*llm.RuntimeConfig)) *llm.Client {
	t.Helper()
	c, err := e.runtime(t, tweak).Client(e.spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *batchEnv) runtime(t *testing.T, tweak func(*llm.RuntimeConfig)) *llm.Runtime {
	t.Helper()
	cfg := llm.RuntimeConfig{Records: e.records, Log: zerolog.Nop(), Getenv: func(string) string { return key },
		Batches: store.Batches(e.ledger), BatchPoll: time.Millisecond,
		Connect: func(_ *llm.ModelSpec, _ llm.ConnectEnv) (llm.Provider, error) {
			return New(Config{APIKey: key, BaseURL: e.srv.URL, HTTPClient: transport.New(transport.Config{
				MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, MaxRetries: 2})})
		}}
	if tweak != nil {
		tweak(&cfg)
	}
	rt, err := llm.NewRuntime(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func batchRequests(n int) []*llm.Request {
	reqs := make([]*llm.Request, n)
	for i := range reqs {
		r := toolRequest()
		r.Messages = []llm.Message{{Role: llm.RoleUser, Content: fmt.Sprintf("Review sample %d.", i)}}
		reqs[i] = r
	}
	return reqs
}

// TestBatchEqualsOnline: the batch path stores, under the request keys,
// the responses the online path gets for the same requests, at half the
// price, and then serves every call from the store.
func TestBatchEqualsOnline(t *testing.T) {
	ctx := context.Background()
	reqs := batchRequests(7)
	online := newBatchEnv(t, llmtest.Options{})
	oc := online.client(t, nil)
	var want []*llm.Result
	for _, r := range reqs {
		res, err := oc.Do(ctx, llm.Call{Request: r})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, res)
	}

	batch := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 3}})
	bc := batch.client(t, nil)
	rep, err := bc.RunBatch(ctx, "p1", reqs)
	if err != nil {
		t.Fatal(err)
	}
	// The first request is the canary of the request shape, sent online.
	if rep.Batches != 1 || rep.Canaries != 1 || rep.Succeeded != 6 || rep.Submitted != 6 {
		t.Errorf("report %+v: want 1 canary, 1 batch, 6 submitted and succeeded", rep)
	}
	// The calls that get the results count them as their own requests
	// and cost (a partition's lock entry: not served from the store), as
	// online calls would; a later call is served from the store.
	var own llm.Meter
	paid := 0.0
	for i, r := range reqs {
		res, err := bc.Do(ctx, llm.Call{Request: r, Meter: &own})
		if err != nil {
			t.Fatal(err)
		}
		if res.Cached {
			t.Errorf("request %d: cached, want the call's own (this run bought it)", i)
		}
		paid += res.CostUSD
		if got, w := string(res.Response.ToolCalls[0].Arguments), string(want[i].Response.ToolCalls[0].Arguments); got != w {
			t.Errorf("request %d: batch answer %s, online %s", i, got, w)
		}
		full := batch.spec.Prices.Cost(res.Response.Usage, false)
		want := full / 2
		if i == 0 {
			want = full // the canary
		}
		if d := res.CostUSD - want; d > 1e-12 || d < -1e-12 {
			t.Errorf("request %d: cost %g, want %g (online price %g)", i, res.CostUSD, want, full)
		}
	}
	if got := own.Totals(); got.Requests != 7 || got.Cached != 0 || got.SavedUSD != 0 || math.Abs(got.CostUSD-paid) > 1e-12 {
		t.Errorf("meter of the calls after the batch %+v: want 7 requests costing $%g, none cached", got, paid)
	}
	var again llm.Meter
	for _, r := range reqs {
		if res, err := bc.Do(ctx, llm.Call{Request: r, Meter: &again}); err != nil || !res.Cached {
			t.Fatalf("second call: %+v, %v: want it served from the store", res, err)
		}
	}
	if got := again.Totals(); got.Requests != 0 || got.Cached != 7 || math.Abs(got.SavedUSD-paid) > 1e-12 {
		t.Errorf("meter of the second calls %+v: want 7 cached, saving $%g", got, paid)
	}
	st := batch.srv.Stats()
	if st.Billed["claude-sonnet-4-5"].Replies != 1 || st.Batches != 1 || st.BatchBilled["claude-sonnet-4-5"].Replies != 6 {
		t.Errorf("fake stats %+v: want 6 batch-billed replies in 1 batch, the canary online", st)
	}
	if all, _ := llm.ReadBatchLedger(store.Batches(batch.ledger)); len(all) != 0 {
		t.Errorf("ledger entries left after the harvest: %d", len(all))
	}
	// A second run sends nothing.
	rep, err = batch.client(t, nil).RunBatch(ctx, "p1", reqs)
	if err != nil || rep.Stored != 7 || rep.Batches != 0 {
		t.Errorf("rerun: %+v, %v: want all 7 stored, no batch", rep, err)
	}
}

var errCrash = errors.New("simulated crash")

// TestBatchCrashRecovery: a "process" that dies after the intent record
// (before or after the provider created the batch) is followed by one that
// creates no second batch for the same keys, and loses no result.
func TestBatchCrashRecovery(t *testing.T) {
	for _, tc := range []struct {
		point       string
		wantBatches int // created by the crashed run
		wantAdopted int
	}{
		{llm.HookBatchIntent, 0, 0},
		{llm.HookBatchCreated, 1, 1},
	} {
		t.Run(tc.point, func(t *testing.T) {
			ctx := context.Background()
			env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 2}})
			reqs := batchRequests(5)
			crashing := env.client(t, func(c *llm.RuntimeConfig) {
				c.BatchHook = func(p string) error {
					if p == tc.point {
						return errCrash
					}
					return nil
				}
			})
			if _, err := crashing.RunBatch(ctx, "p1", reqs); !errors.Is(err, errCrash) {
				t.Fatalf("crashing run: %v, want the crash", err)
			}
			if n := env.srv.Stats().Batches; n != tc.wantBatches {
				t.Fatalf("batches after the crash: %d, want %d", n, tc.wantBatches)
			}
			if all, _ := llm.ReadBatchLedger(store.Batches(env.ledger)); len(all) != 1 {
				t.Fatalf("intent records after the crash: %d, want 1", len(all))
			}
			rep, err := env.client(t, nil).RunBatch(ctx, "p1", reqs)
			if err != nil {
				t.Fatal(err)
			}
			if got := env.srv.Batches(); len(got) != 1 || got[0] != 4 {
				t.Errorf("fake batches %v: want exactly one of 4 requests (the canary went online)", got)
			}
			if rep.Adopted != tc.wantAdopted || rep.Succeeded != 4 || rep.Canaries != 0 {
				t.Errorf("rerun report %+v: want %d adopted, 4 stored, no second canary", rep, tc.wantAdopted)
			}
			for i, r := range reqs {
				if _, ok, _ := llm.LookupRecord(env.records, env.spec.KeyOfRequest(r)); !ok {
					t.Errorf("request %d: not stored", i)
				}
			}
		})
	}
}

// TestBatchOutcomes: an invalid request becomes a failure with the
// provider's message and is not resubmitted; expired requests and server
// errors go into the next wave. (Request 0 is the canary, sent online.)
func TestBatchOutcomes(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[string]int{}
	reqs := batchRequests(6)
	var ids []string
	for _, r := range reqs {
		ids = append(ids, judgeSpec(t).KeyOfRequest(r).String())
	}
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 1, Fate: func(id string, i int) llmtest.BatchFate {
		mu.Lock()
		defer mu.Unlock()
		seen[id]++
		first := seen[id] == 1
		switch {
		case id == ids[1]:
			return llmtest.BatchFate{Error: "messages.0.content: invalid shape"}
		case id == ids[2] && first:
			return llmtest.BatchFate{Expire: true}
		case id == ids[3] && first:
			return llmtest.BatchFate{ServerError: true}
		}
		return llmtest.BatchFate{}
	}}})
	rep, err := env.client(t, nil).RunBatch(ctx, "p1", reqs)
	if err != nil {
		t.Fatal(err)
	}
	if got := env.srv.Batches(); len(got) != 2 || got[0] != 5 || got[1] != 2 {
		t.Errorf("batches %v: want [5 2] (the expired and the server error again)", got)
	}
	if rep.Succeeded != 4 || rep.Again != 2 || len(rep.Failures) != 1 || rep.Canaries != 1 {
		t.Errorf("report %+v: want 1 canary, 4 stored, 2 resubmitted, 1 failure", rep)
	}
	k0 := env.spec.KeyOfRequest(reqs[1])
	ferr := rep.Failure(k0)
	if ferr == nil || !strings.Contains(ferr.Error(), "invalid shape") || llm.KindOf(ferr) != llm.KindInvalidRequest {
		t.Errorf("failure of request 0: %v, want the provider's invalid_request message", ferr)
	}
	if rec, ok := llm.LookupFailure(env.records, k0); !ok || !strings.Contains(rec.Error, "invalid shape") {
		t.Errorf("failure record of request 0: %+v, want the provider's message", rec)
	}
	if st := env.srv.Stats(); st.BatchBilled["claude-sonnet-4-5"].Replies != 4 {
		t.Errorf("batch-billed replies %+v: want the 4 succeeded only", st.BatchBilled)
	}
	if n := seen[ids[1]]; n != 1 {
		t.Errorf("the invalid request was submitted %d times, want once", n)
	}
}

// TestBatchNoWait: without waiting, a batch in flight ends the run with
// "N batches in flight, ETA"; the reruns never submit it again, and a
// waiting run harvests it.
func TestBatchNoWait(t *testing.T) {
	ctx := context.Background()
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 4}})
	reqs := batchRequests(3)
	noWait := func(c *llm.RuntimeConfig) { c.BatchNoWait = true }
	for run := 1; run <= 2; run++ {
		_, err := env.client(t, noWait).RunBatch(ctx, "p1", reqs)
		var ie *llm.InFlightError
		if !errors.As(err, &ie) || ie.Batches != 1 || !strings.Contains(err.Error(), "1 batches in flight") {
			t.Fatalf("no-wait run %d: %v, want 1 batch in flight", run, err)
		}
	}
	rep, err := env.client(t, nil).RunBatch(ctx, "p1", reqs)
	if err != nil || rep.Succeeded != 2 || rep.Stored != 1 || rep.Batches != 0 {
		t.Fatalf("waiting run: %+v, %v: want the canary stored, the 2 results of the batch in flight, no new batch", rep, err)
	}
	if n := env.srv.Stats().Batches; n != 1 {
		t.Errorf("batches created: %d, want 1", n)
	}
}

// TestBatchKeepsPaidResults: a rerun that asks for fewer requests than
// the interrupted run submitted still stores every result of the batch it
// adopts (they were paid for), and creates no batch.
func TestBatchKeepsPaidResults(t *testing.T) {
	ctx := context.Background()
	env := newBatchEnv(t, llmtest.Options{})
	reqs := batchRequests(5)
	crash := func(c *llm.RuntimeConfig) {
		c.BatchHook = func(p string) error {
			if p == llm.HookBatchCreated {
				return errCrash
			}
			return nil
		}
	}
	if _, err := env.client(t, crash).RunBatch(ctx, "p1", reqs); !errors.Is(err, errCrash) {
		t.Fatalf("crashing run: %v", err)
	}
	rep, err := env.client(t, nil).RunBatch(ctx, "p1", reqs[:2])
	if err != nil {
		t.Fatal(err)
	}
	if rep.Adopted != 1 || rep.Batches != 0 || rep.Succeeded != 4 {
		t.Errorf("report %+v: want the batch adopted and its 4 results stored (the canary went online)", rep)
	}
	for i, r := range reqs {
		if _, ok, _ := llm.LookupRecord(env.records, env.spec.KeyOfRequest(r)); !ok {
			t.Errorf("request %d: paid result not stored", i)
		}
	}
}

// TestBatchValidationFailure: a batch whose every request fails
// validation makes each a failure with the provider's message; none is
// resubmitted.
func TestBatchValidationFailure(t *testing.T) {
	ctx := context.Background()
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 2, Fail: "tools.0.input_schema: invalid schema"}})
	reqs := batchRequests(4)
	rep, err := env.client(t, noCanary).RunBatch(ctx, "p1", reqs)
	if err != nil {
		t.Fatal(err)
	}
	if got := env.srv.Batches(); len(got) != 1 {
		t.Errorf("batches %v: want 1, nothing resubmitted", got)
	}
	if rep.Succeeded != 0 || len(rep.Failures) != 4 || rep.Again != 0 {
		t.Errorf("report %+v: want 4 failures", rep)
	}
	for i, r := range reqs {
		ferr := rep.Failure(env.spec.KeyOfRequest(r))
		if ferr == nil || !strings.Contains(ferr.Error(), "invalid schema") || llm.KindOf(ferr) != llm.KindInvalidRequest {
			t.Errorf("request %d: %v, want the validation error", i, ferr)
		}
	}
}

// TestBatchServerRestart: a server down for a few requests mid-poll
// (connections refused, or 503s) is polled again until it serves; the
// batch, whose state it kept, is harvested whole.
func TestBatchServerRestart(t *testing.T) {
	for _, with503 := range []bool{false, true} {
		t.Run(fmt.Sprintf("503=%v", with503), func(t *testing.T) {
			env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 3,
				RestartAfter: 1, RestartFor: 7, Restart503: with503}})
			rep, err := env.client(t, noCanary).RunBatch(context.Background(), "p1", batchRequests(3))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Batches != 1 || rep.Succeeded != 3 {
				t.Errorf("report %+v: want 1 batch, 3 stored", rep)
			}
		})
	}
}

// TestCancelBatch: CancelBatch returns the batch canceling; it then ends
// with its requests canceled.
func TestCancelBatch(t *testing.T) {
	ctx := context.Background()
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 5}})
	p, err := New(Config{APIKey: key, BaseURL: env.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	created, err := p.CreateBatch(ctx, []llm.BatchItem{{CustomID: "a", Request: toolRequest()}, {CustomID: "b", Request: toolRequest()}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.CancelBatch(ctx, created.ID)
	if err != nil || st.ID != created.ID || st.Ended {
		t.Fatalf("cancel: %+v, %v: want the batch, canceling", st, err)
	}
	st, err = p.GetBatch(ctx, created.ID)
	if err != nil || !st.Ended || st.Counts.Canceled != 2 {
		t.Errorf("after cancel: %+v, %v: want ended, 2 canceled", st, err)
	}
}

// TestSplitBatch: batches keep to the request and byte limits, in order,
// and RunBatch creates them so.
func TestSplitBatch(t *testing.T) {
	saved := batchLimits
	t.Cleanup(func() { batchLimits = saved })
	p, err := New(Config{APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	var items []llm.BatchItem
	for i, r := range batchRequests(7) {
		items = append(items, llm.BatchItem{CustomID: fmt.Sprint(i), Request: r})
	}
	body, err := encodeRequest(items[0].Request, false)
	if err != nil {
		t.Fatal(err)
	}
	line := len(body) + 33
	for _, tc := range []struct {
		requests, bytes int
		want            string
	}{
		{100_000, 256 << 20, "[7]"},
		{3, 256 << 20, "[3 3 1]"},
		{100_000, 2*line + line/2, "[2 2 2 1]"},
	} {
		batchLimits.Requests, batchLimits.Bytes = tc.requests, tc.bytes
		sizes, err := p.SplitBatch(items)
		if got := fmt.Sprint(sizes); err != nil || got != tc.want {
			t.Errorf("limits %d requests, %d bytes: sizes %s, %v; want %s", tc.requests, tc.bytes, got, err, tc.want)
		}
	}
	batchLimits.Requests, batchLimits.Bytes = 3, 256<<20
	env := newBatchEnv(t, llmtest.Options{})
	rep, err := env.client(t, noCanary).RunBatch(context.Background(), "p1", batchRequests(7))
	if err != nil || rep.Batches != 3 || rep.Succeeded != 7 {
		t.Errorf("run: %+v, %v: want 3 batches, 7 stored", rep, err)
	}
}

// noCanary leaves the canary out, for tests of the batch executor's other
// parts (TestBatchCanary tests it).
func noCanary(c *llm.RuntimeConfig) { c.BatchNoCanary = true }

// TestBatchInterruptStopsPolling: an interrupt ends the wait between two
// polls at once (a batch may take 24 h; the ledger keeps it), as an
// interruption carrying the batches in flight, and creates no batch; the
// next run harvests the same batch.
func TestBatchInterruptStopsPolling(t *testing.T) {
	ctx := context.Background()
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 2}})
	rt := env.runtime(t, func(c *llm.RuntimeConfig) { c.BatchPoll = time.Hour })
	stop := make(chan struct{})
	rt.SetInterrupt(stop, nil)
	c, err := rt.Client(env.spec)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(300*time.Millisecond, func() { close(stop) })
	done := make(chan error, 1)
	go func() { _, err := c.RunBatch(ctx, "p1", batchRequests(5)); done <- err }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunBatch still polling 10s after the interrupt; want it to return at once")
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(err, llm.ErrBatchesInFlight) {
		t.Fatalf("RunBatch after an interrupt: %v; want an interruption with the batches in flight", err)
	}
	if !strings.Contains(err.Error(), "1 batches in flight (4 requests pending)") {
		t.Errorf("error %q: want the batches in flight", err)
	}
	rep, err := env.client(t, nil).RunBatch(ctx, "p1", batchRequests(5))
	if err != nil || rep.Succeeded != 4 || rep.Batches != 0 {
		t.Fatalf("rerun: %+v, %v; want the 4 results of the first batch harvested, no new batch", rep, err)
	}
	if n := env.srv.Stats().Batches; n != 1 {
		t.Errorf("%d batches created; want 1", n)
	}
}

// TestBatchNoNewBatchAfterInterrupt: once the run is stopping, RunBatch
// creates no batch (the requests are not sent; the next run sends them).
func TestBatchNoNewBatchAfterInterrupt(t *testing.T) {
	env := newBatchEnv(t, llmtest.Options{})
	rt := env.runtime(t, nil)
	stop := make(chan struct{})
	close(stop)
	rt.SetInterrupt(stop, nil)
	c, err := rt.Client(env.spec)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RunBatch(context.Background(), "p1", batchRequests(5))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RunBatch while stopping: %v; want an interruption", err)
	}
	if n := env.srv.Stats().Batches; n != 0 {
		t.Errorf("%d batches created while stopping; want 0", n)
	}
}

// TestBatchWithoutDiscountWarns: batching through a model entry whose
// prices set no batch_discount logs once that its results are priced at
// the online price.
func TestBatchWithoutDiscountWarns(t *testing.T) {
	env := newBatchEnv(t, llmtest.Options{})
	spec, err := llm.ParseModelSpec("judge", map[string]any{"provider": "anthropic", "model": "claude-sonnet-4-5",
		"execution": "batch", "prices": map[string]any{"input": 3.0, "output": 15.0}})
	if err != nil {
		t.Fatal(err)
	}
	env.spec = spec
	var logs strings.Builder
	c := env.client(t, func(c *llm.RuntimeConfig) { c.Log = zerolog.New(&logs) })
	for i, n := range []int{3, 4} {
		if _, err := c.RunBatch(context.Background(), fmt.Sprintf("p%d", i), batchRequests(n)); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Count(logs.String(), "no batch_discount"); got != 1 {
		t.Errorf("%d warnings of a missing batch_discount; want 1:\n%s", got, logs.String())
	}
}

// TestBatchGone: a batch the provider no longer knows (its results
// purged, another workspace or base URL) is dropped from the ledger with
// a warning, and its requests without a stored result go in a new batch;
// it is not polled until the run fails. What was stored (the canary)
// is not bought again.
func TestBatchGone(t *testing.T) {
	ctx := context.Background()
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 1}})
	reqs := batchRequests(4)
	noWait := func(c *llm.RuntimeConfig) { c.BatchNoWait = true }
	if _, err := env.client(t, noWait).RunBatch(ctx, "p1", reqs); !errors.Is(err, llm.ErrBatchesInFlight) {
		t.Fatalf("no-wait run: %v, want its batch in flight", err)
	}
	env.srv.ForgetBatches()
	var logged strings.Builder
	rep, err := env.client(t, func(c *llm.RuntimeConfig) { c.Log = zerolog.New(&logged) }).RunBatch(ctx, "p1", reqs)
	if err != nil {
		t.Fatalf("run after the batch was forgotten: %v", err)
	}
	if rep.Gone != 1 || rep.Batches != 1 || rep.Succeeded != 3 || rep.Stored != 1 {
		t.Errorf("report %+v: want the gone batch dropped, its 3 requests in a new batch and stored, the canary not sent again", rep)
	}
	if got := env.srv.Batches(); len(got) != 2 || got[1] != 3 {
		t.Errorf("batches %v: want the forgotten one and a new one of 3", got)
	}
	if st := env.srv.Stats(); st.Billed["claude-sonnet-4-5"].Replies != 1 {
		t.Errorf("online replies billed %d: want only the canary", st.Billed["claude-sonnet-4-5"].Replies)
	}
	if all, _ := llm.ReadBatchLedger(store.Batches(env.ledger)); len(all) != 0 {
		t.Errorf("ledger entries left: %d", len(all))
	}
	if s := logged.String(); !strings.Contains(s, `"level":"warn"`) || !strings.Contains(s, "batch not found at the provider") ||
		!strings.Contains(s, `"batch":"msgbatch_fake`) || strings.Count(s, "poll batch failed") > 0 {
		t.Errorf("log %s: want one warning naming the batch, no failed polls", s)
	}
}

// TestCancelAndHarvestGoneBatch: `batches cancel` and `batches harvest`
// of a batch the provider does not know drop its ledger entry.
func TestCancelAndHarvestGoneBatch(t *testing.T) {
	ctx := context.Background()
	for _, op := range []string{"cancel", "harvest"} {
		t.Run(op, func(t *testing.T) {
			env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 5}})
			noWait := func(c *llm.RuntimeConfig) { c.BatchNoWait = true }
			if _, err := env.client(t, noWait).RunBatch(ctx, "p1", batchRequests(3)); !errors.Is(err, llm.ErrBatchesInFlight) {
				t.Fatalf("no-wait run: %v", err)
			}
			env.srv.ForgetBatches()
			all, _ := llm.ReadBatchLedger(store.Batches(env.ledger))
			if len(all) != 1 {
				t.Fatalf("ledger: %d entries, want 1", len(all))
			}
			c := env.client(t, nil)
			var err error
			if op == "cancel" {
				_, err = c.CancelBatch(ctx, all[0])
			} else {
				_, _, err = c.HarvestBatch(ctx, all[0])
			}
			if !errors.Is(err, llm.ErrBatchNotFound) {
				t.Errorf("%s: %v, want ErrBatchNotFound", op, err)
			}
			if all, _ := llm.ReadBatchLedger(store.Batches(env.ledger)); len(all) != 0 {
				t.Errorf("ledger entries left: %d, want the gone batch dropped", len(all))
			}
		})
	}
}

// TestBatchNotFoundIsDefinite: only a 404 with Anthropic's not_found_error
// about one batch says the batch is gone; other errors may pass.
func TestBatchNotFoundIsDefinite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		gone   bool
	}{
		{"not_found_error", 404, `{"type":"error","error":{"type":"not_found_error","message":"batch msgbatch_x not found"}}`, true},
		{"404 page", 404, `404 page not found`, false},
		{"404 other error", 404, `{"type":"error","error":{"type":"invalid_request_error","message":"no"}}`, false},
		{"server error", 500, `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`, false},
		{"overloaded", 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, false},
		{"rate limited", 429, `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			p, err := New(Config{APIKey: key, BaseURL: srv.URL + "/v1", HTTPClient: &http.Client{}})
			if err != nil {
				t.Fatal(err)
			}
			llmtest.CheckBatchGone(t, p, "msgbatch_x", tc.gone)
		})
	}
}
