package llm

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// SimResponder produces the simulated response to one request for the sim
// provider; seed is derived from a hash of the request and its replica.
// llm/sim declares sim.Responder as an alias of it.
type SimResponder interface {
	Respond(req *Request, seed uint64) (*Response, error)
}

// ConnectEnv is what a Connector needs to build one model's Provider. It
// carries the API key, which a Connector must never store, log or hash.
type ConnectEnv struct {
	APIKey   string
	BaseURL  string   // the spec's, or the test override
	Observer Observer // the model's rate governor: pass it to the transport
	Log      zerolog.Logger
	Sim      map[string]SimResponder
}

// Connector builds the Provider for a model entry. The concrete providers
// import this package, so it cannot import them: the command (or a test)
// passes a Connector that knows them.
type Connector func(spec *ModelSpec, env ConnectEnv) (Provider, error)

// RuntimeConfig configures a Runtime.
type RuntimeConfig struct {
	// Records is the request store's durable KV (engine/store provides it).
	Records RecordStore
	Log     zerolog.Logger
	// Getenv reads API keys (os.Getenv when nil); they are never stored or
	// logged. It also reads SPTFLOW_DEBUG.
	Getenv func(string) string
	// BaseURLOverride, when it returns non-"", replaces a provider's base URL
	// (tests point providers at fake servers; it never changes request keys).
	BaseURLOverride func(provider string) string
	// MaxCostUSD refuses to start a request whose estimated cost would take
	// the run past it; 0 = no limit.
	MaxCostUSD float64
	// Sim are SPT-aware simulated responders by forced tool name ("" = plain
	// text requests); may be nil.
	Sim map[string]SimResponder
	// Connect builds providers; required.
	Connect Connector

	// DefaultRetryAfter is the pause after a 429 without Retry-After
	// (default 10s). RetryBase and RetryCap bound the jittered exponential
	// backoff after 5xx/529 and malformed responses (defaults 1s and 60s).
	DefaultRetryAfter, RetryBase, RetryCap time.Duration
	// UnreachableSpan is how long connection failures must go on (at least
	// 5 in a row) before a model's server counts as unreachable and its
	// requests stop (default 10s).
	UnreachableSpan time.Duration
	// DebugOut receives SPTFLOW_DEBUG=requestkey output (default stderr).
	DebugOut io.Writer

	// Batches holds the write-ahead batch ledger (required for execution
	// batch). BatchPoll is how often a batch in flight is polled (default
	// DefaultBatchPoll); BatchNoWait ends a stage whose batches are still
	// processing with an *InFlightError instead of waiting. BatchHook, if
	// set, is called at the HookBatch* points and its error ends the
	// submission there (tests simulate a crash with it).
	Batches     BatchFiles
	BatchPoll   time.Duration
	BatchNoWait bool
	BatchHook   func(point string) error
	// BatchNoCanary skips the canary before the first batch of a new
	// request shape (every request goes in the batch). For tests of the
	// batch executor's other parts, whose request counts it would shift.
	BatchNoCanary bool
}

// Runtime is the LLM side of one run: one Client (and rate governor) per
// (provider, model), one request store, one cost budget and one meter,
// shared by every node. It is safe for concurrent use.
type Runtime struct {
	cfg      RuntimeConfig
	debugKey bool
	meter    Meter
	budget   budget
	flights  flights
	hist     historyState
	calls    atomic.Uint64 // numbers provider calls in the ledger
	retries  retryWatch    // retryable responses, for Activity
	inflight batchTrack    // provider batches being polled (batchtrack.go)
	bought   boughtSet     // batch results and canaries no call has taken yet (bought.go)
	noDisc   sync.Map      // model names warned of batching without a batch_discount

	// Set by SetRun before the first call.
	runID  string
	ledger Ledger
	// Set by SetInterrupt (stop.go): a graceful stop, then the abort.
	stop, abort <-chan struct{}

	mu      sync.Mutex
	clients map[string]*Client
	govs    map[string]*Governor
	share   float64 // of every model's rate budgets; 0 = whole (share.go)
}

// NewRuntime checks cfg and returns a Runtime.
func NewRuntime(cfg RuntimeConfig) (*Runtime, error) {
	if cfg.Records == nil {
		return nil, errors.New("new llm runtime: no record store")
	}
	if cfg.Connect == nil {
		return nil, errors.New("new llm runtime: no provider connector")
	}
	if cfg.MaxCostUSD < 0 {
		return nil, fmt.Errorf("new llm runtime: max cost %g: must not be negative", cfg.MaxCostUSD)
	}
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.DebugOut == nil {
		cfg.DebugOut = os.Stderr
	}
	cfg.DefaultRetryAfter = cmpOr(cfg.DefaultRetryAfter, 10*time.Second)
	cfg.RetryBase = cmpOr(cfg.RetryBase, time.Second)
	cfg.RetryCap = cmpOr(cfg.RetryCap, 60*time.Second)
	r := &Runtime{cfg: cfg, clients: map[string]*Client{}, govs: map[string]*Governor{}}
	r.budget.max = cfg.MaxCostUSD
	r.debugKey = slices.Contains(strings.Split(cfg.Getenv("SPTFLOW_DEBUG"), ","), "requestkey")
	return r, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Client returns the client for spec, building its provider on first use.
// Entries with the same provider and model share one governor, so every
// node of the run paces against the same budget.
func (r *Runtime) Client(spec *ModelSpec) (*Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := spec.Name + "\x00" + spec.Provider + "\x00" + spec.Model
	if c, ok := r.clients[id]; ok {
		return c, nil
	}
	gid := spec.Provider + "/" + spec.Model
	g, ok := r.govs[gid]
	if !ok {
		g = newGovernor(sharedSpec(spec, r.share), r.cfg.DefaultRetryAfter, r.cfg.Log)
		g.share = r.share
		if r.cfg.UnreachableSpan > 0 {
			g.unreachableSpan = r.cfg.UnreachableSpan
		}
		r.govs[gid] = g
	}
	p, err := r.cfg.Connect(spec, r.connectEnv(spec, g))
	if err != nil {
		return nil, fmt.Errorf("model %q: connect %s: %w", spec.Name, spec.Provider, err)
	}
	c := &Client{rt: r, spec: spec, provider: p, gov: g}
	r.clients[id] = c
	return c, nil
}

func (r *Runtime) connectEnv(spec *ModelSpec, g *Governor) ConnectEnv {
	obs := watchedObserver{gov: g, id: spec.Provider + "/" + spec.Model, watch: &r.retries}
	env := ConnectEnv{BaseURL: spec.BaseURL, Observer: obs, Sim: r.cfg.Sim,
		Log: r.cfg.Log.With().Str("model", spec.Name).Logger()}
	if spec.APIKeyEnv != "" {
		env.APIKey = r.cfg.Getenv(spec.APIKeyEnv)
	}
	if r.cfg.BaseURLOverride != nil {
		if u := r.cfg.BaseURLOverride(spec.Provider); u != "" {
			env.BaseURL = u
		}
	}
	return env
}

// MissingKeys returns the sorted, distinct names of the API-key variables
// that specs need and the environment does not set.
func (r *Runtime) MissingKeys(specs []*ModelSpec) []string {
	var missing []string
	for _, s := range specs {
		if s.APIKeyEnv != "" && r.cfg.Getenv(s.APIKeyEnv) == "" {
			missing = append(missing, s.APIKeyEnv)
		}
	}
	slices.Sort(missing)
	return slices.Compact(missing)
}

// Totals returns the usage and cost of the run so far; RateLimited counts
// every 429 the governors saw, including those the transport retried.
func (r *Runtime) Totals() Totals {
	t := r.meter.Totals()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.govs {
		t.RateLimited += g.RateLimited()
	}
	return t
}

// SetRun names the run the Runtime's calls belong to (stored with each
// request record) and the ledger that accounts every request sent, every
// response paid for and every call served from the store. Call it before
// the first call; l may be nil.
func (r *Runtime) SetRun(id string, l Ledger) {
	r.runID, r.ledger = id, l
}
