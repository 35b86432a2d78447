package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/spt/sptsim"
)

// The fake servers answer like the SPT-aware sim provider: each reply is
// computed by the steps/spt/sptsim responders from the request as the wire
// carries it, seeded by a hash of the request body, so the same request
// always gets the same answer (from any server instance) and the pipeline
// sees realistic data: stage-1 batches of the asked size, stage-2 answers
// that sometimes follow the B prompt's bias, stage-3 records for exactly
// the samples sent, reviews that sometimes reject.

// kind classifies a request for counting and kill triggers.
type kind string

const (
	stage1 kind = spt.Stage1ToolName
	stage2 kind = "stage_2_answer"
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
	// varyRepeats answers the n-th receipt of a body with seed n, as a
	// sampling model would: the batches of a stage-1 partition (one body,
	// one replica each) then differ. Without it the same body always gets
	// the same answer, whatever order replicas arrive in, which the
	// comparisons with an uninterrupted run need.
	varyRepeats bool
}

// newFakes starts the servers and points p's providers at them.
func newFakes(t *testing.T, p *project, o fakeOptions) *fakes {
	t.Helper()
	s := &script{faults: o.faults, vary: o.varyRepeats, seen: map[[32]byte]uint64{}}
	f := &fakes{
		anthropic: newTracker(t, llmtest.NewAnthropicHandler(llmtest.Options{APIKey: "test-anthropic-key",
			Latency: o.latency, Script: s.anthropic})),
		openrouter: newTracker(t, llmtest.NewOpenAIHandler(llmtest.Options{APIKey: "test-openrouter-key",
			Flavor: "openrouter", Latency: o.latency, Script: s.openrouter})),
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
	frozen := tr.frozen
	tr.mu.Unlock()
	if frozen {
		<-r.Context().Done() // held until the killed client's connection closes
		return
	}
	tr.h.ServeHTTP(w, r)
	tr.mu.Lock()
	rec.answered = !tr.killed
	tr.mu.Unlock()
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
	req := wireRequest(body)
	k := kind(req.ForceTool)
	if k == "" {
		k = stage2
	}
	user := ""
	if len(req.Messages) > 0 {
		user = req.Messages[0].Content
	}
	return &received{kind: k, body: sha256.Sum256(body), model: req.Model, user: user, raw: body}
}

// wireRequest reads an Anthropic Messages or OpenAI chat request body back
// into the llm.Request the responders understand.
func wireRequest(body []byte) *llm.Request {
	var w struct {
		Model      string          `json:"model"`
		System     json.RawMessage `json:"system"`
		MaxTokens  int             `json:"max_tokens"`
		Messages   []wireMessage   `json:"messages"`
		ToolChoice json.RawMessage `json:"tool_choice"`
	}
	_ = json.Unmarshal(body, &w)
	req := &llm.Request{Model: w.Model, System: text(w.System), MaxTokens: w.MaxTokens}
	for _, m := range w.Messages {
		if m.Role == "system" {
			req.System = text(m.Content)
			continue
		}
		req.Messages = append(req.Messages, llm.Message{Role: llm.Role(m.Role), Content: text(m.Content)})
	}
	var tc struct {
		Name     string `json:"name"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	_ = json.Unmarshal(w.ToolChoice, &tc)
	req.ForceTool = tc.Name + tc.Function.Name
	return req
}

type wireMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// text is a string, or the concatenated text of a list of content blocks.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var blocks []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &blocks)
	var b bytes.Buffer
	for _, bl := range blocks {
		b.WriteString(bl.Text)
	}
	return b.String()
}

var responders = sptsim.Responders()

// reply computes the sptsim answer to a recorded request.
func reply(r llmtest.Request, seed uint64) (*llm.Response, bool) {
	req := wireRequest(r.Body)
	rs, ok := responders[req.ForceTool]
	if !ok {
		return nil, false
	}
	resp, err := rs.Respond(req, seed)
	return resp, err == nil
}

// script answers requests, serving the scripted faults first.
type script struct {
	mu     sync.Mutex
	faults map[kind][]llmtest.Fault
	vary   bool
	seen   map[[32]byte]uint64
}

// seed is the responders' seed for a body: its hash, varied by the number
// of earlier receipts when vary is set.
func (s *script) seed(body []byte) uint64 {
	sum := sha256.Sum256(body)
	seed := binary.BigEndian.Uint64(sum[:8])
	if !s.vary {
		return seed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.seen[sum]
	s.seen[sum] = n + 1
	return seed ^ n*0x9e3779b97f4a7c15
}

// fault pops the next scripted fault for r's kind.
func (s *script) fault(r llmtest.Request) (llmtest.Fault, bool) {
	k := describe(r.Body).kind
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults[k]) == 0 {
		return llmtest.Fault{}, false
	}
	f := s.faults[k][0]
	s.faults[k] = s.faults[k][1:]
	return f, true
}

func (s *script) anthropic(r llmtest.Request) llmtest.Fault {
	if f, ok := s.fault(r); ok {
		return f
	}
	resp, ok := reply(r, s.seed(r.Body))
	if !ok || len(resp.ToolCalls) == 0 {
		return llmtest.Fault{}
	}
	return llmtest.Fault{ToolArgs: string(resp.ToolCalls[0].Arguments)}
}

func (s *script) openrouter(r llmtest.Request) llmtest.Fault {
	if f, ok := s.fault(r); ok {
		return f
	}
	resp, ok := reply(r, s.seed(r.Body))
	if !ok {
		return llmtest.Fault{}
	}
	f := llmtest.Fault{Text: resp.Text}
	if resp.StopReason == llm.StopMaxTokens {
		f.StopReason = "length"
	}
	return f
}
