package llm

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// attempt is the bookkeeping of one fetch: attempts made, usage and cost
// over all of them.
type attempt struct {
	call      Call
	key       RequestKey
	req       *Request
	estCost   float64
	n         int // attempts counted against Call.Attempts
	tries     int // provider attempts, including transport retries
	limited   int // 429s waited out
	transient int // 5xx/network errors backed off
	costUSD   float64
	failed    Usage  // usage of responses that were not stored
	lastCall  uint64 // the ledger number of the last provider call
}

// fetch makes the request (the flight's leader runs it): budget check,
// then attempts through the governor until one validates, a non-retryable
// error, or the attempts run out.
func (c *Client) fetch(ctx context.Context, key RequestKey, call Call) (*Result, error) {
	req := c.spec.Apply(call.Request)
	in, out := c.estimate(req)
	a := &attempt{call: call, key: key, req: req,
		estCost: c.spec.Prices.Cost(Usage{InputTokens: int64(in), OutputTokens: int64(out)}, false)}
	if err := c.rt.budget.reserve(fmt.Sprintf("%s request %s", c.spec.Name, key.Short()), a.estCost); err != nil {
		return nil, err
	}
	res, err := c.attempts(ctx, a, in, out)
	c.rt.budget.settle(a.estCost, a.costUSD)
	return res, err
}

func (c *Client) attempts(ctx context.Context, a *attempt, in, out int) (*Result, error) {
	limit := a.call.Attempts
	if limit <= 0 {
		limit = defaultAttempts
	}
	actx, done := c.rt.admission(ctx)
	defer done()
	for {
		resp, err := c.once(ctx, actx, a, in, out)
		if err == nil {
			return c.succeed(ctx, a, resp)
		}
		if u, ok := errors.AsType[*UnreachableError](err); ok {
			return nil, c.fail(ctx, a, u) // not recorded: the row stays pending
		}
		wait, retry := c.retryPlan(ctx, a, err, limit)
		if retry && c.rt.stopping() {
			return nil, c.fail(ctx, a, fmt.Errorf("%w (after %w)", ErrStopping, err))
		}
		if !retry {
			return nil, c.fail(ctx, a, err)
		}
		if err := Sleep(actx, wait); err != nil {
			return nil, err
		}
	}
}

// once sends one attempt through the governor and validates the response.
// The governor's waits end when the run stops (actx); a request admitted
// before the stop is sent and left to finish (sendContext).
func (c *Client) once(ctx, actx context.Context, a *attempt, in, out int) (*Response, error) {
	t, err := c.gov.acquire(actx, in, out)
	if err == nil && c.rt.stopping() {
		t.abandon()
		err = ErrStopping
	}
	if err != nil {
		if c.rt.stopping() && isCtxErr(err) {
			return nil, ErrStopping
		}
		return nil, err
	}
	call := c.rt.calls.Add(1)
	a.lastCall = call
	var sent atomic.Int64
	sctx, release := c.rt.sendContext(ctx)
	defer release()
	pctx := withSendHook(sctx, func() { sent.Add(1); c.noteSent(ctx, a, call) })
	start := time.Now()
	resp, err := c.provider.Call(pctx, a.req)
	if sent.Load() == 0 && unsentCounts(err) {
		sent.Add(1)
		c.noteSent(ctx, a, call)
	}
	a.tries += int(sent.Load())
	var cost float64
	if resp != nil {
		if resp.Latency == 0 {
			resp.Latency = time.Since(start)
		}
		cost = c.spec.Prices.Cost(resp.Usage, false)
		a.costUSD += cost
		c.rt.meter.charge(resp.Usage, cost)
		a.call.Meter.charge(resp.Usage, cost)
	}
	// Pause the model before giving the slot back, so no waiting worker
	// slips in between the 429 and the pause.
	if e, ok := errors.AsType[*Error](err); ok && e.Kind == KindRateLimited {
		c.gov.pause(e.RetryAfter, "429 after transport retries")
	}
	t.release(usageOf(resp), resp != nil)
	if err == nil && resp == nil {
		err = &Error{Kind: KindEmpty, Provider: c.spec.Provider, Model: c.spec.Model, Message: "no response"}
	}
	if err == nil && a.call.Validate != nil {
		if verr := a.call.Validate(resp); verr != nil {
			err = asCallError(verr, c.spec)
		}
	}
	if err != nil && resp != nil {
		a.failed.add(resp.Usage)
		c.rt.meter.wasted(resp.Usage, cost)
		a.call.Meter.wasted(resp.Usage, cost)
	}
	if sent.Load() > 0 { // a call refused before anything was sent is no spending
		c.noteReply(ctx, a, call, resp, cost, err)
	}
	return resp, err
}

// noteSent accounts one HTTP request of a provider call as it goes out.
func (c *Client) noteSent(ctx context.Context, a *attempt, call uint64) {
	c.rt.meter.sent()
	a.call.Meter.sent()
	if l := c.rt.ledger; l != nil {
		l.Note(ctx, Spend{Event: SpendSent, Call: call, Key: a.key.String(), Model: c.spec.Name, Provider: c.spec.Provider})
	}
}

// spendCancelled is the error of a reply line whose call an interrupt cut
// off (Spent.CutOff).
const spendCancelled ErrorKind = "cancelled"

// noteReply writes the end of a provider call to the ledger: the usage and
// cost its response reported (it is paid for whether or not it is used),
// and whether it validated. A validated response is noted before it is
// stored, so a kill between the two cannot hide what was paid.
func (c *Client) noteReply(ctx context.Context, a *attempt, call uint64, resp *Response, cost float64, err error) {
	l := c.rt.ledger
	if l == nil {
		return
	}
	s := Spend{Event: SpendReply, Call: call, Key: a.key.String(), Model: c.spec.Name, Provider: c.spec.Provider,
		CostUSD: cost, OK: err == nil}
	if resp != nil {
		s.Usage, s.Served = resp.Usage, resp.Model
	}
	if err != nil {
		s.Error = KindOf(err)
		switch {
		case s.Error != "":
		case isCtxErr(err) || ctx.Err() != nil:
			s.Error = spendCancelled
		default:
			s.Error = "error"
		}
	}
	l.Note(ctx, s)
}

func usageOf(r *Response) Usage {
	if r == nil {
		return Usage{}
	}
	return r.Usage
}

// retryPlan decides whether (and after how long) to try again. Quota
// exhaustion stops the governor; cancellation and non-retryable kinds end
// the call; a 429 pauses every worker of the model and does not use up an
// attempt; 5xx/529/network errors back off with jitter; malformed responses
// retry at once.
func (c *Client) retryPlan(ctx context.Context, a *attempt, err error, limit int) (time.Duration, bool) {
	if ctx.Err() != nil || isCtxErr(err) || errors.Is(err, ErrQuotaExhausted) {
		return 0, false
	}
	var e *Error
	if !errors.As(err, &e) {
		return 0, false
	}
	switch {
	case e.Kind == KindQuotaExhausted:
		c.gov.stopQuota(err)
		return 0, false
	case e.Kind == KindRateLimited && a.limited < maxRateLimitRetries:
		a.limited++
		return 0, true // once paused the model; acquire waits out the pause
	case !e.Kind.Retryable():
		return 0, false
	case transient(e.Kind):
		a.transient++
		return c.backoff(a.transient, e.RetryAfter), a.transient <= maxTransientRetries
	}
	a.n++
	return 0, a.n < limit // an unusable 200: try again at once
}

func transient(k ErrorKind) bool {
	switch k {
	case KindServer, KindOverloaded, KindNetwork, KindTimeout:
		return true
	}
	return false
}

// succeed stores the validated response durably, then reports it.
func (c *Client) succeed(ctx context.Context, a *attempt, resp *Response) (*Result, error) {
	attempts := max(a.tries, 1)
	resp.Attempts = attempts
	rec := &Record{Key: a.key.String(), OK: true, Provider: c.spec.Provider, Model: a.req.Model,
		ServedModel: resp.Model, Response: resp, Usage: resp.Usage, CostUSD: a.costUSD,
		Attempts: attempts, Time: time.Now().UTC(), Simulated: resp.Simulated,
		Run: c.rt.runID, FailedUsage: nonZero(a.failed)}
	if err := c.rt.putWithRequest(c.spec, a.req, a.key, rec); err != nil {
		c.rt.meter.failed()
		a.call.Meter.failed()
		return nil, fmt.Errorf("%s request %s: %w", c.spec.Name, a.key.Short(), err)
	}
	if l := c.rt.ledger; l != nil {
		l.Note(ctx, Spend{Event: SpendStored, Call: a.lastCall, Key: a.key.String(), Model: c.spec.Name, Provider: c.spec.Provider})
	}
	c.rt.meter.succeeded()
	a.call.Meter.succeeded()
	return &Result{Response: resp, Key: a.key, CostUSD: a.costUSD, Time: rec.Time}, nil
}

// fail records a failure (its kind and attempts) and returns the error.
// Quota exhaustion, an unreachable server, a stop and cancellation are not
// failures of the request: they are not recorded, and the row stays
// pending for the next run.
func (c *Client) fail(ctx context.Context, a *attempt, err error) error {
	wrapped := fmt.Errorf("%s request %s: %w", c.spec.Name, a.key.Short(), err)
	if errors.Is(err, ErrQuotaExhausted) || KindOf(err) == KindQuotaExhausted {
		if !errors.Is(err, ErrQuotaExhausted) {
			wrapped = fmt.Errorf("%s request %s: %w: %w", c.spec.Name, a.key.Short(), ErrQuotaExhausted, err)
		}
		return wrapped
	}
	if isCtxErr(err) || ctx.Err() != nil || errors.Is(err, ErrUnreachable) {
		return wrapped
	}
	attempts := max(a.tries, 1)
	rec := &Record{Key: a.key.String(), Provider: c.spec.Provider, Model: a.req.Model,
		CostUSD: a.costUSD, Attempts: attempts, Time: time.Now().UTC(),
		ErrorKind: KindOf(err), Error: err.Error(), Run: c.rt.runID, FailedUsage: nonZero(a.failed)}
	if perr := c.rt.putWithRequest(c.spec, a.req, FailureKey(a.key), rec); perr != nil {
		c.rt.cfg.Log.Warn().Err(perr).Str("request", a.key.Short()).Msg("record failure")
	}
	c.rt.meter.failed()
	a.call.Meter.failed()
	return wrapped
}

// nonZero returns &u, or nil when u counts no tokens.
func nonZero(u Usage) *Usage {
	if u == (Usage{}) {
		return nil
	}
	return &u
}
