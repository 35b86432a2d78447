package llm_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

func TestDoStoresBeforeReturningAndServesFromStore(t *testing.T) {
	rs, p := newMemRecords(), &fakeProvider{}
	spec := testSpec(t, map[string]any{"prices": map[string]any{"input": 1, "output": 2}})
	c := newClient(t, newRuntime(t, rs, p, nil), spec)
	res, err := c.Do(t.Context(), llm.Call{Request: userReq("q")})
	if err != nil {
		t.Fatal(err)
	}
	rec, ok, _ := llm.LookupRecord(rs, res.Key)
	if !ok {
		t.Fatal("success not in the store when Do returned")
	}
	if rec.ServedModel != "gpt-test-served" || rec.Attempts != 1 || rec.Usage.OutputTokens != 50 {
		t.Errorf("record: got served %q attempts %d usage %+v", rec.ServedModel, rec.Attempts, rec.Usage)
	}
	if want := (100*1.0 + 50*2.0) / 1e6; res.CostUSD != want || rec.CostUSD != want {
		t.Errorf("cost: got %g (record %g), want %g", res.CostUSD, rec.CostUSD, want)
	}
	// A new runtime on the same store (the next run) pays nothing.
	p2 := &fakeProvider{}
	rt2 := newRuntime(t, rs, p2, nil)
	c2 := newClient(t, rt2, spec)
	if !c2.Cached(userReq("q")) {
		t.Error("Cached: got false, want true")
	}
	res2, err := c2.Do(t.Context(), llm.Call{Request: userReq("q")})
	if err != nil {
		t.Fatal(err)
	}
	if !res2.Cached || p2.calls.Load() != 0 || res2.Response.Text != res.Response.Text {
		t.Errorf("second run: cached %v, provider calls %d, text %q", res2.Cached, p2.calls.Load(), res2.Response.Text)
	}
	if tot := rt2.Totals(); tot.Cached != 1 || tot.Requests != 0 || tot.CostUSD != 0 {
		t.Errorf("second run totals: got %+v", tot)
	}
}

func TestValidationFailuresAreRetriedAndRecorded(t *testing.T) {
	tests := []struct {
		name      string
		failFirst int // validation fails on the first n responses
		attempts  int
		wantErr   bool
		wantCalls int64
	}{
		{"passes at once", 0, 3, false, 1},
		{"passes on third", 2, 3, false, 3},
		{"never passes", 5, 3, true, 3},
		{"one attempt", 1, 1, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, p := newMemRecords(), &fakeProvider{}
			c := newClient(t, newRuntime(t, rs, p, nil), testSpec(t, nil))
			var n int
			validate := func(*llm.Response) error {
				n++
				if n <= tt.failFirst {
					return errors.New("item count 2, want 3")
				}
				return nil
			}
			res, err := c.Do(t.Context(), llm.Call{Request: userReq("v"), Validate: validate, Attempts: tt.attempts})
			if got := p.calls.Load(); got != tt.wantCalls {
				t.Errorf("provider calls: got %d, want %d", got, tt.wantCalls)
			}
			key, _ := llm.KeyOf(userReq("v"), c.Spec())
			_, stored, _ := llm.LookupRecord(rs, key)
			fail, failed := llm.LookupFailure(rs, key)
			if tt.wantErr {
				if err == nil || llm.KindOf(err) != llm.KindSchemaViolation {
					t.Fatalf("err: got %v, want a schema violation", err)
				}
				if stored || !failed || fail.ErrorKind != llm.KindSchemaViolation || fail.Attempts != tt.attempts {
					t.Errorf("store: success %v, failure %+v", stored, fail)
				}
				return
			}
			if err != nil || !stored || res.Response.Attempts != int(tt.wantCalls) {
				t.Errorf("got err %v, stored %v, attempts %d", err, stored, res.Response.Attempts)
			}
		})
	}
}

func TestFailureNeverSatisfiesLookup(t *testing.T) {
	rs := newMemRecords()
	bad := &fakeProvider{script: func(int64, *llm.Request) (*llm.Response, error) {
		return nil, &llm.Error{Kind: llm.KindInvalidRequest, Status: 400, Message: "bad"}
	}}
	spec := testSpec(t, nil)
	if _, err := newClient(t, newRuntime(t, rs, bad, nil), spec).Do(t.Context(), llm.Call{Request: userReq("f")}); err == nil {
		t.Fatal("want an error")
	}
	if bad.calls.Load() != 1 {
		t.Errorf("invalid request retried: %d calls", bad.calls.Load())
	}
	good := &fakeProvider{}
	res, err := newClient(t, newRuntime(t, rs, good, nil), spec).Do(t.Context(), llm.Call{Request: userReq("f")})
	if err != nil || res.Cached || good.calls.Load() != 1 {
		t.Errorf("next run: err %v cached %v calls %d, want a fresh call", err, res.Cached, good.calls.Load())
	}
}

func TestIdenticalRequestsInFlightAreSentOnce(t *testing.T) {
	release := make(chan struct{})
	p := &fakeProvider{script: func(_ int64, req *llm.Request) (*llm.Response, error) {
		<-release
		return okResponse(req), nil
	}}
	rt := newRuntime(t, newMemRecords(), p, nil)
	c := newClient(t, rt, testSpec(t, nil))
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.Do(t.Context(), llm.Call{Request: userReq("same")})
			errs <- err
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := p.calls.Load(); got != 1 {
		t.Errorf("provider calls: got %d, want 1", got)
	}
	if tot := rt.Totals(); tot.Requests != 1 || tot.Cached != 19 {
		t.Errorf("totals: got requests %d cached %d, want 1 and 19", tot.Requests, tot.Cached)
	}
}

// TestGovernorPacesRequestsPerMinute: 480/min is paced at 7.84/s in
// groups of 3 (half a second's budget): the first group goes at once, group
// k no earlier than k*3/7.84 s after the start.
func TestGovernorPacesRequestsPerMinute(t *testing.T) {
	p := &fakeProvider{}
	c := newClient(t, newRuntime(t, newMemRecords(), p, nil), testSpec(t, map[string]any{"rpm": 480}))
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 9 {
		wg.Go(func() {
			if _, err := c.Do(t.Context(), llm.Call{Request: userReq(fmt.Sprint(i))}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	const group, every = 3, 382 * time.Millisecond // 3/7.84 s, rounded down
	if got, want := time.Since(start), 2*every-5*time.Millisecond; got < want {
		t.Errorf("9 requests at 480 rpm took %v, want at least %v", got, want)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// Goroutines may run late, never early.
	slices.SortFunc(p.starts, func(a, b time.Time) int { return a.Compare(b) })
	for i, s := range p.starts {
		if got, want := s.Sub(start), time.Duration(i/group)*every-5*time.Millisecond; got < want {
			t.Errorf("request %d started after %v, want >= %v", i, got, want)
		}
	}
	// The members of a group go together, not one timer apart.
	if d := p.starts[group-1].Sub(p.starts[0]); d > every/2 {
		t.Errorf("the first group was spread over %v, want it sent at once", d)
	}
}

func TestRateLimitPausesEveryWorker(t *testing.T) {
	var once sync.Once
	var limitedAt time.Time
	p := &fakeProvider{}
	p.script = func(n int64, req *llm.Request) (*llm.Response, error) {
		var first bool
		once.Do(func() { first = true; limitedAt = time.Now() })
		if first {
			return nil, &llm.Error{Kind: llm.KindRateLimited, Status: 429, RetryAfter: 200 * time.Millisecond}
		}
		return okResponse(req), nil
	}
	c := newClient(t, newRuntime(t, newMemRecords(), p, nil), testSpec(t, map[string]any{"concurrency": 1}))
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if _, err := c.Do(t.Context(), llm.Call{Request: userReq(fmt.Sprint(i))}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.starts) != 5 {
		t.Fatalf("provider calls: got %d, want 5 (one 429 retried)", len(p.starts))
	}
	for i, s := range p.starts[1:] {
		if d := s.Sub(limitedAt); d < 190*time.Millisecond {
			t.Errorf("call %d started %v after the 429, want >= 200ms", i+2, d)
		}
	}
}

func TestQuotaExhaustionStopsNewRequests(t *testing.T) {
	rs := newMemRecords()
	p := &fakeProvider{script: func(int64, *llm.Request) (*llm.Response, error) {
		return nil, &llm.Error{Kind: llm.KindQuotaExhausted, Status: 429, Message: "insufficient_quota"}
	}}
	rt := newRuntime(t, rs, p, nil)
	c := newClient(t, rt, testSpec(t, nil))
	for i := range 3 {
		_, err := c.Do(t.Context(), llm.Call{Request: userReq(fmt.Sprint(i))})
		if !errors.Is(err, llm.ErrQuotaExhausted) {
			t.Fatalf("call %d: got %v, want ErrQuotaExhausted", i, err)
		}
	}
	if got := p.calls.Load(); got != 1 {
		t.Errorf("provider calls: got %d, want 1 (no new requests after quota)", got)
	}
	if rs.Puts() != 0 || rt.Totals().Failed != 0 {
		t.Errorf("quota stop recorded failures: puts %d, failed %d", rs.Puts(), rt.Totals().Failed)
	}
}

func TestMaxCostRefusesToStart(t *testing.T) {
	p := &fakeProvider{}
	spec := testSpec(t, map[string]any{"max_tokens": 1000, "prices": map[string]any{"input": 1000, "output": 1000}})
	// 100 in + 50 out at $1000/M = $0.15 per call; the first estimate is
	// larger (1000 output tokens), so it must fit the budget too.
	rt := newRuntime(t, newMemRecords(), p, func(c *llm.RuntimeConfig) { c.MaxCostUSD = 1.2 })
	c := newClient(t, rt, spec)
	var refused int
	for i := range 20 {
		_, err := c.Do(t.Context(), llm.Call{Request: userReq(fmt.Sprint(i))})
		if errors.Is(err, llm.ErrBudgetExceeded) {
			refused++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	tot := rt.Totals()
	if tot.CostUSD > 1.2 || refused == 0 || tot.Requests == 0 {
		t.Errorf("got cost %g with %d requests and %d refused, want <= 1.2 and some of each", tot.CostUSD, tot.Requests, refused)
	}
	if int64(refused)+tot.Requests != 20 || p.calls.Load() != tot.Requests {
		t.Errorf("refused %d + made %d != 20 (provider calls %d)", refused, tot.Requests, p.calls.Load())
	}
}

func TestServerErrorsBackOffThenSucceed(t *testing.T) {
	p := &fakeProvider{}
	p.script = func(n int64, req *llm.Request) (*llm.Response, error) {
		if n < 3 {
			return nil, &llm.Error{Kind: llm.KindOverloaded, Status: 529}
		}
		return okResponse(req), nil
	}
	rt := newRuntime(t, newMemRecords(), p, nil)
	res, err := newClient(t, rt, testSpec(t, nil)).Do(t.Context(), llm.Call{Request: userReq("x")})
	if err != nil || res.Response.Attempts != 3 {
		t.Fatalf("got err %v, want success on attempt 3", err)
	}
}

func TestMissingKeys(t *testing.T) {
	rt := newRuntime(t, newMemRecords(), &fakeProvider{}, func(c *llm.RuntimeConfig) {
		c.Getenv = func(k string) string {
			if k == "OPENAI_API_KEY" {
				return "set"
			}
			return ""
		}
	})
	specs := []*llm.ModelSpec{
		testSpec(t, map[string]any{"provider": "anthropic"}),
		testSpec(t, map[string]any{"provider": "openrouter"}),
		testSpec(t, map[string]any{"provider": "anthropic", "model": "other"}),
		testSpec(t, nil),
		testSpec(t, map[string]any{"provider": "sim"}),
		testSpec(t, map[string]any{"provider": "vllm"}),
	}
	got := fmt.Sprint(rt.MissingKeys(specs))
	if want := "[ANTHROPIC_API_KEY OPENROUTER_API_KEY]"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
