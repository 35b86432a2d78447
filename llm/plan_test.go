package llm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sptflow/sptflow/llm"
)

// TestPlanningServesStoredAndCollectsTheRest: in plan mode a stored
// response is served as the online call would serve it, and a request not
// stored is collected and answered ErrPlanned, with nothing sent, counted
// or recorded as failed.
func TestPlanningServesStoredAndCollectsTheRest(t *testing.T) {
	rs := newMemRecords()
	p := &fakeProvider{}
	rt := newRuntime(t, rs, p, nil)
	c := newClient(t, rt, testSpec(t, nil))
	ctx := context.Background()
	stored, err := c.Do(ctx, llm.Call{Request: userReq("stored")})
	if err != nil {
		t.Fatal(err)
	}
	before := rt.Totals()

	pl := llm.NewPlanner()
	pc := pl.Planning(c)
	res, err := pc.Do(ctx, llm.Call{Request: userReq("stored")})
	if err != nil {
		t.Fatalf("stored request in plan mode: got error %v, want its response", err)
	}
	if !res.Cached || res.Response.Text != stored.Response.Text || !res.Time.Equal(stored.Time) {
		t.Errorf("stored request in plan mode: got %+v, want the stored response (cached)", res)
	}
	for range 2 { // the same request twice is collected once
		_, err = pc.Do(ctx, llm.Call{Request: userReq("new")})
		if !errors.Is(err, llm.ErrPlanned) {
			t.Fatalf("unstored request in plan mode: got %v, want ErrPlanned", err)
		}
	}
	if got := p.calls.Load(); got != 1 {
		t.Errorf("provider calls: got %d, want 1 (plan mode sends nothing)", got)
	}
	if got := rt.Totals(); got != before {
		t.Errorf("run totals changed in plan mode:\n got %+v\nwant %+v", got, before)
	}
	if _, ok := llm.LookupFailure(rs, c.KeyOf(userReq("new"))); ok {
		t.Errorf("plan mode recorded a failure")
	}
	taken := pl.Take()
	if len(taken) != 1 || taken[0].Client != c || len(taken[0].Requests) != 1 ||
		taken[0].Requests[0].Messages[0].Content != "new" {
		t.Fatalf("Take: got %+v, want the one collected request of c", taken)
	}
	if again := pl.Take(); len(again) != 0 {
		t.Errorf("second Take: got %d clients, want none (Take forgets)", len(again))
	}
}

// TestPlanningTakeOrder: the collected requests come in request-key order
// whatever order the rows asked in, per client in model-entry name order.
func TestPlanningTakeOrder(t *testing.T) {
	rt := newRuntime(t, newMemRecords(), &fakeProvider{}, nil)
	a := newClient(t, rt, must(llm.ParseModelSpec("a", map[string]any{"provider": "openai", "model": "gpt-a", "max_tokens": 64})))
	b := newClient(t, rt, must(llm.ParseModelSpec("b", map[string]any{"provider": "openai", "model": "gpt-b", "max_tokens": 64})))
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 1, 0, 2}} {
		pl := llm.NewPlanner()
		for _, i := range order {
			_, _ = pl.Planning(b).Do(context.Background(), llm.Call{Request: userReq(fmt.Sprint(i))})
			_, _ = pl.Planning(a).Do(context.Background(), llm.Call{Request: userReq(fmt.Sprint(i))})
		}
		taken := pl.Take()
		if len(taken) != 2 || taken[0].Client != a || taken[1].Client != b {
			t.Fatalf("order %v: got %d clients, want a then b", order, len(taken))
		}
		for _, p := range taken {
			for i := 1; i < len(p.Requests); i++ {
				k0, k1 := p.Client.KeyOf(p.Requests[i-1]), p.Client.KeyOf(p.Requests[i])
				if bytes.Compare(k0[:], k1[:]) >= 0 {
					t.Errorf("order %v, client %s: requests not in key order", order, p.Client.Spec().Name)
				}
			}
		}
	}
}

// TestPlanningRefusalsAndTried: after a wave, a refused request is
// answered with the refusal in plan mode and when serving (never sent); a
// request batched once and still not stored is not collected again, and
// serving sends it online.
func TestPlanningRefusalsAndTried(t *testing.T) {
	p := &fakeProvider{}
	rt := newRuntime(t, newMemRecords(), p, nil)
	c := newClient(t, rt, testSpec(t, nil))
	ctx := context.Background()
	pl := llm.NewPlanner()
	for _, s := range []string{"refused", "lost"} {
		_, _ = pl.Planning(c).Do(ctx, llm.Call{Request: userReq(s)})
	}
	taken := pl.Take()
	refusal := &llm.Error{Kind: llm.KindInvalidRequest, Message: "bad params"}
	pl.Harvested(taken[0], &llm.BatchReport{Failures: map[llm.RequestKey]error{c.KeyOf(userReq("refused")): refusal}})

	for _, pc := range []*llm.PlanClient{pl.Planning(c), pl.Serving(c)} {
		if _, err := pc.Do(ctx, llm.Call{Request: userReq("refused")}); !errors.Is(err, refusal) {
			t.Errorf("refused request: got %v, want the refusal", err)
		}
	}
	if _, err := pl.Planning(c).Do(ctx, llm.Call{Request: userReq("lost")}); !errors.Is(err, llm.ErrPlanned) {
		t.Errorf("tried request in plan mode: got %v, want ErrPlanned", err)
	}
	if got := pl.Take(); len(got) != 0 {
		t.Errorf("tried request collected again: got %+v", got)
	}
	if got := p.calls.Load(); got != 0 {
		t.Fatalf("provider calls before serving: got %d, want 0", got)
	}
	if _, err := pl.Serving(c).Do(ctx, llm.Call{Request: userReq("lost")}); err != nil {
		t.Fatalf("serving a tried request: %v", err)
	}
	if got := p.calls.Load(); got != 1 {
		t.Errorf("provider calls after serving: got %d, want 1 (the tried request goes online)", got)
	}
}

// TestPlanningWaves: a two-step row (ask, then ask about the answer) is
// planned in waves; every wave holds only what the rows need next, and the
// final pass is entirely served from the store and returns what an online
// run returns.
func TestPlanningWaves(t *testing.T) {
	rs := newMemRecords()
	p := &fakeProvider{}
	rt := newRuntime(t, rs, p, nil)
	c := newClient(t, rt, testSpec(t, nil))
	row := func(ctx context.Context, cl interface {
		Do(context.Context, llm.Call) (*llm.Result, error)
	}, i int) (string, error) {
		first, err := cl.Do(ctx, llm.Call{Request: userReq(fmt.Sprint("q", i))})
		if err != nil {
			return "", err
		}
		if i%2 == 1 { // odd rows stop after one step
			return first.Response.Text, nil
		}
		second, err := cl.Do(ctx, llm.Call{Request: userReq("follow up on " + first.Response.Text)})
		if err != nil {
			return "", err
		}
		return second.Response.Text, nil
	}
	ctx := context.Background()
	pl := llm.NewPlanner()
	var waves []int
	for range 5 {
		for i := range 4 {
			if _, err := row(ctx, pl.Planning(c), i); err != nil && !errors.Is(err, llm.ErrPlanned) {
				t.Fatal(err)
			}
		}
		taken := pl.Take()
		if len(taken) == 0 {
			break
		}
		waves = append(waves, len(taken[0].Requests))
		for _, r := range taken[0].Requests { // stands in for RunBatch
			if _, err := c.Do(ctx, llm.Call{Request: r}); err != nil {
				t.Fatal(err)
			}
		}
		pl.Harvested(taken[0], nil)
	}
	if fmt.Sprint(waves) != "[4 2]" {
		t.Errorf("wave sizes: got %v, want [4 2]", waves)
	}
	sent := p.calls.Load()
	online := newRuntime(t, newMemRecords(), &fakeProvider{}, nil)
	oc := newClient(t, online, testSpec(t, nil))
	for i := range 4 {
		got, err := row(ctx, pl.Serving(c), i)
		if err != nil {
			t.Fatal(err)
		}
		want, err := row(ctx, oc, i)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("row %d: got %q, want %q (the online run's)", i, got, want)
		}
	}
	if got := p.calls.Load(); got != sent {
		t.Errorf("final pass sent %d requests, want 0", got-sent)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
