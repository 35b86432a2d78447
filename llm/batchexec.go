package llm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of the batch executor.
const (
	DefaultBatchPoll = 30 * time.Second
	// batchWaves bounds the waves of one RunBatch: a request whose batch
	// expired or was canceled, or that met a server error, is submitted
	// again in the next wave; after the last, what is left goes online.
	batchWaves = 3
	// adoptSkew is how much earlier than its intent record a batch found
	// by listing may have been created (clock skew with the provider).
	adoptSkew = 5 * time.Minute
	// maxPollErrors bounds consecutive failed polls of one batch.
	maxPollErrors = 20
)

// Batch hook points (RuntimeConfig.BatchHook).
const (
	HookBatchIntent  = "intent"  // the intent record is durable; the batch is not created yet
	HookBatchCreated = "created" // the provider created the batch; its id is not recorded yet
	HookBatchPolled  = "polled"  // a batch in flight answered its first poll of the run
	// HookBatchHarvested is "harvested:N": this harvest has recorded N
	// results of a batch (stored, refused, or paid and unusable), each
	// durably before the next is read.
	HookBatchHarvested = "harvested"
)

// BatchReport says what one RunBatch did.
type BatchReport struct {
	Requests  int // distinct requests asked for
	Canaries  int // requests sent online to prove a new request shape
	Stored    int // already in the request store
	Submitted int // requests sent in batches, over all waves
	Batches   int // batches created
	Adopted   int // batches found by listing after a crash
	Harvested int // batches whose results were harvested
	Succeeded int // results stored
	Unusable  int // succeeded results that failed the response checks (paid, not stored)
	Again     int // requests resubmitted (expired, canceled, server errors, gone batches)
	// Gone are batches the provider no longer knew (ErrBatchNotFound):
	// their ledger entries were dropped and their requests without a
	// stored result sent again.
	Gone    int
	CostUSD float64
	// Failures are the requests the provider refused (invalid request):
	// a failure record holds the provider's message; they are not retried
	// blindly.
	Failures map[RequestKey]error
}

// KeyOf returns the request key of req for this client's model.
func (c *Client) KeyOf(req *Request) RequestKey {
	k, _ := KeyOf(req, c.spec)
	return k
}

// RunBatch gets the responses to reqs into the request store through the
// provider's batch API, at the batch price. scope names the caller (a
// partition): its ledger entries are its own. Requests already stored are
// not sent. Before a batch is created, an intent record with its request
// keys is durable in the batch ledger; the provider's batch id is recorded
// right after. Entries left by an earlier, interrupted run are taken over:
// an entry without a batch id is matched against the account's recent
// batches (same number of requests, created after the intent) and the
// match adopted, so the same keys are never sent twice; an entry with an
// id is polled, never resubmitted. Results are stored one by one as they
// are read (each durable before it counts). Without waiting
// (RuntimeConfig.BatchNoWait), batches still in flight end RunBatch with
// an *InFlightError after one poll (they are harvested by a later run,
// never submitted again). After RunBatch, the caller makes its calls as online:
// every harvested request is served from the store.
func (c *Client) RunBatch(ctx context.Context, scope string, reqs []*Request) (*BatchReport, error) {
	api, ok := c.provider.(BatchAPI)
	if !ok {
		return nil, fmt.Errorf("model %q: provider %s has no batch API", c.spec.Name, c.spec.Provider)
	}
	if c.rt.cfg.Batches == nil {
		return nil, fmt.Errorf("model %q: no batch ledger configured", c.spec.Name)
	}
	if p := c.spec.Prices; !p.IsZero() && p.BatchDiscount == 0 {
		if _, warned := c.rt.noDisc.LoadOrStore(c.spec.Name, true); !warned {
			c.rt.cfg.Log.Warn().Str("model", c.spec.Name).
				Msg("execution batch, but the model entry's prices have no batch_discount: batch results are priced (and logged) at the online price; set prices.batch_discount to the provider's")
		}
	}
	x := &batchRun{c: c, api: api, scope: scope, led: batchLedger{c.rt.cfg.Batches},
		items: map[string]*Request{}, rep: &BatchReport{Failures: map[RequestKey]error{}}}
	seen := map[string]bool{}
	for _, r := range reqs {
		key := c.KeyOf(r)
		id := key.String()
		if seen[id] {
			continue
		}
		seen[id] = true
		x.rep.Requests++
		_, ok, err := LookupRecord(c.rt.cfg.Records, key)
		if err != nil {
			return x.rep, fmt.Errorf("model %q: batch not submitted: %w", c.spec.Name, err)
		}
		if ok {
			x.rep.Stored++
			x.order = append(x.order, id)
			continue
		}
		x.items[id] = c.spec.Apply(r)
		x.order = append(x.order, id)
	}
	return x.rep, x.run(ctx)
}

// batchRun is the state of one RunBatch.
type batchRun struct {
	c     *Client
	api   BatchAPI
	scope string
	led   batchLedger
	items map[string]*Request // custom id -> applied request, not yet stored
	order []string
	rep   *BatchReport
}

func (x *batchRun) run(ctx context.Context) error {
	all, err := x.led.entries(x.c.spec.Provider, x.c.spec.Model)
	if err != nil {
		return err
	}
	var open []*BatchEntry
	for _, e := range all {
		if e.Name == "" || !strings.HasPrefix(e.Name, x.prefix()) {
			continue
		}
		if e.BatchID == "" {
			if err := x.recover(ctx, e); err != nil {
				return err
			}
		}
		if e.BatchID != "" {
			open = append(open, e)
		}
	}
	pending, err := x.canaries(ctx, x.pending(open))
	if err != nil {
		return err
	}
	for wave := 1; ; wave++ {
		created, err := x.submit(ctx, pending)
		if err != nil {
			return err
		}
		open = append(open, created...)
		if len(open) == 0 {
			return nil
		}
		again, err := x.await(ctx, open)
		if err != nil {
			return err
		}
		open, pending = nil, again
		if len(pending) == 0 || wave == batchWaves {
			return nil // what is left goes online
		}
		x.rep.Again += len(pending)
	}
}

// prefix starts the names of this scope's ledger entries.
func (x *batchRun) prefix() string {
	h := sha256.Sum256([]byte(x.c.spec.Provider + "\x00" + x.c.spec.Model + "\x00" + x.scope))
	return hex.EncodeToString(h[:6]) + "-"
}

// pending returns the custom ids to submit: not stored, not in a batch in
// flight.
func (x *batchRun) pending(open []*BatchEntry) []string {
	inFlight := map[string]bool{}
	for _, e := range open {
		for _, k := range e.Keys {
			inFlight[k] = true
		}
	}
	var out []string
	for _, id := range x.order {
		if x.items[id] != nil && !inFlight[id] {
			out = append(out, id)
		}
	}
	return out
}

// recover finds the batch of an intent record whose id was never recorded:
// of the account's batches created since the intent, matching it (naming
// it in their metadata, else with as many requests; see adoptable) and not
// claimed by another entry, the one created nearest the intent. Found, it
// is adopted (and recorded); not found, the batch was never created and
// the entry is dropped, its keys pending again.
func (x *batchRun) recover(ctx context.Context, e *BatchEntry) error {
	// One recovery at a time in the process, over a fresh read of the
	// ledger, so two partitions never adopt the same batch.
	recoverMu.Lock()
	defer recoverMu.Unlock()
	all, err := x.led.entries(x.c.spec.Provider, x.c.spec.Model)
	if err != nil {
		return err
	}
	list, err := x.api.ListBatches(ctx, e.Intent.Add(-adoptSkew))
	if err != nil {
		return fmt.Errorf("recover batch %s: list batches: %w", e.Name, err)
	}
	claimed := map[string]bool{}
	for _, o := range all {
		claimed[o.BatchID] = true
	}
	var pick *BatchStatus
	for _, b := range list {
		if claimed[b.ID] || !adoptable(b, e) || b.Created.Before(e.Intent.Add(-adoptSkew)) {
			continue
		}
		if pick == nil || absDur(b.Created.Sub(e.Intent)) < absDur(pick.Created.Sub(e.Intent)) {
			pick = b
		}
	}
	if pick == nil {
		x.c.rt.cfg.Log.Info().Str("entry", e.Name).Msg("batch intent without a batch: it was never created; submitting its requests")
		return x.led.remove(e)
	}
	e.BatchID, e.Created, e.Expires, e.Adopted = pick.ID, pick.Created, pick.Expires, true
	if err := x.led.save(e); err != nil {
		return err
	}
	x.rep.Adopted++
	x.c.rt.cfg.Log.Info().Str("entry", e.Name).Str("batch", pick.ID).Msg("adopted the batch of an interrupted submission")
	return nil
}

func (e *InFlightError) add(st *BatchStatus) {
	e.Batches++
	e.Pending += st.Counts.Processing
	if eta := batchETA(st, time.Now()); eta.After(e.ETA) {
		e.ETA = eta
	}
}

// recoverMu serializes the recoveries of a process.
var recoverMu sync.Mutex

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// batchETA extrapolates a batch's end from its progress so far; without
// progress it is the provider's deadline.
func batchETA(st *BatchStatus, now time.Time) time.Time {
	total, done := st.Counts.Total(), st.Counts.Total()-st.Counts.Processing
	if done == 0 || total == 0 || st.Created.IsZero() {
		return st.Expires
	}
	elapsed := now.Sub(st.Created)
	eta := st.Created.Add(time.Duration(float64(elapsed) * float64(total) / float64(done)))
	if !st.Expires.IsZero() && eta.After(st.Expires) {
		return st.Expires
	}
	return eta
}

// submit creates batches of the pending requests, each after its intent
// record is durable, and records each batch id as soon as it is known.
func (x *batchRun) submit(ctx context.Context, pending []string) ([]*BatchEntry, error) {
	var out []*BatchEntry
	if len(pending) > 0 && x.c.rt.stopping() {
		return nil, ErrStopping // no new batch after an interrupt
	}
	chunks, err := x.chunks(pending)
	if err != nil {
		return nil, err
	}
	for _, chunk := range chunks {
		e, err := x.create(ctx, chunk)
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (x *batchRun) create(ctx context.Context, ids []string) (*BatchEntry, error) {
	now := time.Now().UTC()
	h := sha256.Sum256([]byte(strings.Join(ids, "\n") + "\x00" + now.Format(time.RFC3339Nano)))
	e := &BatchEntry{Name: x.prefix() + hex.EncodeToString(h[:8]), Model: x.c.spec.Name, Provider: x.c.spec.Provider,
		APIModel: x.c.spec.Model, Keys: slices.Clone(ids), Intent: now}
	est := 0.0
	items := make([]BatchItem, len(ids))
	for i, id := range ids {
		items[i] = BatchItem{CustomID: id, Request: x.items[id]}
		in, out := x.c.estimate(x.items[id])
		est += x.c.spec.Prices.Cost(Usage{InputTokens: int64(in), OutputTokens: int64(out)}, true)
	}
	if err := x.c.rt.budget.reserve(fmt.Sprintf("%s batch of %d requests", x.c.spec.Name, len(ids)), est); err != nil {
		return nil, err
	}
	x.c.rt.budget.settle(est, 0) // the harvest charges what was paid
	if err := x.led.save(e); err != nil {
		return nil, err
	}
	if err := x.hook(HookBatchIntent); err != nil {
		return nil, err
	}
	st, err := x.api.CreateBatch(WithBatchIntent(ctx, e.Name), items)
	if err != nil {
		// Nothing was created (or the provider's answer was lost: the
		// next run finds the batch by listing). Keep the intent.
		return nil, fmt.Errorf("%s: create batch of %d requests: %w", x.c.spec.Name, len(ids), err)
	}
	if err := x.hook(HookBatchCreated); err != nil {
		return nil, err
	}
	e.BatchID, e.Created, e.Expires = st.ID, st.Created, st.Expires
	if err := x.led.save(e); err != nil {
		return nil, err
	}
	x.rep.Batches++
	x.rep.Submitted += len(ids)
	x.c.rt.cfg.Log.Info().Str("batch", st.ID).Int("requests", len(ids)).Msg("batch created")
	return e, nil
}

func (x *batchRun) hook(point string) error {
	if h := x.c.rt.cfg.BatchHook; h != nil {
		return h(point)
	}
	return nil
}

// await polls the open batches until each has ended, harvesting each as
// soon as it ends; it returns the custom ids to submit again.
func (x *batchRun) await(ctx context.Context, open []*BatchEntry) ([]string, error) {
	poll := cmpOr(x.c.rt.cfg.BatchPoll, DefaultBatchPoll)
	fails := map[string]int{}
	polled := map[string]bool{}
	defer func() {
		for _, e := range open {
			x.c.rt.inflight.drop(e.BatchID)
		}
	}()
	var again []string
	for len(open) > 0 {
		var still []*BatchEntry
		inflight := &InFlightError{Model: x.c.spec.Name}
		for _, e := range open {
			st, err := x.api.GetBatch(ctx, e.BatchID)
			if errors.Is(err, ErrBatchNotFound) {
				x.c.rt.inflight.drop(e.BatchID)
				a, err := x.forget(e, err)
				if err != nil {
					return nil, err
				}
				again = append(again, a...)
				continue
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil, context.Cause(ctx)
				}
				if fails[e.BatchID]++; fails[e.BatchID] > maxPollErrors {
					return nil, fmt.Errorf("poll batch %s: %w", e.BatchID, err)
				}
				x.c.rt.cfg.Log.Warn().Err(err).Str("batch", e.BatchID).Msg("poll batch failed; polling again")
				still = append(still, e)
				continue
			}
			fails[e.BatchID] = 0
			if err := x.polled(e, st); err != nil {
				return nil, err
			}
			if !polled[e.BatchID] {
				polled[e.BatchID] = true
				if err := x.hook(HookBatchPolled); err != nil {
					return nil, err
				}
			}
			if !st.Ended {
				still = append(still, e)
				inflight.add(st)
				continue
			}
			a, err := x.harvest(ctx, e)
			x.c.rt.inflight.drop(e.BatchID)
			if err != nil {
				return nil, err
			}
			again = append(again, a...)
		}
		open = still
		if x.c.rt.cfg.BatchNoWait && inflight.Batches > 0 {
			return nil, inflight
		}
		if len(open) > 0 {
			if err := x.sleep(ctx, poll, inflight); err != nil {
				return nil, err
			}
		}
	}
	return again, nil
}

// sleep waits between two polls. An interrupt ends the wait at once: the
// batches stay in the ledger and the next run harvests them, so there is
// nothing in flight to wait for. The error then matches both
// context.Canceled (the partition is interrupted, not failed) and
// ErrBatchesInFlight.
func (x *batchRun) sleep(ctx context.Context, d time.Duration, inflight *InFlightError) error {
	actx, cancel := x.c.rt.admission(ctx)
	defer cancel()
	err := Sleep(actx, d)
	if err != nil && ctx.Err() == nil && errors.Is(err, ErrStopping) {
		return stoppedWaiting{inflight}
	}
	return err
}

// stoppedWaiting is the error of a wait for batches ended by an interrupt.
type stoppedWaiting struct{ inflight *InFlightError }

func (e stoppedWaiting) Error() string {
	return "stopped waiting after the interrupt: " + e.inflight.Error()
}

func (e stoppedWaiting) Unwrap() error { return e.inflight }

func (stoppedWaiting) Is(target error) bool { return target == context.Canceled }

// harvest stores an ended batch's results one by one, then removes its
// ledger entry. It returns the custom ids to submit again: expired,
// canceled, server errors, and requests of the entry the results do not
// name.
func (x *batchRun) harvest(ctx context.Context, e *BatchEntry) ([]string, error) {
	seen := map[string]bool{}
	keys := make(map[string]bool, len(e.Keys)) // a batch may hold 100,000
	for _, k := range e.Keys {
		keys[k] = true
	}
	var again []string
	stored := 0
	request := func(id string) *Request { return x.items[id] }
	err := x.api.BatchResults(ctx, e.BatchID, request, func(r *BatchResult) error {
		if seen[r.CustomID] || !keys[r.CustomID] {
			return nil // not ours (an adopted batch is checked here)
		}
		seen[r.CustomID] = true
		if x.items[r.CustomID] == nil && x.stored(r.CustomID) {
			return nil // stored by an earlier harvest
		}
		// A key of the entry this run did not ask for (fewer batches than
		// when it was submitted) is stored all the same: it was paid for.
		retry, err := x.result(ctx, e, r)
		if retry && x.items[r.CustomID] != nil {
			again = append(again, r.CustomID)
		}
		if err == nil && !retry && x.c.rt.cfg.BatchHook != nil {
			stored++
			err = x.hook(fmt.Sprintf("%s:%d", HookBatchHarvested, stored))
		}
		return err
	})
	if errors.Is(err, ErrBatchNotFound) {
		return x.forget(e, err) // gone between its last poll and its results
	}
	if err != nil {
		return nil, fmt.Errorf("harvest batch %s: %w", e.BatchID, err)
	}
	for _, id := range e.Keys {
		if !seen[id] && x.items[id] != nil {
			again = append(again, id)
		}
	}
	x.rep.Harvested++
	return again, x.led.remove(e)
}

// forget drops the ledger entry of a batch the provider does not know
// (ErrBatchNotFound, cause): polling it again would get the same answer
// forever. Results already harvested from it stay in the request store;
// it returns the requests this run asked for that have none, to be sent
// again in a new batch (the others are sent by the next run needing them).
func (x *batchRun) forget(e *BatchEntry, cause error) ([]string, error) {
	var again []string
	unstored := 0
	for _, id := range e.Keys {
		if x.items[id] != nil {
			again = append(again, id)
		}
		if x.items[id] != nil || !x.stored(id) {
			unstored++
		}
	}
	x.c.rt.cfg.Log.Warn().Err(cause).Str("batch", e.BatchID).Str("model", x.c.spec.Name).Str("entry", e.Name).
		Int("requests", len(e.Keys)).Int("unstored", unstored).
		Msg("batch not found at the provider (its results purged, or it belongs to another workspace, API key or base_url): " +
			"dropped from the batch ledger; its requests without a stored result are sent again, in a new batch")
	x.rep.Gone++
	return again, x.led.remove(e)
}

func (x *batchRun) stored(id string) bool {
	var key RequestKey
	if _, err := hex.Decode(key[:], []byte(id)); err != nil {
		return false
	}
	_, ok, _ := LookupRecord(x.c.rt.cfg.Records, key) // not known stored: stored again, which costs nothing
	return ok
}

// result stores one result; retry says it is to be submitted again.
func (x *batchRun) result(ctx context.Context, e *BatchEntry, r *BatchResult) (bool, error) {
	c, id := x.c, r.CustomID
	var key RequestKey
	if _, err := hex.Decode(key[:], []byte(id)); err != nil || len(id) != 64 {
		return false, nil
	}
	model := c.spec.Model
	if req := x.items[id]; req != nil {
		model = req.Model
	}
	var cost, list float64
	if r.Response != nil {
		cost = c.spec.Prices.Cost(r.Response.Usage, true)
		list = c.spec.Prices.Cost(r.Response.Usage, false)
		c.rt.meter.charge(r.Response.Usage, cost)
		x.rep.CostUSD += cost
		c.rt.budget.settle(0, cost)
	}
	call := c.rt.calls.Add(1)
	note := func(s Spend) {
		if l := c.rt.ledger; l != nil {
			s.Call, s.Key, s.Model, s.Provider, s.Batch = call, id, c.spec.Name, c.spec.Provider, e.BatchID
			if s.Event == SpendReply {
				s.ListUSD = list
			}
			l.Note(ctx, s)
		}
	}
	switch {
	case r.Outcome == BatchSucceeded && r.Err == nil && r.Response != nil:
		note(Spend{Event: SpendReply, Usage: r.Response.Usage, Served: r.Response.Model, CostUSD: cost, OK: true})
		r.Response.Attempts = 1
		rec := &Record{Key: id, OK: true, Provider: c.spec.Provider, Model: model, ServedModel: r.Response.Model,
			Response: r.Response, Usage: r.Response.Usage, CostUSD: cost, Attempts: 1, Time: time.Now().UTC(),
			Run: c.rt.runID, Batch: e.BatchID}
		if err := x.put(key, id, rec); err != nil {
			return false, err
		}
		note(Spend{Event: SpendStored})
		c.rt.meter.succeeded()
		c.rt.bought.add(key, func(t *Totals) { t.Requests++; t.Usage.add(r.Response.Usage); t.CostUSD += cost })
		delete(x.items, id)
		x.rep.Succeeded++
		return false, nil
	case r.Outcome == BatchSucceeded:
		// Paid for and unusable (cut by max_tokens, malformed): not
		// stored; the caller's online call asks again.
		if r.Response != nil {
			c.rt.meter.wasted(r.Response.Usage, cost)
			c.rt.bought.add(key, func(t *Totals) {
				t.Usage.add(r.Response.Usage)
				t.CostUSD += cost
				t.FailedUsage.add(r.Response.Usage)
				t.FailedCostUSD += cost
			})
			note(Spend{Event: SpendReply, Usage: r.Response.Usage, Served: r.Response.Model, CostUSD: cost, Error: KindOf(r.Err)})
		}
		x.rep.Unusable++
		return false, nil
	case r.Outcome == BatchErrored && !batchRetryable(r.Err):
		note(Spend{Event: SpendReply, Error: errKind(r.Err)})
		err := fmt.Errorf("%s request %s (batch %s): %w", c.spec.Name, key.Short(), e.BatchID, r.Err)
		rec := &Record{Key: id, Provider: c.spec.Provider, Model: model, Attempts: 1, Time: time.Now().UTC(),
			ErrorKind: KindOf(r.Err), Error: err.Error(), Run: c.rt.runID, Batch: e.BatchID}
		if perr := x.put(FailureKey(key), id, rec); perr != nil {
			return false, perr
		}
		c.rt.meter.failed()
		x.rep.Failures[key] = err
		return false, nil
	}
	note(Spend{Event: SpendReply, Error: ErrorKind(r.Outcome)})
	return true, nil // expired, canceled, or a server error: the next wave
}

// batchRetryable reports whether an errored batch request is worth
// submitting again: server errors and overload are, invalid requests not.
func batchRetryable(err error) bool {
	k := KindOf(err)
	return transient(k) || k == KindRateLimited || k == ""
}

func errKind(err error) ErrorKind {
	if k := KindOf(err); k != "" {
		return k
	}
	return "error"
}

// Failure returns the provider's refusal of req in the last RunBatch
// report rep, if any.
func (rep *BatchReport) Failure(key RequestKey) error {
	if rep == nil {
		return nil
	}
	return rep.Failures[key]
}
