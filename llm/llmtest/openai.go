package llmtest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// NewOpenAIHandler returns the handler of a fake OpenAI-compatible chat
// completions API (POST /v1/chat/completions).
func NewOpenAIHandler(o Options) *Fake {
	return newFake(&openaiDialect{openrouter: o.Flavor == "openrouter"}, o)
}

type openaiDialect struct{ openrouter bool }

func (d *openaiDialect) path() string       { return "/v1/chat/completions" }
func (d *openaiDialect) retryAfterMs() bool { return !d.openrouter }

func (d *openaiDialect) authorized(h http.Header, key string) bool {
	return h.Get("Authorization") == "Bearer "+key
}

func (d *openaiDialect) rateHeaders(h http.Header, rs rateState) {
	if d.openrouter {
		h.Set("X-RateLimit-Limit", strconv.Itoa(rs.reqLimit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(rs.reqRemaining))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(rs.reqReset).UnixMilli(), 10))
		return
	}
	h.Set("X-Ratelimit-Limit-Requests", strconv.Itoa(rs.reqLimit))
	h.Set("X-Ratelimit-Remaining-Requests", strconv.Itoa(rs.reqRemaining))
	h.Set("X-Ratelimit-Reset-Requests", rs.reqReset.Round(time.Millisecond).String())
	h.Set("X-Ratelimit-Limit-Tokens", strconv.Itoa(rs.tokLimit))
	h.Set("X-Ratelimit-Remaining-Tokens", strconv.Itoa(max(0, rs.tokRemaining)))
	h.Set("X-Ratelimit-Reset-Tokens", rs.tokReset.Round(time.Millisecond).String())
}

// openaiErrorBody renders the error body of the flavor for a status.
func openaiErrorBody(f *Fault, openrouter bool) []byte {
	if f.Body != "" {
		return []byte(f.Body)
	}
	typ, code, msg := openaiErrorDefaults(f.Status, f.ErrorType)
	if f.Message != "" {
		msg = f.Message
	}
	if openrouter {
		status := f.Status
		if typ == "insufficient_quota" {
			status, msg = 402, "Insufficient credits. Add more using https://openrouter.ai/credits"
		}
		return compact(map[string]any{"error": map[string]any{"code": status, "message": msg,
			"metadata": map[string]any{"provider_name": "FakeProvider"}}})
	}
	return compact(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": code}})
}

func openaiErrorDefaults(status int, errType string) (typ string, code any, msg string) {
	switch {
	case errType == "insufficient_quota":
		return errType, errType, "You exceeded your current quota, please check your plan and billing details."
	case status == 429:
		kind := "requests"
		if errType == "tokens" {
			kind = errType
		}
		return kind, "rate_limit_exceeded", "Rate limit reached for " + kind + " per min. Please try again later."
	case status == 401:
		return "invalid_request_error", "invalid_api_key", "Incorrect API key provided."
	case status == 402:
		return "insufficient_quota", "insufficient_quota", "Insufficient credits."
	case status == 404:
		return "invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it."
	case status >= 500:
		return "server_error", nil, "The server had an error while processing your request. Sorry about that!"
	}
	if errType == "" {
		errType = "invalid_request_error"
	}
	return errType, nil, "Invalid request."
}

func (d *openaiDialect) writeError(w http.ResponseWriter, f *Fault, _ string) {
	writeJSON(w, f.Status, openaiErrorBody(f, d.openrouter))
}

// openaiReply is what the model "said".
type openaiReply struct {
	content   *string
	reasoning string
	toolName  string
	toolArgs  string
	finish    string
	refusal   *string
}

func (d *openaiDialect) reply(x *exchange) openaiReply {
	r := openaiReply{finish: "stop", reasoning: x.fault.Reasoning}
	name, schema := openaiForcedTool(x.body)
	switch {
	case x.fault.Empty:
		empty := ""
		r.content = &empty
	case name != "":
		r.toolName, r.toolArgs, r.finish = name, x.toolArgs(schema), "tool_calls"
	case jsonSchemaFormat(x.body) != nil:
		s := x.toolArgs(jsonSchemaFormat(x.body))
		r.content = &s
	default:
		s := x.text()
		r.content = &s
	}
	if x.fault.Truncate {
		r.finish = "length"
		r.toolArgs = cut(r.toolArgs)
		if r.content != nil {
			s := cut(*r.content)
			r.content = &s
		}
	}
	if x.fault.StopReason != "" {
		r.finish = x.fault.StopReason
		if r.finish == "refusal" || r.finish == "content_filter" {
			msg := "I can't help with that."
			r.refusal, r.content, r.toolName = &msg, nil, ""
		}
	}
	return r
}

// openaiForcedTool returns the tool the request forces ("required" picks
// the first) and its parameter schema.
func openaiForcedTool(body map[string]any) (string, any) {
	tools, _ := body["tools"].([]any)
	want := ""
	switch tc := body["tool_choice"].(type) {
	case map[string]any:
		fn, _ := tc["function"].(map[string]any)
		want, _ = fn["name"].(string)
	case string:
		if tc != "required" {
			return "", nil
		}
	default:
		return "", nil
	}
	for _, t := range tools {
		fn, _ := t.(map[string]any)["function"].(map[string]any)
		if name, _ := fn["name"].(string); want == "" || name == want {
			return name, fn["parameters"]
		}
	}
	return "", nil
}

func jsonSchemaFormat(body map[string]any) any {
	rf, _ := body["response_format"].(map[string]any)
	if rf["type"] != "json_schema" {
		return nil
	}
	js, _ := rf["json_schema"].(map[string]any)
	return js["schema"]
}

func (d *openaiDialect) usage(x *exchange, r openaiReply) map[string]any {
	out := len(r.toolArgs) + len(r.reasoning)
	if r.content != nil {
		out += len(*r.content)
	}
	in, outTok := estimateTokens(x.content()), max(1, out/4)
	u := map[string]any{"prompt_tokens": in, "completion_tokens": outTok, "total_tokens": in + outTok,
		"prompt_tokens_details":     map[string]any{"cached_tokens": 0},
		"completion_tokens_details": map[string]any{"reasoning_tokens": len(r.reasoning) / 4},
	}
	if d.openrouter {
		u["cost"] = float64(in)*0.000001 + float64(outTok)*0.000004
	}
	return u
}

func (d *openaiDialect) envelope(x *exchange, id int, object string) map[string]any {
	m := map[string]any{"id": fmt.Sprintf("chatcmpl-fake%06d", id), "object": object,
		"created": time.Now().Unix(), "model": x.model(), "system_fingerprint": "fp_fake"}
	if d.openrouter {
		m["provider"] = "FakeProvider"
	}
	return m
}

func (d *openaiDialect) serve(w http.ResponseWriter, r *http.Request, x *exchange) {
	x.fake.setHeaders(w, x.fault)
	id := x.fake.nextID()
	if x.fault.ErrorIn200 {
		d.serveError200(w, x, id)
		return
	}
	if x.fault.Body != "" {
		writeJSON(w, 200, []byte(x.fault.Body))
		return
	}
	rep := d.reply(x)
	if x.stream() {
		d.stream(w, r, x, id, rep)
		return
	}
	msg := map[string]any{"role": "assistant", "content": rep.content, "refusal": rep.refusal}
	if rep.toolName != "" {
		msg["tool_calls"] = []any{map[string]any{"id": fmt.Sprintf("call_fake%06d", id), "type": "function",
			"function": map[string]any{"name": rep.toolName, "arguments": rep.toolArgs}}}
	}
	if d.openrouter {
		msg["reasoning"] = nullable(rep.reasoning)
	} else if rep.reasoning != "" {
		msg["reasoning_content"] = rep.reasoning
	}
	body := d.envelope(x, id, "chat.completion")
	body["choices"] = []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": rep.finish}}
	usage := d.usage(x, rep)
	body["usage"] = usage
	raw := compact(body)
	if x.fault.StallAfter > 0 {
		x.writeStalling(w, r, raw)
		return
	}
	if x.fault.ResetMidStream {
		w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
		w.WriteHeader(200)
		_, _ = w.Write(raw[:len(raw)/2])
		w.(http.Flusher).Flush()
		hangUp(w)
		return
	}
	writeJSON(w, 200, raw)
	billOpenAI(x, usage)
}

// billOpenAI bills a reply written whole with its usage.
func billOpenAI(x *exchange, u map[string]any) {
	in, _ := u["prompt_tokens"].(int)
	out, _ := u["completion_tokens"].(int)
	x.bill(in, out, 0, 0)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (d *openaiDialect) serveError200(w http.ResponseWriter, x *exchange, id int) {
	code := x.fault.Status
	if code == 0 || code == 200 {
		code = 502
	}
	msg := x.fault.Message
	if msg == "" {
		msg = "Provider returned error"
	}
	body := d.envelope(x, id, "chat.completion")
	body["choices"] = []any{}
	body["error"] = map[string]any{"code": code, "message": msg, "metadata": map[string]any{"provider_name": "FakeProvider"}}
	if x.stream() {
		streamHeaders(w.Header())
		w.WriteHeader(200)
		(&sse{w: w}).event("", compact(body))
		return
	}
	writeJSON(w, 200, compact(body))
}

func (d *openaiDialect) stream(w http.ResponseWriter, r *http.Request, x *exchange, id int, rep openaiReply) {
	streamHeaders(w.Header())
	w.WriteHeader(200)
	s := &sse{w: w, delay: x.fake.opts.StreamChunkDelay}
	chunk := func(delta map[string]any, finish any) {
		c := d.envelope(x, id, "chat.completion.chunk")
		c["choices"] = []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}
		s.event("", compact(c))
	}
	if d.openrouter {
		s.comment("OPENROUTER PROCESSING")
	}
	chunk(map[string]any{"role": "assistant", "content": ""}, nil)
	parts := d.parts(rep, id)
	for i := 0; i <= len(parts); i++ {
		if x.interrupt(w, r, s, i, len(parts)) {
			if x.fault.StreamError {
				d.streamError(s, x, id)
			}
			return
		}
		if i < len(parts) {
			chunk(parts[i], nil)
		}
	}
	chunk(map[string]any{}, rep.finish)
	usage := d.usage(x, rep)
	if opts, _ := x.body["stream_options"].(map[string]any); opts["include_usage"] == true || d.openrouter {
		c := d.envelope(x, id, "chat.completion.chunk")
		c["choices"] = []any{}
		c["usage"] = usage
		s.event("", compact(c))
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	s.flush()
	billOpenAI(x, usage)
}

// parts are the streamed deltas of a reply.
func (d *openaiDialect) parts(rep openaiReply, id int) []map[string]any {
	var out []map[string]any
	for _, p := range chunks(rep.reasoning, 3) {
		key := "reasoning_content"
		if d.openrouter {
			key = "reasoning"
		}
		out = append(out, map[string]any{key: p})
	}
	if rep.refusal != nil {
		out = append(out, map[string]any{"refusal": *rep.refusal})
	}
	if rep.content != nil {
		for _, p := range chunks(*rep.content, 4) {
			out = append(out, map[string]any{"content": p})
		}
	}
	if rep.toolName != "" {
		out = append(out, map[string]any{"tool_calls": []any{map[string]any{"index": 0,
			"id": fmt.Sprintf("call_fake%06d", id), "type": "function",
			"function": map[string]any{"name": rep.toolName, "arguments": ""}}}})
		for _, p := range chunks(rep.toolArgs, 6) {
			out = append(out, map[string]any{"tool_calls": []any{map[string]any{"index": 0,
				"function": map[string]any{"arguments": p}}}})
		}
	}
	return out
}

func (d *openaiDialect) streamError(s *sse, x *exchange, id int) {
	code := x.fault.Status
	if code == 0 || code == 200 {
		code = 502
	}
	msg := x.fault.Message
	if msg == "" {
		msg = "Provider returned error"
	}
	c := d.envelope(x, id, "chat.completion.chunk")
	c["error"] = map[string]any{"code": code, "message": msg}
	c["choices"] = []any{map[string]any{"index": 0, "delta": map[string]any{"content": ""}, "finish_reason": "error"}}
	s.event("", compact(c))
}

// interrupt applies the mid-stream faults before content event i of n
// (i == n is the end of the content): it returns true when the stream must
// end here (after a stall, a reset, or where an error event goes, which is
// after the first content event).
func (x *exchange) interrupt(w http.ResponseWriter, r *http.Request, s *sse, i, n int) bool {
	f := x.fault
	switch {
	case f.StallAfter > 0 && s.n >= f.StallAfter:
		x.fake.stall(r)
		return true
	case f.ResetMidStream && i == min(1, n):
		hangUp(w)
		return true
	case f.StreamError && i == min(1, n):
		return true
	}
	return false
}
