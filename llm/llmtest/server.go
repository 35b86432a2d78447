// Package llmtest provides fake OpenAI- and Anthropic-compatible HTTP
// servers for tests, benchmarks and manual runs. They speak the real wire
// formats (JSON and streaming), record every request (auth headers
// redacted), and can be scripted per request: HTTP errors with each
// provider's error body, Retry-After in its three forms, connection resets,
// delays and stalls, malformed or truncated output, mid-stream errors, and
// an enforcing token-bucket mode with rate-limit headers.
package llmtest

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Redacted replaces the value of auth headers in recorded requests.
const Redacted = "REDACTED"

// Request is one recorded request.
type Request struct {
	Method string
	Path   string
	Header http.Header // Authorization and x-api-key are Redacted
	Body   []byte
	Time   time.Time
}

// JSON decodes the body into a generic map (nil if it is not JSON).
func (r Request) JSON() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.Body, &m) != nil {
		return nil
	}
	return m
}

// Options configure a fake server. The zero value serves every request
// successfully with no delay.
type Options struct {
	// Faults are served to the first requests (within the RPM/TPM budget:
	// a request answered 429 for the budget consumes none), one each, in
	// order; after the queue is empty Script (if set) decides, then the
	// default.
	Faults []Fault
	// Script decides the reply to a request; the zero Fault is a normal
	// success.
	Script func(r Request) Fault
	// Model overrides the served model name (default: the requested one).
	Model string
	// Text is the default plain-text reply.
	Text string
	// APIKey, when set, is required (Bearer token or x-api-key); other
	// requests get a 401.
	APIKey string
	// Flavor shapes OpenAI-compatible errors and extras: "openai"
	// (default) or "openrouter" (errors {"error":{"code":N,...}}, usage.cost,
	// message.reasoning).
	Flavor string

	// RPM and TPM enforce request and token budgets per minute with token
	// buckets holding BurstWindow's worth (default 1 s); a request over
	// budget gets a 429 with Retry-After. Tokens are estimated as the
	// request's content (Request.Content) bytes/4 plus max_tokens, as the
	// real services estimate the prompt plus max_tokens.
	RPM, TPM    int
	BurstWindow time.Duration
	// PerModel enforces RPM and TPM for each requested model separately,
	// as providers do, instead of for the server as a whole.
	PerModel bool

	// Latency delays every response before its headers. With LatencyTail > 0
	// it is the median of a Pareto distribution of that shape (1 < shape;
	// smaller is heavier), capped at 50 times the median.
	Latency     time.Duration
	LatencyTail float64
	// LatencyJitter adds a uniform random delay in [0, LatencyJitter).
	LatencyJitter time.Duration
	// StreamChunkDelay is the pause between streamed events.
	StreamChunkDelay time.Duration
	// Seed makes latency sampling reproducible.
	Seed uint64
	// ModelPrefix labels the served model name ("fake/" serves
	// "fake/claude-x" for claude-x; a requested name that already starts
	// with it is served as it is). Model, when set, wins.
	ModelPrefix string
	// Forget keeps no request after recording its count: Requests returns
	// none, Count and Stats still count. For long-running servers, whose
	// memory would otherwise grow with every request body.
	Forget bool
	// Batch scripts the batch APIs: Anthropic's Message Batches (batch.go)
	// and OpenAI's files and batches (openaibatch.go).
	Batch BatchScript
}

// Fault scripts one reply. Zero fields mean "as normal".
type Fault struct {
	// Status, if neither 0 nor 200, sends an error response with the
	// provider's error body.
	Status int
	// ErrorType and Message fill the error body (defaults per status; for
	// OpenAI "insufficient_quota" makes a quota 429).
	ErrorType, Message string
	// Body replaces the whole response body (malformed JSON, HTML pages).
	Body string
	// RetryAfter is sent as the Retry-After header when non-empty.
	RetryAfter string
	// Header adds response headers.
	Header http.Header
	// Delay waits before the headers (in addition to Options.Latency).
	Delay time.Duration
	// Reset closes the connection without any response.
	Reset bool

	// The fields below shape a 200 reply.

	// ToolArgs replaces the generated tool arguments (may be invalid JSON).
	ToolArgs string
	// Text replaces the default text reply.
	Text string
	// Truncate cuts the tool arguments (or text) midway and stops with
	// max_tokens / length.
	Truncate bool
	// StopReason overrides the stop/finish reason ("refusal",
	// "content_filter", ...).
	StopReason string
	// Empty sends no text and no tool call.
	Empty bool
	// Reasoning adds reasoning text (OpenRouter message.reasoning,
	// Anthropic thinking block).
	Reasoning string
	// ErrorIn200 sends HTTP 200 whose body carries an error object
	// (OpenRouter) with code Status (default 502).
	ErrorIn200 bool
	// StreamError sends an error event after the first content events;
	// Status (default 529 Anthropic, 502 OpenAI) and ErrorType name it.
	StreamError bool
	// StallAfter > 0 stops after that many streamed events (or, for a JSON
	// reply, after half the body) and hangs until the client gives up.
	StallAfter int
	// ResetMidStream closes the connection after the first events.
	ResetMidStream bool
}

// Convenience faults.

// RateLimited is a 429 with the given Retry-After ("" = absent).
func RateLimited(retryAfter string) Fault { return Fault{Status: 429, RetryAfter: retryAfter} }

// QuotaExhausted is OpenAI's non-retryable 429 insufficient_quota.
func QuotaExhausted() Fault { return Fault{Status: 429, ErrorType: "insufficient_quota"} }

// PaymentRequired is OpenRouter's 402 for exhausted credits.
func PaymentRequired() Fault { return Fault{Status: 402} }

// Overloaded is Anthropic's 529 overloaded_error.
func Overloaded() Fault { return Fault{Status: 529} }

// ServerError is a 5xx with the provider's error body.
func ServerError(status int) Fault { return Fault{Status: status} }

// ConnReset closes the connection without a response.
func ConnReset() Fault { return Fault{Reset: true} }

// Fake is the http.Handler behind a fake server; run it with NewOpenAI /
// NewAnthropic in tests or on any listener (cmd/fakellm).
type Fake struct {
	opts    Options
	dialect dialect
	done    chan struct{}
	closing sync.Once

	mu          sync.Mutex
	faults      []Fault
	requests    []Request
	received    int // requests received (Options.Forget keeps no Request)
	rng         *rand.Rand
	reqs        *bucket
	toks        *bucket
	perModel    map[string][2]*bucket // Options.PerModel: by requested model
	limited     int                   // 429s for enforced budgets
	cached      map[string]bool       // Anthropic prompt-cache prefixes seen
	seq         int
	billed      map[string]*Billed
	batches     []*fakeBatch
	batchBilled map[string]*Billed
	files       map[string]*fakeFile // OpenAI files (openaibatch.go)
	retrievals  int                  // batch retrievals answered (BatchScript.RestartAfter)
	downFor     int                  // batch API requests still refused (a scripted restart)
}

// dialect renders one provider's wire format.
type dialect interface {
	path() string
	authorized(h http.Header, key string) bool
	writeError(w http.ResponseWriter, f *Fault, flavor string)
	serve(w http.ResponseWriter, r *http.Request, x *exchange)
	rateHeaders(h http.Header, rl rateState)
	retryAfterMs() bool // whether 429s carry retry-after-ms too
}

func newFake(d dialect, o Options) *Fake {
	f := &Fake{opts: o, dialect: d, done: make(chan struct{}), faults: append([]Fault(nil), o.Faults...),
		rng: rand.New(rand.NewPCG(o.Seed, 0x5eed)), cached: map[string]bool{}}
	b := f.newBuckets()
	f.reqs, f.toks = b[0], b[1]
	return f
}

// Enqueue appends faults to the queue served before Script and defaults.
func (f *Fake) Enqueue(faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, faults...)
}

// Requests returns a copy of every request received so far, in arrival
// order.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Count is the number of requests received so far.
func (f *Fake) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.received
}

// Shutdown releases every stalled handler; call it before closing the
// listener.
func (f *Fake) Shutdown() { f.closing.Do(func() { close(f.done) }) }

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == StatsPath {
		f.serveStats(w)
		return
	}
	body, _ := io.ReadAll(r.Body)
	rec := f.record(r, body)
	if f.serveBatches(w, r, body) {
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != f.dialect.path() {
		f.dialect.writeError(w, &Fault{Status: 404, Message: "unknown path " + r.URL.Path}, f.opts.Flavor)
		return
	}
	if f.opts.APIKey != "" && !f.dialect.authorized(r.Header, f.opts.APIKey) {
		f.dialect.writeError(w, &Fault{Status: 401}, f.opts.Flavor)
		return
	}
	x := &exchange{fake: f, req: rec}
	if !json.Valid(body) {
		f.dialect.writeError(w, &Fault{Status: 400, Message: "request body is not valid JSON"}, f.opts.Flavor)
		return
	}
	_ = json.Unmarshal(body, &x.body)
	if !f.admit(w, x) {
		return
	}
	// Only requests within budget consume a fault or reach Script.
	fault := f.next(rec)
	x.fault = &fault
	if !f.sleep(r, f.latency()+fault.Delay) {
		return
	}
	switch {
	case fault.Reset:
		hangUp(w)
	case fault.Status != 0 && fault.Status != 200 && !fault.ErrorIn200 && !fault.StreamError:
		f.setHeaders(w, &fault)
		f.dialect.writeError(w, &fault, f.opts.Flavor)
	default:
		f.dialect.serve(w, r, x)
	}
}

func (f *Fake) record(r *http.Request, body []byte) Request {
	h := r.Header.Clone()
	for _, k := range []string{"Authorization", "X-Api-Key", "Api-Key"} {
		if h.Get(k) != "" {
			h.Set(k, Redacted)
		}
	}
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: h, Body: body, Time: time.Now()}
	f.mu.Lock()
	f.received++
	if !f.opts.Forget {
		f.requests = append(f.requests, rec)
	}
	f.mu.Unlock()
	return rec
}

func (f *Fake) next(r Request) Fault {
	f.mu.Lock()
	if len(f.faults) > 0 {
		ft := f.faults[0]
		f.faults = f.faults[1:]
		f.mu.Unlock()
		return ft
	}
	f.mu.Unlock()
	if f.opts.Script != nil {
		return f.opts.Script(r)
	}
	return Fault{}
}

func (f *Fake) setHeaders(w http.ResponseWriter, ft *Fault) {
	for k, v := range ft.Header {
		w.Header()[k] = v
	}
	if ft.RetryAfter != "" {
		w.Header().Set("Retry-After", ft.RetryAfter)
	}
}

// latency samples the configured delay before headers.
func (f *Fake) latency() time.Duration {
	base, jitter := f.opts.Latency, f.opts.LatencyJitter
	if (base <= 0 || f.opts.LatencyTail <= 0) && jitter <= 0 {
		return base
	}
	f.mu.Lock()
	u := 1 - f.rng.Float64() // (0, 1]
	j := f.rng.Float64()     // [0, 1)
	f.mu.Unlock()
	d := float64(base)
	if base > 0 && f.opts.LatencyTail > 0 {
		alpha := f.opts.LatencyTail
		xm := d / math.Pow(2, 1/alpha)
		d = min(xm*math.Pow(u, -1/alpha), 50*d)
	}
	return time.Duration(d + j*float64(max(jitter, 0)))
}

// sleep waits d unless the client goes away or the server shuts down.
func (f *Fake) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-f.done:
	}
	return false
}

// stall blocks until the client goes away or the server shuts down.
func (f *Fake) stall(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-f.done:
	case <-time.After(5 * time.Minute):
	}
}

func (f *Fake) nextID() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return f.seq
}

// hangUp closes the connection abruptly (RST), so the client sees a reset.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// Server is a Fake running on an httptest server.
type Server struct {
	*Fake
	HTTP *httptest.Server
	// URL is the API base URL including "/v1", as SDKs expect it.
	URL string
}

func start(f *Fake) *Server {
	ts := httptest.NewServer(f)
	return &Server{Fake: f, HTTP: ts, URL: ts.URL + "/v1"}
}

// Close releases stalled handlers and stops the server.
func (s *Server) Close() {
	s.Shutdown()
	s.HTTP.CloseClientConnections()
	s.HTTP.Close()
}

// NewOpenAI starts a fake OpenAI-compatible server (POST
// /v1/chat/completions). Close it when done.
func NewOpenAI(o Options) *Server { return start(NewOpenAIHandler(o)) }

// NewAnthropic starts a fake Anthropic Messages server (POST /v1/messages).
// Close it when done.
func NewAnthropic(o Options) *Server { return start(NewAnthropicHandler(o)) }

// estimateTokens approximates a token count from text length, as a
// stand-in for a tokenizer (about 4 bytes per token).
func estimateTokens(b []byte) int { return max(1, len(b)/4) }

func compact(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimRight(buf.Bytes(), "\n")
}
