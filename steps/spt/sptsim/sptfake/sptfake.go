// Package sptfake makes the fake provider servers of llm/llmtest answer like
// the SPT-aware sim provider: each reply is computed by the sptsim
// responders from the request as the wire carries it (Anthropic Messages or
// OpenAI chat), seeded by a hash of the request's content (the body without
// transport-only fields such as stream: llmtest.Request.Content), so a
// request gets the same answer online, streaming or not, and in a provider
// batch. The pipeline then sees realistic data from a real HTTP provider:
// stage-1 batches of the asked size, stage-2 answers that sometimes follow
// the B prompt's bias, stage-3 records for exactly the samples sent, reviews
// that sometimes reject. End to end tests and the pipeline benchmark use it.
package sptfake

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"sync"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/llm/sim"
	"github.com/sptflow/sptflow/steps/spt/sptsim"
)

// Stage2 is the kind of a plain (stage-2) request; the other kinds are the
// forced tool names.
const Stage2 = "stage_2_answer"

// Kind classifies a request body: its forced tool, or Stage2.
func Kind(body []byte) string {
	if k := Request(body).ForceTool; k != "" {
		return k
	}
	return Stage2
}

// Script answers requests for llmtest.Options.Script, serving scripted
// faults first. Safe for concurrent use.
type Script struct {
	// Faults are served to the first requests of each kind, one each, in
	// order.
	Faults map[string][]llmtest.Fault
	// VaryRepeats answers the n-th receipt of a request's content with
	// seed n, as a sampling model would: the batches of a stage-1
	// partition (one body, one replica each) then differ. Without it the
	// same content always gets the same answer, whatever order its
	// replicas arrive in and whichever path (online or batch) carries
	// them.
	VaryRepeats bool
	// Sim are the options the responders that take them see (the review
	// rejection rate: 0 means sptsim's default of 10%).
	Sim llm.SimOptions

	mu   sync.Mutex
	seen map[[32]byte]uint64
}

var responders = sptsim.Responders()

// Anthropic answers a Messages request (the forced tool's arguments).
func (s *Script) Anthropic(r llmtest.Request) llmtest.Fault {
	if f, ok := s.fault(r); ok {
		return f
	}
	resp, ok := s.reply(r)
	if !ok || len(resp.ToolCalls) == 0 {
		return llmtest.Fault{}
	}
	return llmtest.Fault{ToolArgs: string(resp.ToolCalls[0].Arguments)}
}

// OpenAI answers a chat request (a stage-2 answer, or the forced tool's
// arguments of a model of another stage served over an OpenAI-compatible
// API; a max-tokens stop as finish_reason length).
func (s *Script) OpenAI(r llmtest.Request) llmtest.Fault {
	if f, ok := s.fault(r); ok {
		return f
	}
	resp, ok := s.reply(r)
	if !ok {
		return llmtest.Fault{}
	}
	f := llmtest.Fault{Text: resp.Text}
	if len(resp.ToolCalls) > 0 {
		f.ToolArgs = string(resp.ToolCalls[0].Arguments)
	}
	if resp.StopReason == llm.StopMaxTokens {
		f.StopReason = "length"
	}
	return f
}

// fault pops the next scripted fault for r's kind.
func (s *Script) fault(r llmtest.Request) (llmtest.Fault, bool) {
	k := Kind(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.Faults[k]) == 0 {
		return llmtest.Fault{}, false
	}
	f := s.Faults[k][0]
	s.Faults[k] = s.Faults[k][1:]
	return f, true
}

// reply computes the sptsim answer to a request.
func (s *Script) reply(r llmtest.Request) (*llm.Response, bool) {
	req := Request(r.Body)
	rs, ok := responders[req.ForceTool]
	if !ok {
		return nil, false
	}
	seed := s.seed(r.Content())
	if or, ok := rs.(sim.OptionsResponder); ok {
		resp, err := or.RespondWithOptions(req, seed, s.Sim)
		return resp, err == nil
	}
	resp, err := rs.Respond(req, seed)
	return resp, err == nil
}

// seed is a request content's hash, varied by its earlier receipts under
// VaryRepeats.
func (s *Script) seed(content []byte) uint64 {
	sum := sha256.Sum256(content)
	seed := binary.BigEndian.Uint64(sum[:8])
	if !s.VaryRepeats {
		return seed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[[32]byte]uint64{}
	}
	n := s.seen[sum]
	s.seen[sum] = n + 1
	return seed ^ n*0x9e3779b97f4a7c15
}

// Request reads an Anthropic Messages or OpenAI chat request body back into
// the llm.Request the responders understand: model, system prompt,
// messages as text, max tokens and forced tool.
func Request(body []byte) *llm.Request {
	var w struct {
		Model               string          `json:"model"`
		System              json.RawMessage `json:"system"`
		MaxTokens           int             `json:"max_tokens"`
		MaxCompletionTokens int             `json:"max_completion_tokens"`
		Messages            []wireMessage   `json:"messages"`
		ToolChoice          json.RawMessage `json:"tool_choice"`
	}
	_ = json.Unmarshal(body, &w)
	req := &llm.Request{Model: w.Model, System: text(w.System), MaxTokens: cmp.Or(w.MaxTokens, w.MaxCompletionTokens)}
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
