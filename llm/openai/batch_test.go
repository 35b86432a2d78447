package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
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
// ledger that outlive it, talking to a fake OpenAI server.
type batchEnv struct {
	records *llm.MemRecords
	ledger  string
	srv     *llmtest.Server
	spec    *llm.ModelSpec
}

func newBatchEnv(t *testing.T, o llmtest.Options) *batchEnv {
	t.Helper()
	o.APIKey = key
	srv := llmtest.NewOpenAI(o)
	t.Cleanup(srv.Close)
	return &batchEnv{records: llm.NewMemRecords(), ledger: t.TempDir(), srv: srv, spec: reviewerSpec(t)}
}

func reviewerSpec(t *testing.T) *llm.ModelSpec {
	t.Helper()
	spec, err := llm.ParseModelSpec("reviewer", map[string]any{"provider": "openai", "model": "gpt-5",
		"execution": "batch", "prices": map[string]any{"input": 1.25, "output": 10.0, "batch_discount": 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func (e *batchEnv) provider() *Provider {
	p, err := New(Config{APIKey: key, BaseURL: e.srv.URL, HTTPClient: transport.New(transport.Config{
		MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, MaxRetries: 2})})
	if err != nil {
		panic(err)
	}
	return p
}

func (e *batchEnv) client(t *testing.T, tweak func(*llm.RuntimeConfig)) *llm.Client {
	t.Helper()
	cfg := llm.RuntimeConfig{Records: e.records, Log: zerolog.Nop(), Getenv: func(string) string { return key },
		Batches: store.Batches(e.ledger), BatchPoll: time.Millisecond, BatchNoCanary: true,
		Connect: func(_ *llm.ModelSpec, _ llm.ConnectEnv) (llm.Provider, error) { return e.provider(), nil }}
	if tweak != nil {
		tweak(&cfg)
	}
	rt, err := llm.NewRuntime(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rt.Client(e.spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func batchRequests(n int) []*llm.Request {
	reqs := make([]*llm.Request, n)
	for i := range reqs {
		r := toolRequest()
		r.Messages = []llm.Message{{Role: llm.RoleUser, Content: fmt.Sprintf("Review sample %d <of> the set & more.", i)}}
		reqs[i] = r
	}
	return reqs
}

// bodies returns the chat completion bodies the fake received, online
// (POST /v1/chat/completions) and in uploaded batch input files, by
// custom id for the latter.
func bodies(t *testing.T, srv *llmtest.Server) (online []string, batched map[string]string) {
	t.Helper()
	batched = map[string]string{}
	for _, r := range srv.Requests() {
		switch r.Path {
		case "/v1/chat/completions":
			online = append(online, string(r.Body))
		case "/v1/files":
			_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil {
				t.Fatal(err)
			}
			form, err := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"]).ReadForm(1 << 20)
			if err != nil {
				t.Fatal(err)
			}
			f, err := form.File["file"][0].Open()
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(f)
			for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
				var l struct {
					CustomID string          `json:"custom_id"`
					Method   string          `json:"method"`
					URL      string          `json:"url"`
					Body     json.RawMessage `json:"body"`
				}
				if err := json.Unmarshal(line, &l); err != nil || l.Method != "POST" || l.URL != "/v1/chat/completions" {
					t.Fatalf("input line %s: %v", line, err)
				}
				batched[l.CustomID] = string(l.Body)
			}
		}
	}
	return online, batched
}

// TestBatchEqualsOnline: every line of the batch input file carries the
// body the online call sends, byte for byte; the batch path stores, under
// the request keys, the responses the online path gets, at half the price,
// and then serves every call from the store.
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
	onlineBodies, _ := bodies(t, online.srv)

	batch := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 3}})
	bc := batch.client(t, nil)
	rep, err := bc.RunBatch(ctx, "p1", reqs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Batches != 1 || rep.Succeeded != 7 || rep.Submitted != 7 {
		t.Errorf("report %+v: want 1 batch, 7 submitted and succeeded", rep)
	}
	_, batched := bodies(t, batch.srv)
	// The calls that get the results count them as their own requests
	// and cost (a partition's lock entry: not served from the store), as
	// online calls would; a later call is served from the store.
	var own llm.Meter
	paid := 0.0
	for i, r := range reqs {
		if got, w := batched[batch.spec.KeyOfRequest(r).String()], onlineBodies[i]; got != w {
			t.Errorf("request %d: batch body\n%s\nonline body\n%s", i, got, w)
		}
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
		if res.Response.Usage != want[i].Response.Usage {
			t.Errorf("request %d: batch usage %+v, online %+v", i, res.Response.Usage, want[i].Response.Usage)
		}
		full := batch.spec.Prices.Cost(res.Response.Usage, false)
		if d := res.CostUSD - full/2; d > 1e-12 || d < -1e-12 {
			t.Errorf("request %d: cost %g, want half of %g", i, res.CostUSD, full)
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
	if len(st.Billed) != 0 || st.Batches != 1 || st.BatchBilled["gpt-5"].Replies != 7 {
		t.Errorf("fake stats %+v: want 7 batch-billed replies in 1 batch, nothing online", st)
	}
	if all, _ := store.Batches(batch.ledger).All(); len(all) != 0 {
		t.Errorf("ledger entries left after the harvest: %d", len(all))
	}
	rep, err = batch.client(t, nil).RunBatch(ctx, "p1", reqs)
	if err != nil || rep.Stored != 7 || rep.Batches != 0 {
		t.Errorf("rerun: %+v, %v: want all 7 stored, no batch", rep, err)
	}
}

var errCrash = errors.New("simulated crash")

func crashAt(point string) func(*llm.RuntimeConfig) {
	return func(c *llm.RuntimeConfig) {
		c.BatchHook = func(p string) error {
			if p == point {
				return errCrash
			}
			return nil
		}
	}
}

// TestBatchCrashRecovery: a "process" that dies after the intent record
// (before or after the provider created the batch) is followed by one that
// creates no second batch for the same keys and loses no result. The
// batch is found by the intent its metadata names: another batch of the
// same size (another intent's) is never adopted.
func TestBatchCrashRecovery(t *testing.T) {
	for _, tc := range []struct {
		point       string
		wantOurs    int // batches of the crashed run's keys, in the end
		wantAdopted int
	}{
		{llm.HookBatchIntent, 1, 0},
		{llm.HookBatchCreated, 1, 1},
	} {
		t.Run(tc.point, func(t *testing.T) {
			ctx := context.Background()
			env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 2}})
			reqs := batchRequests(5)
			if _, err := env.client(t, crashAt(tc.point)).RunBatch(ctx, "p1", reqs); !errors.Is(err, errCrash) {
				t.Fatalf("crashing run: %v, want the crash", err)
			}
			if all, _ := store.Batches(env.ledger).All(); len(all) != 1 {
				t.Fatalf("intent records after the crash: %d, want 1", len(all))
			}
			// A decoy: a batch of as many requests, for another intent.
			var items []llm.BatchItem
			for i, r := range batchRequests(5) {
				r.Messages[0].Content = "decoy " + r.Messages[0].Content
				items = append(items, llm.BatchItem{CustomID: fmt.Sprintf("decoy-%d", i), Request: r})
			}
			decoy, err := env.provider().CreateBatch(llm.WithBatchIntent(ctx, "someone-else"), items)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := env.client(t, nil).RunBatch(ctx, "p1", reqs)
			if err != nil {
				t.Fatal(err)
			}
			if got := env.srv.Batches(); len(got) != 1+tc.wantOurs {
				t.Errorf("fake batches %v: want the decoy and %d of ours", got, tc.wantOurs)
			}
			if rep.Adopted != tc.wantAdopted || rep.Succeeded != 5 {
				t.Errorf("rerun report %+v: want %d adopted, 5 stored", rep, tc.wantAdopted)
			}
			if st, err := env.provider().GetBatch(ctx, decoy.ID); err != nil || st.Intent != "someone-else" {
				t.Errorf("decoy %+v, %v: want its own intent kept", st, err)
			}
			for i, r := range reqs {
				if _, ok, _ := llm.LookupRecord(env.records, env.spec.KeyOfRequest(r)); !ok {
					t.Errorf("request %d: not stored", i)
				}
			}
		})
	}
}

// TestBatchOutcomes: a 4xx request becomes a failure with the provider's
// message and is not resubmitted; a batch that expired with requests
// unprocessed keeps its finished results, and the expired requests and
// server errors go into the next wave; results come out of order.
func TestBatchOutcomes(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[string]int{}
	reqs := batchRequests(6)
	var ids []string
	for _, r := range reqs {
		ids = append(ids, reviewerSpec(t).KeyOfRequest(r).String())
	}
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 1, Fate: func(id string, i int) llmtest.BatchFate {
		mu.Lock()
		defer mu.Unlock()
		seen[id]++
		first := seen[id] == 1
		switch {
		case id == ids[0]:
			return llmtest.BatchFate{Error: "messages[0].content: invalid shape"}
		case id == ids[1] && first:
			return llmtest.BatchFate{Expire: true}
		case id == ids[2] && first:
			return llmtest.BatchFate{ServerError: true}
		}
		return llmtest.BatchFate{}
	}}})
	rep, err := env.client(t, nil).RunBatch(ctx, "p1", reqs)
	if err != nil {
		t.Fatal(err)
	}
	if got := env.srv.Batches(); len(got) != 2 || got[0] != 6 || got[1] != 2 {
		t.Errorf("batches %v: want [6 2] (the expired and the server error again)", got)
	}
	if rep.Succeeded != 5 || rep.Again != 2 || len(rep.Failures) != 1 {
		t.Errorf("report %+v: want 5 stored, 2 resubmitted, 1 failure", rep)
	}
	k0 := env.spec.KeyOfRequest(reqs[0])
	ferr := rep.Failure(k0)
	if ferr == nil || !strings.Contains(ferr.Error(), "invalid shape") || llm.KindOf(ferr) != llm.KindInvalidRequest {
		t.Errorf("failure of request 0: %v, want the provider's invalid_request message", ferr)
	}
	if rec, ok := llm.LookupFailure(env.records, k0); !ok || !strings.Contains(rec.Error, "invalid shape") {
		t.Errorf("failure record of request 0: %+v, want the provider's message", rec)
	}
	if st := env.srv.Stats(); st.BatchBilled["gpt-5"].Replies != 5 {
		t.Errorf("batch-billed replies %+v: want the 5 succeeded only", st.BatchBilled)
	}
	if n := seen[ids[0]]; n != 1 {
		t.Errorf("the invalid request was submitted %d times, want once", n)
	}
	list, err := env.provider().ListBatches(ctx, time.Now().Add(-time.Hour))
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %v, %v: want 2 batches", list, err)
	}
	if c := list[1].Counts; !list[1].Ended || c.Expired != 1 || c.Succeeded != 3 || c.Errored != 2 {
		t.Errorf("first batch %+v: want ended, 3 succeeded, 2 errored (invalid, server), 1 expired", list[1])
	}
}

// TestBatchValidationFailure: a batch that fails validation as a whole
// makes every request a failure with the provider's message; none is
// resubmitted.
func TestBatchValidationFailure(t *testing.T) {
	ctx := context.Background()
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 3, Fail: "model gpt-5 is not available in the Batch API"}})
	reqs := batchRequests(4)
	rep, err := env.client(t, nil).RunBatch(ctx, "p1", reqs)
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
		if ferr == nil || !strings.Contains(ferr.Error(), "not available in the Batch API") || llm.KindOf(ferr) != llm.KindInvalidRequest {
			t.Errorf("request %d: %v, want the batch's validation error", i, ferr)
		}
	}
	if st := env.srv.Stats(); len(st.BatchBilled) != 0 {
		t.Errorf("billed %+v for a failed batch", st.BatchBilled)
	}
}

// TestBatchServerRestart: a server that is down for a few requests in the
// middle of the polling (connections refused, or 503s) is polled again
// until it serves; the batch, whose state it kept, is harvested whole.
func TestBatchServerRestart(t *testing.T) {
	for _, with503 := range []bool{false, true} {
		t.Run(fmt.Sprintf("503=%v", with503), func(t *testing.T) {
			ctx := context.Background()
			env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 3,
				RestartAfter: 1, RestartFor: 7, Restart503: with503}})
			reqs := batchRequests(3)
			rep, err := env.client(t, nil).RunBatch(ctx, "p1", reqs)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Batches != 1 || rep.Succeeded != 3 {
				t.Errorf("report %+v: want 1 batch, 3 stored", rep)
			}
			if got := env.srv.Batches(); len(got) != 1 {
				t.Errorf("batches %v: want 1", got)
			}
		})
	}
}

// TestCancelBatch: a canceled batch is cancelling, then cancelled with its
// requests canceled; the next run resubmits them.
func TestCancelBatch(t *testing.T) {
	ctx := context.Background()
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 5}})
	reqs := batchRequests(3)
	_, err := env.client(t, func(c *llm.RuntimeConfig) { c.BatchNoWait = true }).RunBatch(ctx, "p1", reqs)
	var ie *llm.InFlightError
	if !errors.As(err, &ie) || ie.Batches != 1 {
		t.Fatalf("no-wait run: %v, want 1 batch in flight", err)
	}
	p := env.provider()
	list, err := p.ListBatches(ctx, time.Time{})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v, %v", list, err)
	}
	st, err := p.CancelBatch(ctx, list[0].ID)
	if err != nil || st.Ended || st.ID != list[0].ID {
		t.Fatalf("cancel: %+v, %v: want the batch, not ended yet", st, err)
	}
	st, err = p.GetBatch(ctx, list[0].ID)
	if err != nil || !st.Ended || st.Counts.Canceled != 3 {
		t.Fatalf("after cancel: %+v, %v: want ended with 3 canceled", st, err)
	}
	if _, err := p.CancelBatch(ctx, list[0].ID); llm.KindOf(err) != llm.KindInvalidRequest {
		t.Errorf("cancel of an ended batch: %v, want an invalid request", err)
	}
	rep, err := env.client(t, nil).RunBatch(ctx, "p1", reqs)
	if err != nil || rep.Succeeded != 3 || rep.Again != 3 {
		t.Fatalf("rerun: %+v, %v: want the 3 canceled resubmitted and stored", rep, err)
	}
}

// TestSplitBatch: batches keep to the request and byte limits, in order.
func TestSplitBatch(t *testing.T) {
	saved := batchLimits
	t.Cleanup(func() { batchLimits = saved })
	env := newBatchEnv(t, llmtest.Options{})
	p := env.provider()
	var items []llm.BatchItem
	for i, r := range batchRequests(7) {
		items = append(items, llm.BatchItem{CustomID: fmt.Sprint(i), Request: r})
	}
	body, err := p.chatBody(items[0].Request)
	if err != nil {
		t.Fatal(err)
	}
	line := len(body) + 81
	for _, tc := range []struct {
		requests, bytes int
		want            string
	}{
		{50_000, 200 << 20, "[7]"},
		{3, 200 << 20, "[3 3 1]"},
		{50_000, 2*line + line/2, "[2 2 2 1]"},
	} {
		batchLimits.Requests, batchLimits.Bytes = tc.requests, tc.bytes
		sizes, err := p.SplitBatch(items)
		if got := fmt.Sprint(sizes); err != nil || got != tc.want {
			t.Errorf("limits %d requests, %d bytes: sizes %s, %v; want %s", tc.requests, tc.bytes, got, err, tc.want)
		}
	}
	// RunBatch splits accordingly.
	batchLimits.Requests, batchLimits.Bytes = 3, 200<<20
	env2 := newBatchEnv(t, llmtest.Options{})
	rep, err := env2.client(t, nil).RunBatch(context.Background(), "p1", batchRequests(7))
	if err != nil || rep.Batches != 3 || rep.Succeeded != 7 {
		t.Errorf("run: %+v, %v: want 3 batches, 7 stored", rep, err)
	}
}

// TestBatchNotServed: a base URL without the batch API says so at the
// upload.
func TestBatchNotServed(t *testing.T) {
	env := newBatchEnv(t, llmtest.Options{})
	p := env.provider()
	p.gc.BaseURL += "/nowhere"
	_, err := p.CreateBatch(context.Background(), []llm.BatchItem{{CustomID: "a", Request: toolRequest()}})
	if err == nil || !strings.Contains(err.Error(), "implement the batch API") {
		t.Errorf("create on a base URL without /files: %v, want it named", err)
	}
}

// crashing is the provider of a "process" that dies while polling (at its
// first poll) or while harvesting (after keep results were handed over).
type crashing struct {
	*Provider
	poll bool
	keep int
}

func (c *crashing) GetBatch(ctx context.Context, id string) (*llm.BatchStatus, error) {
	if c.poll {
		return nil, errCrash
	}
	return c.Provider.GetBatch(ctx, id)
}

func (c *crashing) BatchResults(ctx context.Context, id string, request func(string) *llm.Request, fn func(*llm.BatchResult) error) error {
	n := 0
	return c.Provider.BatchResults(ctx, id, request, func(r *llm.BatchResult) error {
		if n++; n > c.keep {
			return errCrash
		}
		return fn(r)
	})
}

// TestBatchCrashWhilePollingOrHarvesting: a "process" that dies while
// polling, or halfway through a harvest, is followed by one that creates
// no batch, keeps the results stored before the crash, and stores the
// rest from the same batch.
func TestBatchCrashWhilePollingOrHarvesting(t *testing.T) {
	for _, tc := range []struct {
		name       string
		crash      *crashing
		wantStored int // by the crashed run
	}{
		{"polling", &crashing{poll: true}, 0},
		{"harvesting", &crashing{keep: 2}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 1}})
			reqs := batchRequests(5)
			_, err := env.client(t, func(c *llm.RuntimeConfig) {
				c.Connect = func(*llm.ModelSpec, llm.ConnectEnv) (llm.Provider, error) {
					tc.crash.Provider = env.provider()
					return tc.crash, nil
				}
			}).RunBatch(ctx, "p1", reqs)
			if !errors.Is(err, errCrash) {
				t.Fatalf("crashing run: %v, want the crash", err)
			}
			stored := 0
			for _, r := range reqs {
				if _, ok, _ := llm.LookupRecord(env.records, env.spec.KeyOfRequest(r)); ok {
					stored++
				}
			}
			if stored != tc.wantStored {
				t.Errorf("stored by the crashed run: %d, want %d", stored, tc.wantStored)
			}
			rep, err := env.client(t, nil).RunBatch(ctx, "p1", reqs)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Batches != 0 || rep.Stored != tc.wantStored || rep.Succeeded != 5-tc.wantStored || rep.Harvested != 1 {
				t.Errorf("rerun report %+v: want no batch, %d stored before, the rest harvested", rep, tc.wantStored)
			}
			if got := env.srv.Batches(); len(got) != 1 {
				t.Errorf("batches %v: want 1", got)
			}
			if st := env.srv.Stats(); st.BatchBilled["gpt-5"].Replies != 5 {
				t.Errorf("billed %+v: want the 5 requests once", st.BatchBilled)
			}
			if all, _ := store.Batches(env.ledger).All(); len(all) != 0 {
				t.Errorf("ledger entries left: %d", len(all))
			}
		})
	}
}

// TestBatchTokenLimitFailure: a batch failed for the account's limit of
// enqueued tokens says nothing about its requests: they are submitted
// again in the next waves, then left to the online pass, never failed.
func TestBatchTokenLimitFailure(t *testing.T) {
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Fail: "Enqueued token limit reached for gpt-5.",
		FailCode: "token_limit_exceeded"}})
	rep, err := env.client(t, nil).RunBatch(context.Background(), "p1", batchRequests(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failures) != 0 || rep.Batches != 3 || rep.Again != 4 {
		t.Errorf("report %+v: want no failure, 3 waves of 2 (4 resubmitted)", rep)
	}
}

// TestBatchGone: a batch the server no longer knows is dropped from the
// ledger and its requests go in a new batch, not polled until the run fails.
func TestBatchGone(t *testing.T) {
	ctx := context.Background()
	env := newBatchEnv(t, llmtest.Options{Batch: llmtest.BatchScript{Polls: 1}})
	reqs := batchRequests(3)
	noWait := func(c *llm.RuntimeConfig) { c.BatchNoWait = true }
	if _, err := env.client(t, noWait).RunBatch(ctx, "p1", reqs); !errors.Is(err, llm.ErrBatchesInFlight) {
		t.Fatalf("no-wait run: %v, want its batch in flight", err)
	}
	env.srv.ForgetBatches()
	rep, err := env.client(t, nil).RunBatch(ctx, "p1", reqs)
	if err != nil {
		t.Fatalf("run after the batch was forgotten: %v", err)
	}
	if rep.Gone != 1 || rep.Batches != 1 || rep.Succeeded != 3 {
		t.Errorf("report %+v: want the gone batch dropped, its 3 requests in a new batch and stored", rep)
	}
	if all, _ := llm.ReadBatchLedger(store.Batches(env.ledger)); len(all) != 0 {
		t.Errorf("ledger entries left: %d", len(all))
	}
}

// TestBatchNotFoundIsDefinite: only a 404 with the API's error object
// about one batch says the batch is gone; other errors may pass.
func TestBatchNotFoundIsDefinite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		gone   bool
	}{
		{"error object", 404, `{"error":{"message":"No batch found with id 'batch_x'.","type":"invalid_request_error","param":null,"code":null}}`, true},
		{"404 page", 404, `404 page not found`, false},
		{"server error", 500, `{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}`, false},
		{"rate limited", 429, `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			p, err := New(Config{APIKey: key, BaseURL: srv.URL + "/v1", HTTPClient: &http.Client{}})
			if err != nil {
				t.Fatal(err)
			}
			llmtest.CheckBatchGone(t, p, "batch_x", tc.gone)
		})
	}
}
