package e2e

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/spt/sptsim/sptfake"
)

// The fake servers answer through sptfake (the sptsim responders, seeded by
// a hash of the request body), so the same request gets the same answer
// from any server instance.

// kind classifies a request for counting and kill triggers.
type kind string

const (
	stage1 kind = spt.Stage1ToolName
	stage2 kind = sptfake.Stage2
	stage3 kind = spt.Stage3GenerationToolName
	review kind = spt.Stage3ReviewToolName
)

// fakes are the two fake providers of the full pipeline.
type fakes struct {
	anthropic, openrouter *tracker
}

// fakeOptions shape both servers: latency, and faults served to the first
// requests of each kind, one each, in order.
type fakeOptions struct {
	latency time.Duration
	faults  map[kind][]llmtest.Fault
	// varyRepeats: see sptfake.Script.VaryRepeats. The comparisons with an
	// uninterrupted run need it off.
	varyRepeats bool
}

// newFakes starts the servers and points p's providers at them.
func newFakes(t *testing.T, p *project, o fakeOptions) *fakes {
	t.Helper()
	s := &sptfake.Script{Faults: map[string][]llmtest.Fault{}, VaryRepeats: o.varyRepeats}
	for k, fs := range o.faults {
		s.Faults[string(k)] = fs
	}
	f := &fakes{
		anthropic: newTracker(t, llmtest.NewAnthropicHandler(llmtest.Options{APIKey: "test-anthropic-key",
			Latency: o.latency, Script: s.Anthropic})),
		openrouter: newTracker(t, llmtest.NewOpenAIHandler(llmtest.Options{APIKey: "test-openrouter-key",
			Flavor: "openrouter", Latency: o.latency, Script: s.OpenAI})),
	}
	p.env = append(p.env,
		"SPTFLOW_TEST_BASE_URL_ANTHROPIC="+f.anthropic.url, "ANTHROPIC_API_KEY=test-anthropic-key",
		"SPTFLOW_TEST_BASE_URL_OPENROUTER="+f.openrouter.url, "OPENROUTER_API_KEY=test-openrouter-key")
	return f
}

// all is every request both servers received, in arrival order per server.
func (f *fakes) all() []received {
	return append(f.anthropic.requests(), f.openrouter.requests()...)
}

// count returns the requests of kind k received so far.
func (f *fakes) count(k kind) int {
	n := 0
	for _, r := range f.all() {
		if r.kind == k {
			n++
		}
	}
	return n
}

// received is one request as the tracker saw it.
type received struct {
	kind     kind
	body     [32]byte // SHA-256 of the body
	model    string
	user     string // the first user message
	answered bool   // the server wrote its whole reply before the client was killed
	raw      []byte
}

// tracker wraps a fake server's handler: it records each request's kind and
// body digest, whether it was answered, and can freeze (hold every request
// not yet answered until the client goes away) when a trigger fires.
type tracker struct {
	h   http.Handler
	url string

	mu      sync.Mutex
	reqs    []*received
	frozen  bool
	killed  bool
	trigger func(r *received, n int) bool // n: requests of r.kind so far
	fired   chan struct{}
	// release, when set, ends the freeze of the requests held so far: they
	// are answered (see hold).
	release chan struct{}
	held    int // requests held now
	serving int // requests being answered now
}

func newTracker(t *testing.T, h *llmtest.Fake) *tracker {
	tr := &tracker{h: h}
	srv := httptest.NewServer(tr)
	tr.url = srv.URL + "/v1"
	t.Cleanup(func() {
		h.Shutdown()
		srv.CloseClientConnections()
		srv.Close()
	})
	return tr
}

// freezeWhen arms the tracker: when trigger returns true for an arriving
// request, that request and every later one are held unanswered, and fired
// is closed.
func (tr *tracker) freezeWhen(fired chan struct{}, trigger func(r *received, n int) bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.trigger, tr.fired = trigger, fired
}

// freeze holds every request not yet answered from now on.
func (tr *tracker) freeze() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.frozen = true
}

// thaw lets requests through again.
func (tr *tracker) thaw() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.frozen, tr.killed, tr.trigger = false, false, nil
}

func (tr *tracker) requests() []received {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := make([]received, len(tr.reqs))
	for i, r := range tr.reqs {
		out[i] = *r
	}
	return out
}

func (tr *tracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := describe(body)
	tr.mu.Lock()
	tr.reqs = append(tr.reqs, rec)
	if tr.trigger != nil && !tr.frozen {
		n := 0
		for _, x := range tr.reqs {
			if x.kind == rec.kind {
				n++
			}
		}
		if tr.trigger(rec, n) {
			tr.frozen = true
			close(tr.fired)
		}
	}
	frozen, release := tr.frozen, tr.release
	if frozen {
		tr.held++
	}
	tr.mu.Unlock()
	if frozen && !tr.wait(r, release) {
		return
	}
	tr.mu.Lock()
	tr.serving++
	tr.mu.Unlock()
	tr.h.ServeHTTP(w, r)
	tr.mu.Lock()
	rec.answered = !tr.killed
	tr.serving--
	tr.mu.Unlock()
}

// wait holds a request until the client's connection closes (false) or
// release is closed (true; nil never is).
func (tr *tracker) wait(r *http.Request, release chan struct{}) bool {
	defer func() {
		tr.mu.Lock()
		tr.held--
		tr.mu.Unlock()
	}()
	select {
	case <-r.Context().Done():
		return false
	case <-release:
		return true
	}
}

// hold holds every request from now on, unanswered, until releaseHeld.
func (tr *tracker) hold() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.frozen, tr.release = true, make(chan struct{})
}

// releaseHeld answers the held requests, and every later one.
func (tr *tracker) releaseHeld() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.frozen = false
	close(tr.release)
	tr.release = nil
}

// busy returns how many requests are held and how many being answered.
func (tr *tracker) busy() (held, serving int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.held, tr.serving
}

// markKilled records that the client is about to be killed: replies
// finished from now on count as unanswered.
func (tr *tracker) markKilled() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.killed = true
}

// describe classifies a request body.
func describe(body []byte) *received {
	req := sptfake.Request(body)
	k := kind(sptfake.Kind(body))
	user := ""
	if len(req.Messages) > 0 {
		user = req.Messages[0].Content
	}
	return &received{kind: k, body: sha256.Sum256(body), model: req.Model, user: user, raw: body}
}
