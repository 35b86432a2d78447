package llm_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// TestActivity: the Observer a provider gets reports a 429 as a pause of
// its model (for the governor's pause) and as a retry, a 5xx as a retry,
// a 200 as neither.
func TestActivity(t *testing.T) {
	var obs llm.Observer
	rt := newRuntime(t, newMemRecords(), &fakeProvider{}, func(c *llm.RuntimeConfig) {
		c.DefaultRetryAfter = time.Minute
		c.Connect = func(_ *llm.ModelSpec, env llm.ConnectEnv) (llm.Provider, error) {
			obs = env.Observer
			return &fakeProvider{}, nil
		}
	})
	newClient(t, rt, testSpec(t, nil))
	if a := rt.Activity(); len(a.Paused)+len(a.Retrying) != 0 || a.Retryable != 0 {
		t.Fatalf("before any response: got %+v, want nothing", a)
	}
	obs.ObserveResponse(http.StatusOK, http.Header{}, 0)
	if a := rt.Activity(); len(a.Paused)+len(a.Retrying) != 0 || a.Retryable != 0 {
		t.Fatalf("after a 200: got %+v, want nothing", a)
	}
	obs.ObserveResponse(http.StatusInternalServerError, http.Header{}, 0)
	a := rt.Activity()
	if _, ok := a.Retrying["openai/gpt-test"]; !ok || a.Retryable != 1 || len(a.Paused) != 0 {
		t.Fatalf("after a 500: got %+v, want openai/gpt-test retrying, 1 retryable, none paused", a)
	}
	obs.ObserveResponse(http.StatusTooManyRequests, http.Header{}, 0)
	a = rt.Activity()
	until, ok := a.Paused["openai/gpt-test"]
	if !ok || time.Until(until) < 50*time.Second || a.Retryable != 2 {
		t.Fatalf("after a 429: got %+v, want openai/gpt-test paused about a minute, 2 retryable", a)
	}
}
