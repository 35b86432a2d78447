package llm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// defaultAttempts is Call.Attempts when unset.
const defaultAttempts = 3

// maxTransientRetries bounds retries after 5xx/529, network errors and
// timeouts (they do not use up Call.Attempts, which count unusable 200s).
const maxTransientRetries = 6

// maxRateLimitRetries bounds how often one call waits out a 429 before it
// is recorded as failed (429s do not use up Call.Attempts).
const maxRateLimitRetries = 30

// Call is one request through a Client.
type Call struct {
	Request *Request
	// Validate checks a 200 response (parse the tool call, check the
	// schema and business rules). An error fails the attempt: it is retried
	// up to Attempts and never stored as a success. Return an *Error to
	// choose its kind; other errors count as KindSchemaViolation.
	Validate func(*Response) error
	Attempts int    // default 3
	Meter    *Meter // optional per-caller totals (e.g. per node), besides the run's
}

// Result is a successful call.
type Result struct {
	Response *Response
	Key      RequestKey
	// Cached is true when the response came from the request store (or
	// from an identical request in flight at the same time): this call
	// cost nothing. A response this run bought through the batch API
	// (Client.RunBatch's results and canaries) is not Cached for the first
	// call that gets it: that call counts it as its own request and cost,
	// in Call.Meter, as an online call would (the runtime's totals counted
	// it when it was paid).
	Cached bool
	// CostUSD is what producing the response cost, over all its attempts,
	// when it was made (also for cached results).
	CostUSD float64
	// Time is when the response was stored (UTC): the same on every replay,
	// so outputs derived from it are reproducible.
	Time time.Time
}

// Client sends requests to one model entry through the run's request store,
// governor and budget. It is safe for concurrent use.
type Client struct {
	rt       *Runtime
	spec     *ModelSpec
	provider Provider
	gov      *Governor
}

// Spec returns the model entry the client serves.
func (c *Client) Spec() *ModelSpec { return c.spec }

// Cached reports whether the request store already holds a success for req.
// A store that cannot tell says no; Do and RunBatch then refuse to send.
func (c *Client) Cached(req *Request) bool {
	key, _ := KeyOf(req, c.spec)
	_, ok, _ := LookupRecord(c.rt.cfg.Records, key)
	return ok
}

// EstimateCost estimates what sending req would cost, from a token estimate
// of its input and this model's mean output so far (capped by max tokens).
func (c *Client) EstimateCost(req *Request) float64 {
	r := c.spec.Apply(req)
	in, out := c.estimate(r)
	return c.spec.Prices.Cost(Usage{InputTokens: int64(in), OutputTokens: int64(out)}, false)
}

func (c *Client) estimate(r *Request) (in, out int) {
	return EstimateInputTokens(r), c.gov.estimateOutput(r.MaxTokens)
}

// Do returns the response to call.Request: from the request store when a
// validated response is stored under its key, else from the provider.
// A success is durably stored before Do returns it; identical requests in
// flight at the same time are sent once. Errors wrap *Error (the last
// attempt's), ErrQuotaExhausted (after the provider reported exhausted
// quota: nothing is recorded as failed), ErrBudgetExceeded (MaxCostUSD),
// the request store's error when it cannot tell whether it holds the
// response (nothing is sent: see LookupRecord), or the context's cause.
func (c *Client) Do(ctx context.Context, call Call) (*Result, error) {
	if call.Request == nil {
		return nil, fmt.Errorf("model %q: call without a request", c.spec.Name)
	}
	key, comps := KeyOf(call.Request, c.spec)
	if c.rt.debugKey {
		WriteKeyDebug(c.rt.cfg.DebugOut, key, comps)
	}
	for {
		f, leader := c.rt.flights.join(key)
		if leader {
			res, err := c.rt.flights.lead(ctx, key, f, func() (*Result, error) { return c.lookupOrFetch(ctx, key, call) })
			return c.finish(ctx, call, res, err, false)
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-f.done:
			if f.cancelled && ctx.Err() == nil {
				continue // the leader was cancelled, this caller was not
			}
			return c.finish(ctx, call, f.res, f.err, true)
		}
	}
}

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// lookupOrFetch is what the leader of a flight does: the stored response,
// else a request. The store is read once per flight, never before joining
// one, so a response stored by a flight that just landed is found.
func (c *Client) lookupOrFetch(ctx context.Context, key RequestKey, call Call) (*Result, error) {
	res, ok, err := c.lookup(key)
	if err != nil {
		return nil, fmt.Errorf("%s request %s not sent: %w", c.spec.Name, key.Short(), err)
	}
	if ok {
		return res, nil
	}
	return c.fetch(ctx, key, call)
}

// finish adapts a flight's result to this caller.
func (c *Client) finish(ctx context.Context, call Call, res *Result, err error, shared bool) (*Result, error) {
	if err != nil {
		return nil, err
	}
	if !shared {
		if t, ok := c.rt.bought.take(res.Key); ok {
			call.Meter.absorb(t)
			if res.Cached && t.Requests > 0 {
				cp := *res
				cp.Cached = false // bought for this call, in a batch or as its canary
				return &cp, nil
			}
		}
		if res.Cached {
			c.countCached(ctx, call, res, false)
		}
		return res, nil
	}
	if call.Validate != nil {
		if verr := call.Validate(res.Response); verr != nil {
			return nil, fmt.Errorf("%s request %s: %w", c.spec.Name, res.Key.Short(), asCallError(verr, c.spec))
		}
	}
	c.countCached(ctx, call, res, true)
	cp := *res
	cp.Cached = true
	return &cp, nil
}

// countCached accounts a call served from the store (or shared with an
// identical one in flight), with what its response originally cost.
func (c *Client) countCached(ctx context.Context, call Call, res *Result, shared bool) {
	c.rt.meter.cached(res.CostUSD)
	call.Meter.cached(res.CostUSD)
	if l := c.rt.ledger; l != nil {
		l.Note(ctx, Spend{Event: SpendServed, Key: res.Key.String(), Model: c.spec.Name, Provider: c.spec.Provider,
			Served: res.Response.Model, Usage: res.Response.Usage, CostUSD: res.CostUSD, Shared: shared})
	}
}

func (c *Client) lookup(key RequestKey) (*Result, bool, error) {
	rec, ok, err := LookupRecord(c.rt.cfg.Records, key)
	if !ok || err != nil {
		return nil, false, err
	}
	return &Result{Response: rec.Response, Key: key, Cached: true, CostUSD: rec.CostUSD, Time: rec.Time}, true, nil
}

// asCallError turns a validation error into an *Error (schema violation
// unless it already is one).
func asCallError(err error, spec *ModelSpec) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Kind: KindSchemaViolation, Provider: spec.Provider, Model: spec.Model, Message: err.Error(), Err: err}
}

// backoff returns the jittered exponential wait before retry n (1-based),
// at least retryAfter when the provider named one, at most the cap.
func (c *Client) backoff(n int, retryAfter time.Duration) time.Duration {
	d := c.rt.cfg.RetryBase << min(n-1, 20)
	d = min(d, c.rt.cfg.RetryCap)
	d = d/2 + rand.N(d/2+1)
	return min(max(d, retryAfter), c.rt.cfg.RetryCap)
}
