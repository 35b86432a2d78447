package llm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// ErrPlanned is what a call in plan mode returns when the request store
// has no response for its request: the request was collected for the next
// batch wave instead of being sent. It is not an *Error, so row code that
// stops at fatal errors stops there, with nothing written.
var ErrPlanned = errors.New("request planned for a batch wave, not sent")

// Planner runs a multi-round stage through a provider's batch API in
// waves. A planning pass runs the stage's ordinary per-row code with
// clients in plan mode (Planning): calls whose response is stored are
// served from the store, the first call of a row that is not is collected
// and answered ErrPlanned. The collected requests (Take) are sent as one
// batch wave (Client.RunBatch) and the harvest noted (Harvested); the next
// pass gets one call further in every row. When a pass collects nothing,
// the ordinary pass (Serving) writes what an online run writes.
//
// Requests the provider refused in a wave are answered with the refusal in
// both modes, so the planning and the final pass make the same calls. A
// request batched once and still not stored (its result unusable, or left
// after the batch executor's own waves) is not collected again: the final
// pass sends it online. A Planner is safe for concurrent use.
type Planner struct {
	mu      sync.Mutex
	pending map[*Client]map[RequestKey]*Request
	refused map[RequestKey]error
	tried   map[RequestKey]bool
}

// NewPlanner returns a planner with nothing collected.
func NewPlanner() *Planner {
	return &Planner{pending: map[*Client]map[RequestKey]*Request{},
		refused: map[RequestKey]error{}, tried: map[RequestKey]bool{}}
}

// PlanClient is a client in plan mode (Planner.Planning) or serving the
// planner's refusals before going online (Planner.Serving).
type PlanClient struct {
	p    *Planner
	c    *Client
	plan bool
}

// Planning returns c in plan mode: Do never sends a request and accounts
// nothing (no meter, no spend ledger, no failure records).
func (p *Planner) Planning(c *Client) *PlanClient { return &PlanClient{p: p, c: c, plan: true} }

// Serving returns c as it is online, except that requests the provider's
// batch API refused are answered with the refusal instead of being sent.
func (p *Planner) Serving(c *Client) *PlanClient { return &PlanClient{p: p, c: c} }

// Client returns the client behind pc.
func (pc *PlanClient) Client() *Client { return pc.c }

// Do is Client.Do in pc's mode.
func (pc *PlanClient) Do(ctx context.Context, call Call) (*Result, error) {
	if call.Request == nil {
		return nil, fmt.Errorf("model %q: call without a request", pc.c.spec.Name)
	}
	key := pc.c.KeyOf(call.Request)
	if err := pc.p.refusal(key); err != nil {
		return nil, err
	}
	if !pc.plan {
		return pc.c.Do(ctx, call)
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	res, ok, err := pc.c.lookup(key)
	if err != nil {
		return nil, fmt.Errorf("%s request %s not planned: %w", pc.c.spec.Name, key.Short(), err)
	}
	if ok {
		return res, nil
	}
	pc.p.collect(pc.c, key, call.Request)
	return nil, fmt.Errorf("%s request %s: %w", pc.c.spec.Name, key.Short(), ErrPlanned)
}

func (p *Planner) refusal(key RequestKey) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused[key]
}

func (p *Planner) collect(c *Client, key RequestKey, req *Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tried[key] {
		return // batched before and still not stored: the final pass sends it
	}
	m := p.pending[c]
	if m == nil {
		m = map[RequestKey]*Request{}
		p.pending[c] = m
	}
	m[key] = req
}

// Planned is the requests a planning pass collected for one client, in
// request-key order (so a wave's batches do not depend on which row ran
// first).
type Planned struct {
	Client   *Client
	Requests []*Request
}

// Take returns what the planning passes since the last Take collected, by
// client in model-entry name order, and forgets it.
func (p *Planner) Take() []Planned {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Planned
	for c, m := range p.pending {
		keys := make([]RequestKey, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b RequestKey) int { return bytes.Compare(a[:], b[:]) })
		pl := Planned{Client: c}
		for _, k := range keys {
			pl.Requests = append(pl.Requests, m[k])
		}
		out = append(out, pl)
	}
	slices.SortFunc(out, func(a, b Planned) int { return strings.Compare(a.Client.spec.Name, b.Client.spec.Name) })
	clear(p.pending)
	return out
}

// Harvested notes what a wave did with pl: every request of it counts as
// tried, and the provider's refusals answer its requests from now on.
func (p *Planner) Harvested(pl Planned, rep *BatchReport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range pl.Requests {
		p.tried[pl.Client.KeyOf(r)] = true
	}
	if rep != nil {
		for k, err := range rep.Failures {
			p.refused[k] = err
		}
	}
}
