package llmtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// NewAnthropicHandler returns the handler of a fake Anthropic Messages API
// (POST /v1/messages). Like the real API it rejects a request without
// anthropic-version or max_tokens, and thinking combined with a forced
// tool.
func NewAnthropicHandler(o Options) *Fake { return newFake(anthropicDialect{}, o) }

type anthropicDialect struct{}

func (anthropicDialect) path() string       { return "/v1/messages" }
func (anthropicDialect) retryAfterMs() bool { return false }

func (anthropicDialect) authorized(h http.Header, key string) bool { return h.Get("X-Api-Key") == key }

func (anthropicDialect) rateHeaders(h http.Header, rs rateState) {
	now := time.Now().UTC()
	reset := func(d time.Duration) string { return now.Add(d).Truncate(time.Second).Format(time.RFC3339) }
	set := func(prefix string, limit, remaining int, d time.Duration) {
		h.Set("Anthropic-Ratelimit-"+prefix+"-Limit", strconv.Itoa(limit))
		h.Set("Anthropic-Ratelimit-"+prefix+"-Remaining", strconv.Itoa(max(0, remaining)))
		h.Set("Anthropic-Ratelimit-"+prefix+"-Reset", reset(d))
	}
	set("Requests", rs.reqLimit, rs.reqRemaining, rs.reqReset)
	set("Tokens", rs.tokLimit, rs.tokRemaining, rs.tokReset)
	set("Input-Tokens", rs.tokLimit, rs.tokRemaining, rs.tokReset)
	set("Output-Tokens", rs.tokLimit/5, rs.tokRemaining/5, rs.tokReset)
	h.Set("Request-Id", fmt.Sprintf("req_fake%08x", now.UnixNano()&0xffffffff))
}

var anthropicErrorTypes = map[int]string{
	400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
	403: "permission_error", 404: "not_found_error", 413: "request_too_large",
	429: "rate_limit_error", 500: "api_error", 504: "timeout_error", 529: "overloaded_error",
}

var anthropicMessages = map[string]string{
	"invalid_request_error": "Invalid request.",
	"authentication_error":  "invalid x-api-key",
	"billing_error":         "Your credit balance is too low to access the Anthropic API.",
	"permission_error":      "Your API key does not have permission to use the specified resource.",
	"not_found_error":       "The requested resource could not be found.",
	"request_too_large":     "Request exceeds the maximum allowed number of bytes.",
	"rate_limit_error":      "This request would exceed the rate limit for your organization.",
	"api_error":             "Internal server error",
	"timeout_error":         "Request timed out",
	"overloaded_error":      "Overloaded",
}

// anthropicError returns the status and body of an error fault. An
// "insufficient_quota" fault becomes the real API's 400 "credit balance is
// too low".
func anthropicError(f *Fault) (int, []byte) {
	status, typ, msg := f.Status, f.ErrorType, f.Message
	if typ == "insufficient_quota" {
		status, typ = 400, "invalid_request_error"
		if msg == "" {
			msg = "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."
		}
	}
	if typ == "" || typ == "requests" || typ == "tokens" {
		typ = anthropicErrorTypes[status]
	}
	if typ == "" {
		typ = "api_error"
	}
	if msg == "" {
		msg = anthropicMessages[typ]
	}
	if f.Body != "" {
		return status, []byte(f.Body)
	}
	return status, compact(map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg},
		"request_id": "req_fake"})
}

func (anthropicDialect) writeError(w http.ResponseWriter, f *Fault, _ string) {
	status, body := anthropicError(f)
	writeJSON(w, status, body)
}

// block is one content block of a reply.
type block struct {
	typ   string // text, tool_use, thinking
	text  string // text, thinking, or the tool input JSON
	name  string
	trunc bool // tool input cut by max_tokens
}

type anthropicReply struct {
	blocks []block
	stop   string
}

// validate mirrors the real API's checks that matter to clients.
func (anthropicDialect) validate(x *exchange) string {
	think, _ := x.body["thinking"].(map[string]any)
	tc, _ := x.body["tool_choice"].(map[string]any)
	switch {
	case x.req.Header.Get("Anthropic-Version") == "":
		return "anthropic-version: header is required"
	case x.maxTokens() <= 0:
		return "max_tokens: Field required"
	case think["type"] == "enabled" && (tc["type"] == "tool" || tc["type"] == "any"):
		return "Thinking may not be enabled when tool_choice forces tool use."
	case think["type"] == "enabled" && int(asFloat(think["budget_tokens"])) >= x.maxTokens():
		return "max_tokens must be greater than thinking.budget_tokens"
	}
	return validateTools(x.body["tools"])
}

// validateTools refuses, as the real API does, a tool whose input_schema
// is not of type object.
func validateTools(v any) string {
	tools, _ := v.([]any)
	for i, t := range tools {
		m, _ := t.(map[string]any)
		schema, _ := m["input_schema"].(map[string]any)
		if schema["type"] != "object" {
			return fmt.Sprintf("tools.%d.custom.input_schema.type: Input should be 'object'", i)
		}
	}
	return ""
}

func asFloat(v any) float64 { f, _ := v.(float64); return f }

func (anthropicDialect) reply(x *exchange) anthropicReply {
	r := anthropicReply{stop: "end_turn"}
	if think, _ := x.body["thinking"].(map[string]any); think["type"] == "enabled" || x.fault.Reasoning != "" {
		t := x.fault.Reasoning
		if t == "" {
			t = "Let me think about this step by step. " + lorem[x.seed()%uint64(len(lorem))]
		}
		r.blocks = append(r.blocks, block{typ: "thinking", text: t})
	}
	name, schema := anthropicForcedTool(x.body)
	switch {
	case x.fault.Empty:
		r.blocks = nil
	case name != "":
		r.blocks = append(r.blocks, block{typ: "tool_use", name: name, text: x.toolArgs(schema)})
		r.stop = "tool_use"
	default:
		r.blocks = append(r.blocks, block{typ: "text", text: x.text()})
	}
	if x.fault.Truncate && len(r.blocks) > 0 {
		last := &r.blocks[len(r.blocks)-1]
		last.text, last.trunc, r.stop = cut(last.text), last.typ == "tool_use", "max_tokens"
	}
	if x.fault.StopReason != "" {
		r.stop = x.fault.StopReason
	}
	return r
}

func anthropicForcedTool(body map[string]any) (string, any) {
	tc, _ := body["tool_choice"].(map[string]any)
	want, _ := tc["name"].(string)
	if tc["type"] != "tool" && tc["type"] != "any" {
		return "", nil
	}
	tools, _ := body["tools"].([]any)
	for _, t := range tools {
		m, _ := t.(map[string]any)
		if name, _ := m["name"].(string); want == "" || name == want {
			return name, m["input_schema"]
		}
	}
	return "", nil
}

// usage counts tokens; a system prompt marked cache_control is written to
// the cache the first time and read from it afterwards.
func (x *exchange) anthropicUsage(r anthropicReply) map[string]any {
	total := estimateTokens(x.content())
	write, read := 0, 0
	if sys, ok := x.body["system"].([]any); ok && hasCacheControl(sys) {
		raw, _ := json.Marshal(sys)
		n := min(estimateTokens(raw), total-1)
		key := fmt.Sprintf("%x", sha256.Sum256(raw))
		x.fake.mu.Lock()
		if x.fake.cached[key] {
			read = n
		} else {
			x.fake.cached[key], write = true, n
		}
		x.fake.mu.Unlock()
	}
	out := 0
	for _, b := range r.blocks {
		out += len(b.text)
	}
	return map[string]any{"input_tokens": total - write - read, "cache_creation_input_tokens": write,
		"cache_read_input_tokens": read, "output_tokens": max(1, out/4), "service_tier": "standard"}
}

func hasCacheControl(blocks []any) bool {
	for _, b := range blocks {
		if m, _ := b.(map[string]any); m["cache_control"] != nil {
			return true
		}
	}
	return false
}

func (d anthropicDialect) serve(w http.ResponseWriter, r *http.Request, x *exchange) {
	if msg := d.validate(x); msg != "" {
		d.writeError(w, &Fault{Status: 400, Message: msg}, "")
		return
	}
	x.fake.setHeaders(w, x.fault)
	if x.fault.Body != "" {
		writeJSON(w, 200, []byte(x.fault.Body))
		return
	}
	id := x.fake.nextID()
	rep := d.reply(x)
	usage := x.anthropicUsage(rep)
	if x.stream() {
		d.stream(w, r, x, id, rep, usage)
		return
	}
	content := make([]any, 0, len(rep.blocks))
	for i, b := range rep.blocks {
		content = append(content, blockJSON(b, id, i, true))
	}
	msg := messageJSON(x, id, content, rep.stop, usage)
	raw := spliceRaw(compact(msg), rep)
	if x.fault.StallAfter > 0 {
		x.writeStalling(w, r, raw)
		return
	}
	writeJSON(w, 200, raw)
	if json.Valid(raw) {
		x.billAnthropic(usage)
	}
}

// billAnthropic bills a reply written whole with its usage.
func (x *exchange) billAnthropic(u map[string]any) {
	n := func(k string) int { v, _ := u[k].(int); return v }
	x.bill(n("input_tokens"), n("output_tokens"), n("cache_read_input_tokens"), n("cache_creation_input_tokens"))
}

func messageJSON(x *exchange, id int, content []any, stop any, usage map[string]any) map[string]any {
	return map[string]any{"id": fmt.Sprintf("msg_fake%06d", id), "type": "message", "role": "assistant",
		"model": x.model(), "content": content, "stop_reason": stop, "stop_sequence": nil, "usage": usage}
}

// blockJSON renders a block; full=false renders the empty start block of
// a stream.
func blockJSON(b block, id, i int, full bool) any {
	switch b.typ {
	case "thinking":
		t, sig := b.text, "c2lnbmF0dXJl"
		if !full {
			t, sig = "", ""
		}
		return map[string]any{"type": "thinking", "thinking": t, "signature": sig}
	case "tool_use":
		var input any = json.RawMessage("{}")
		switch {
		case full && !b.trunc && json.Valid([]byte(b.text)):
			input = json.RawMessage(b.text)
		case full && !b.trunc:
			input = rawPlaceholder // spliced in verbatim: a malformed body
		}
		return map[string]any{"type": "tool_use", "id": fmt.Sprintf("toolu_fake%06d_%d", id, i), "name": b.name, "input": input}
	}
	t := b.text
	if !full {
		t = ""
	}
	return map[string]any{"type": "text", "text": t}
}

func (d anthropicDialect) stream(w http.ResponseWriter, r *http.Request, x *exchange, id int, rep anthropicReply, usage map[string]any) {
	streamHeaders(w.Header())
	w.WriteHeader(200)
	s := &sse{w: w, delay: x.fake.opts.StreamChunkDelay}
	ev := func(typ string, m map[string]any) {
		m["type"] = typ
		s.event(typ, compact(m))
	}
	startUsage := map[string]any{}
	for k, v := range usage {
		startUsage[k] = v
	}
	startUsage["output_tokens"] = 1
	ev("message_start", map[string]any{"message": messageJSON(x, id, []any{}, nil, startUsage)})
	events := d.contentEvents(rep, id)
	for i := 0; i <= len(events); i++ {
		if x.interrupt(w, r, s, i, len(events)) {
			if x.fault.StreamError {
				_, body := anthropicError(&Fault{Status: orDefault(x.fault.Status, 529), ErrorType: x.fault.ErrorType, Message: x.fault.Message})
				s.event("error", body)
			}
			return
		}
		if i < len(events) {
			ev(events[i].typ, events[i].data)
		}
		if i == 0 {
			ev("ping", map[string]any{})
		}
	}
	ev("message_delta", map[string]any{"delta": map[string]any{"stop_reason": rep.stop, "stop_sequence": nil},
		"usage": map[string]any{"output_tokens": usage["output_tokens"]}})
	ev("message_stop", map[string]any{})
	x.billAnthropic(usage)
}

func orDefault(v, d int) int {
	if v == 0 || v == 200 {
		return d
	}
	return v
}

type sseEvent struct {
	typ  string
	data map[string]any
}

func (anthropicDialect) contentEvents(rep anthropicReply, id int) []sseEvent {
	var out []sseEvent
	for i, b := range rep.blocks {
		out = append(out, sseEvent{"content_block_start", map[string]any{"index": i, "content_block": blockJSON(b, id, i, false)}})
		for _, p := range chunks(b.text, 5) {
			var delta map[string]any
			switch b.typ {
			case "thinking":
				delta = map[string]any{"type": "thinking_delta", "thinking": p}
			case "tool_use":
				delta = map[string]any{"type": "input_json_delta", "partial_json": p}
			default:
				delta = map[string]any{"type": "text_delta", "text": p}
			}
			out = append(out, sseEvent{"content_block_delta", map[string]any{"index": i, "delta": delta}})
		}
		if b.typ == "thinking" {
			out = append(out, sseEvent{"content_block_delta", map[string]any{"index": i,
				"delta": map[string]any{"type": "signature_delta", "signature": "c2lnbmF0dXJl"}}})
		}
		out = append(out, sseEvent{"content_block_stop", map[string]any{"index": i}})
	}
	return out
}

// rawPlaceholder marks where invalid tool input is spliced into a JSON
// reply verbatim.
const rawPlaceholder = "\x00raw-tool-input\x00"

func spliceRaw(body []byte, rep anthropicReply) []byte {
	ph := compact(rawPlaceholder)
	for _, b := range rep.blocks {
		if b.typ == "tool_use" && bytes.Contains(body, ph) {
			return bytes.Replace(body, ph, []byte(b.text), 1)
		}
	}
	return body
}
