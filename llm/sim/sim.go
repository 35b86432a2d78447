// Package sim is the `sim` provider: in-process, offline and deterministic.
// Everything it returns is derived from a hash of the request (its request
// key, which includes the replica index), so a pipeline run on simulated
// models is reproducible byte for byte. Forced-tool requests are answered by
// a registered Responder for that tool (SPT-aware responders live in
// steps/spt/sptsim) or else by schema-driven arguments that always validate;
// plain requests get varied multi-sentence text. Latency and failures
// (429s, 5xx, truncation) are simulated from the model entry's SimOptions,
// drawn per attempt so retries can succeed. Every response has
// Simulated: true and Model "sim/<model>".
package sim

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// Responder answers one simulated request.
type Responder = llm.SimResponder

// OptionsResponder is a Responder that also wants the model entry's sim
// options (for example the review rejection rate).
type OptionsResponder interface {
	RespondWithOptions(req *llm.Request, seed uint64, opts llm.SimOptions) (*llm.Response, error)
}

// Provider is the sim llm.Provider for one model entry.
type Provider struct {
	spec       *llm.ModelSpec
	responders map[string]Responder
	obs        llm.Observer

	mu       sync.Mutex
	attempts map[llm.RequestKey]uint64
}

var _ llm.Provider = (*Provider)(nil)

// New returns the sim provider for spec. responders are keyed by forced
// tool name ("" for plain requests) and may be nil; obs (may be nil) sees a
// simulated 429 like a real HTTP one.
func New(spec *llm.ModelSpec, responders map[string]Responder, obs llm.Observer) *Provider {
	return &Provider{spec: spec, responders: responders, obs: obs, attempts: map[llm.RequestKey]uint64{}}
}

// Connect is an llm.Connector for provider sim.
func Connect(spec *llm.ModelSpec, env llm.ConnectEnv) (llm.Provider, error) {
	if spec.Provider != llm.ProviderSim {
		return nil, fmt.Errorf("sim cannot serve provider %q", spec.Provider)
	}
	return New(spec, env.Sim, env.Observer), nil
}

// Name implements llm.Provider.
func (p *Provider) Name() string { return llm.ProviderSim }

// Seed returns the seed sim derives a request's answer from.
func Seed(req *llm.Request, spec *llm.ModelSpec) uint64 {
	key, _ := llm.KeyOf(req, spec)
	return binary.BigEndian.Uint64(key[:8])
}

// Call implements llm.Provider.
func (p *Provider) Call(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	key, _ := llm.KeyOf(req, p.spec)
	seed := binary.BigEndian.Uint64(key[:8])
	attempt := p.nextAttempt(key)
	r := NewRand(seed ^ (attempt+1)*0xbf58476d1ce4e5b9)
	latency := p.latency(r)
	if err := llm.Sleep(ctx, latency); err != nil {
		return nil, err
	}
	if err := p.fault(r.Float64(), latency); err != nil {
		return nil, err
	}
	resp, err := p.respond(req, seed)
	if err != nil {
		return nil, err
	}
	p.finish(req, resp, key, latency)
	return resp, nil
}

func (p *Provider) nextAttempt(key llm.RequestKey) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.attempts[key]
	p.attempts[key] = n + 1
	return n
}

// latency is Latency plus LatencyJitter scaled by a uniform draw, or by a
// Pareto (shape 1.5) draw capped at 50x when HeavyTail is set.
func (p *Provider) latency(r interface{ Float64() float64 }) time.Duration {
	o := p.spec.Sim
	u := r.Float64()
	if !o.HeavyTail {
		return o.Latency + time.Duration(u*float64(o.LatencyJitter))
	}
	tail := math.Min(math.Pow(1-u, -1/1.5)-1, 50)
	return o.Latency + time.Duration(tail*float64(o.LatencyJitter))
}

// fault turns the attempt's draw u into a simulated failure, or nil.
func (p *Provider) fault(u float64, latency time.Duration) error {
	o := p.spec.Sim
	e := &llm.Error{Provider: llm.ProviderSim, Model: p.spec.Model}
	switch {
	case u < o.RateLimitRate:
		e.Kind, e.Status, e.RetryAfter, e.Message = llm.KindRateLimited, 429, o.RetryAfter, "simulated rate limit"
		if p.obs != nil {
			h := http.Header{}
			if o.RetryAfter > 0 {
				h.Set("Retry-After-Ms", strconv.FormatInt(o.RetryAfter.Milliseconds(), 10))
			}
			p.obs.ObserveResponse(429, h, latency)
		}
	case u < o.RateLimitRate+o.ServerErrorRate:
		e.Kind, e.Status, e.Message = llm.KindServer, 500, "simulated server error"
		if p.obs != nil {
			p.obs.ObserveResponse(500, http.Header{}, latency) // as a transport would: the run shows "retrying"
		}
	case u < o.RateLimitRate+o.ServerErrorRate+o.TruncationRate:
		e.Kind, e.Message = llm.KindTruncated, "simulated max_tokens cut inside the tool arguments"
	default:
		return nil
	}
	return e
}

func (p *Provider) respond(req *llm.Request, seed uint64) (*llm.Response, error) {
	if rs, ok := p.responders[req.ForceTool]; ok && rs != nil {
		if or, ok := rs.(OptionsResponder); ok {
			return or.RespondWithOptions(req, seed, p.spec.Sim)
		}
		return rs.Respond(req, seed)
	}
	if req.ForceTool == "" {
		return &llm.Response{Text: Text(seed), StopReason: llm.StopEnd}, nil
	}
	return ToolResponse(req, seed)
}

// ToolResponse answers a forced-tool request with schema-driven arguments.
func ToolResponse(req *llm.Request, seed uint64) (*llm.Response, error) {
	for _, t := range req.Tools {
		if t.Name != req.ForceTool {
			continue
		}
		args, err := Arguments(t.InputSchema, seed)
		if err != nil {
			return nil, fmt.Errorf("sim tool %q: %w", t.Name, err)
		}
		return &llm.Response{StopReason: llm.StopToolUse,
			ToolCalls: []llm.ToolCall{{Name: t.Name, Arguments: args}}}, nil
	}
	return nil, &llm.Error{Kind: llm.KindInvalidRequest, Provider: llm.ProviderSim, Model: req.Model,
		Message: fmt.Sprintf("forced tool %q is not among the request's tools", req.ForceTool)}
}

// finish labels the response as simulated and fills what a responder left
// unset: served model, usage, latency, tool call ids.
func (p *Provider) finish(req *llm.Request, resp *llm.Response, key llm.RequestKey, latency time.Duration) {
	resp.Simulated = true
	resp.Model = "sim/" + p.spec.Model
	resp.Latency = latency
	resp.Attempts = 1
	if resp.StopReason == "" {
		resp.StopReason = llm.StopEnd
	}
	out := len(resp.Text) + len(resp.Reasoning)
	for i := range resp.ToolCalls {
		out += len(resp.ToolCalls[i].Arguments)
		if resp.ToolCalls[i].ID == "" {
			resp.ToolCalls[i].ID = fmt.Sprintf("toolu_sim_%s_%d", hex.EncodeToString(key[:6]), i)
		}
	}
	if resp.Usage.InputTokens == 0 && resp.Usage.OutputTokens == 0 {
		resp.Usage.InputTokens = int64(llm.EstimateInputTokens(req))
		resp.Usage.OutputTokens = int64(out/4 + 1)
	}
}
