package sptfake

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/connect"
	"github.com/sptflow/sptflow/llm/llmtest"
)

// DefaultAddr is where the fake listens unless told otherwise; the fake
// experiment (pipelines/experiments/fake.yaml) points its models there.
const DefaultAddr = "127.0.0.1:8089"

// Paths of the endpoints of a Server.
const (
	anthropicPath  = "/v1/messages"
	openaiPath     = "/v1/chat/completions"
	openrouterRoot = "/api" // OpenRouter's layout: <host>/api/v1/chat/completions
)

// openaiBatchPaths are the patterns of the OpenAI Files and Batch APIs.
var openaiBatchPaths = []string{"/v1/files", "/v1/files/", "/v1/batches", "/v1/batches/"}

// Config configures a Server: `sptflow fake` and cmd/fakellm register its
// flags with Flags.
type Config struct {
	Addr string
	// SPT answers like the SPT pipeline's models (the sptsim responders);
	// otherwise replies are llmtest's generic ones (schema-valid tool
	// arguments, filler text).
	SPT bool

	RPM, TPM int           // enforced per model; 0 = unlimited
	Burst    time.Duration // token-bucket size, in time at the enforced rate

	Latency    time.Duration // before the response headers
	Jitter     time.Duration // uniform extra latency in [0, Jitter)
	Tail       float64       // > 0: Latency is the median of a Pareto tail of this shape
	ChunkDelay time.Duration // between streamed events

	Faults llmtest.FaultRates
	// ReviewRejection is the share of stage-3 reviews that reject their
	// batch (SPT only).
	ReviewRejection float64
	Seed            uint64
	// APIKey, when set, is required of every request; otherwise any key
	// (a dummy) is accepted.
	APIKey string // BatchPolls is how many polls a message batch answers in_progress
	// before it ends.
	BatchPolls int
}

// Flags registers the server's flags on fs, with their defaults.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", DefaultAddr, "listen `ADDRESS` (loopback; port 0 picks a free one)")
	fs.IntVar(&c.RPM, "rpm", 0, "requests per minute enforced per model with 429 + Retry-After (0 = unlimited)")
	fs.IntVar(&c.TPM, "tpm", 0, "tokens per minute enforced per model (0 = unlimited)")
	fs.DurationVar(&c.Burst, "burst", time.Second, "token-bucket size, in `time` at the enforced rate")
	fs.DurationVar(&c.Latency, "latency", 0, "`delay` before each response (the median with --tail)")
	fs.DurationVar(&c.Jitter, "jitter", 0, "a uniform random extra delay of up to `D`")
	fs.Float64Var(&c.Tail, "tail", 0, "heavy-tailed latency: Pareto `shape` (e.g. 1.5; smaller is heavier; 0 = off)")
	fs.DurationVar(&c.ChunkDelay, "chunk-delay", 0, "`pause` between streamed events")
	fs.Float64Var(&c.Faults.ServerError, "error-rate", 0, "`fraction` of requests answered 5xx (Anthropic 529 or 500)")
	fs.Float64Var(&c.Faults.RateLimit, "rate-limit-rate", 0, "`fraction` of requests answered 429 at random (Retry-After: 1)")
	fs.Float64Var(&c.Faults.Truncation, "truncation-rate", 0, "`fraction` of replies cut by max tokens")
	fs.Float64Var(&c.Faults.Malformed, "malformed-rate", 0, "`fraction` of replies with invalid JSON tool arguments")
	fs.Float64Var(&c.Faults.Reset, "reset-rate", 0, "`fraction` of connections closed without a response")
	fs.Float64Var(&c.Faults.StreamError, "stream-error-rate", 0, "`fraction` of streamed replies ended by an error event")
	fs.IntVar(&c.Faults.QuotaAfter, "quota-after", 0, "refuse every request after the first N for exhausted quota (0 = never)")
	fs.Float64Var(&c.ReviewRejection, "review-rejection-rate", 0.1, "`fraction` of stage-3 reviews that reject their batch")
	fs.Uint64Var(&c.Seed, "seed", 1, "random `seed` of latency, faults and answers")
	fs.IntVar(&c.BatchPolls, "batch-polls", 0, "a message batch answers `N` polls in_progress before it ends")
}

// Check reports every bad setting at once.
func (c *Config) Check() error {
	var errs []error
	if err := checkLoopback(c.Addr); err != nil {
		errs = append(errs, err)
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"--rpm", c.RPM}, {"--tpm", c.TPM}} {
		if v.n < 0 {
			errs = append(errs, fmt.Errorf("%s %d: want 0 (unlimited) or more", v.name, v.n))
		}
	}
	for _, v := range []struct {
		name string
		d    time.Duration
	}{{"--latency", c.Latency}, {"--jitter", c.Jitter}, {"--chunk-delay", c.ChunkDelay}, {"--burst", c.Burst}} {
		if v.d < 0 {
			errs = append(errs, fmt.Errorf("%s %v: want 0 or more", v.name, v.d))
		}
	}
	if c.BatchPolls < 0 {
		errs = append(errs, fmt.Errorf("--batch-polls %d: want 0 or more", c.BatchPolls))
	}
	if c.Tail < 0 || (c.Tail > 0 && c.Tail <= 1) {
		errs = append(errs, fmt.Errorf("--tail %g: want 0 (off) or a Pareto shape above 1", c.Tail))
	}
	if err := c.Faults.Check(); err != nil {
		errs = append(errs, err)
	}
	if c.ReviewRejection < 0 || c.ReviewRejection > 1 {
		errs = append(errs, fmt.Errorf("--review-rejection-rate %g: want a probability in [0, 1]", c.ReviewRejection))
	}
	return errors.Join(errs...)
}

// checkLoopback refuses addresses other than loopback ones: the fake
// accepts any API key and is a playground, not a service.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: want HOST:PORT (%v)", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %q: the fake listens on loopback only (127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}

// Server serves the fake Anthropic, OpenAI and OpenRouter APIs on one
// listener, and GET /stats.
type Server struct {
	cfg                           Config
	anthropic, openai, openrouter *llmtest.Fake
	chaos                         *llmtest.Chaos
	mux                           *http.ServeMux
	started                       time.Time
}

// NewServer checks cfg and builds the server.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	chaos, err := llmtest.NewChaos(cfg.Faults, cfg.Seed)
	if err != nil {
		return nil, err
	}
	// A rate of 0 is sptsim's default (10%); "never" is the smallest rate.
	script := &Script{VaryRepeats: true, Sim: llm.SimOptions{ReviewRejectionRate: max(cfg.ReviewRejection, math.SmallestNonzeroFloat64)}}
	opts := func(dialect string, answer func(llmtest.Request) llmtest.Fault) llmtest.Options {
		if !cfg.SPT {
			answer = nil
		}
		o := llmtest.Options{APIKey: cfg.APIKey, RPM: cfg.RPM, TPM: cfg.TPM, BurstWindow: cfg.Burst, PerModel: true,
			Latency: cfg.Latency, LatencyJitter: cfg.Jitter, LatencyTail: cfg.Tail, StreamChunkDelay: cfg.ChunkDelay,
			Seed: cfg.Seed, ModelPrefix: connect.FakeModelPrefix, Forget: true, Script: chaos.Script(dialect, answer),
			Batch: llmtest.BatchScript{Polls: cfg.BatchPolls}}
		if dialect == llmtest.DialectOpenRouter {
			o.Flavor = "openrouter"
		}
		return o
	}
	s := &Server{cfg: cfg, chaos: chaos, mux: http.NewServeMux(), started: time.Now(),
		anthropic:  llmtest.NewAnthropicHandler(opts(llmtest.DialectAnthropic, script.Anthropic)),
		openai:     llmtest.NewOpenAIHandler(opts(llmtest.DialectOpenAI, script.OpenAI)),
		openrouter: llmtest.NewOpenAIHandler(opts(llmtest.DialectOpenRouter, script.OpenAI)),
	}
	s.mux.Handle(anthropicPath, s.anthropic)
	s.mux.Handle(anthropicPath+"/batches", s.anthropic)  // the Message Batches API
	s.mux.Handle(anthropicPath+"/batches/", s.anthropic) // (llmtest/batch.go)
	s.mux.Handle(openaiPath, s.openai)
	s.mux.Handle(openrouterRoot+openaiPath, http.StripPrefix(openrouterRoot, s.openrouter))
	for _, p := range openaiBatchPaths { // the Files and Batch APIs (llmtest/openaibatch.go)
		s.mux.Handle(p, s.openai)
		s.mux.Handle(openrouterRoot+p, http.StripPrefix(openrouterRoot, s.openrouter))
	}
	s.mux.HandleFunc("GET "+llmtest.StatsPath, s.serveStats)
	s.mux.HandleFunc("/", s.notFound)
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// notFound answers a path no API serves, naming the base URLs: a wrong
// base_url shows up here.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	root := "http://" + r.Host
	var b strings.Builder
	fmt.Fprintf(&b, "no fake API at %s %s; base URLs:", r.Method, r.URL.Path)
	for _, e := range Endpoints(root) {
		fmt.Fprintf(&b, " %s %s;", e.Providers, e.BaseURL)
	}
	body, _ := json.Marshal(map[string]any{"error": map[string]any{"type": "not_found_error",
		"message": strings.TrimSuffix(b.String(), ";")}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write(body)
}

// Shutdown releases requests held by the server (stalls, latency); call it
// before closing the listener.
func (s *Server) Shutdown() {
	for _, f := range []*llmtest.Fake{s.anthropic, s.openai, s.openrouter} {
		f.Shutdown()
	}
}

// Endpoint is the base URL a group of providers' model entries take.
type Endpoint struct {
	Providers string `json:"providers"`
	BaseURL   string `json:"base_url"`
}

// Endpoints are the base URLs of a server at root (http://host:port).
func Endpoints(root string) []Endpoint {
	return []Endpoint{
		{llm.ProviderAnthropic, root},
		{strings.Join([]string{llm.ProviderOpenAI, llm.ProviderVLLM, llm.ProviderLlamaCpp, llm.ProviderOllama}, ", "), root + "/v1"},
		{llm.ProviderOpenRouter, root + openrouterRoot + "/v1"},
	}
}

// Stats are a server's own counts, served on GET /stats.
type Stats struct {
	// Requests counts every request to an API endpoint, answered or not
	// (429s, injected faults): it equals the HTTP requests a client sent.
	Requests int `json:"requests"`
	// RateLimited counts the 429s of the enforced budgets (--rpm, --tpm).
	RateLimited int `json:"rate_limited"`
	// Faults counts the injected faults by kind.
	Faults map[string]int `json:"faults"`
	// Billed is what each requested model was billed (replies written
	// whole, with their usage).
	Billed map[string]llmtest.Billed `json:"billed"`
	// Providers breaks Requests and RateLimited down by API.
	Providers map[string]llmtest.Stats `json:"providers"`
	Uptime    string                   `json:"uptime"`
}

// Stats returns the server's counts so far.
func (s *Server) Stats() Stats {
	st := Stats{Faults: s.chaos.Counts(), Billed: map[string]llmtest.Billed{}, Providers: map[string]llmtest.Stats{},
		Uptime: time.Since(s.started).Round(time.Second).String()}
	for name, f := range map[string]*llmtest.Fake{llmtest.DialectAnthropic: s.anthropic,
		llmtest.DialectOpenAI: s.openai, llmtest.DialectOpenRouter: s.openrouter} {
		ps := f.Stats()
		st.Providers[name] = ps
		st.Requests += ps.Requests
		st.RateLimited += ps.RateLimited
		for m, b := range ps.Billed {
			t := st.Billed[m]
			t.Replies += b.Replies
			t.InputTokens += b.InputTokens
			t.OutputTokens += b.OutputTokens
			t.CacheReadTokens += b.CacheReadTokens
			t.CacheWriteTokens += b.CacheWriteTokens
			st.Billed[m] = t
		}
	}
	return st
}

func (s *Server) serveStats(w http.ResponseWriter, _ *http.Request) {
	b, err := json.MarshalIndent(s.Stats(), "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(b, '\n'))
}

// Serve serves on ln until ctx is done, then shuts down: held requests are
// released and the listener closed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		s.Shutdown()
		stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(stop) != nil {
			_ = srv.Close()
		}
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	return fmt.Errorf("serve %s: %w", ln.Addr(), err)
}
