package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/sptflow/sptflow/llm"
)

// chatRequest is the part of the request go-openai expresses itself.
// Sampling parameters and the token limit are patched into the body
// instead, because go-openai omits zero values and validates the token
// field against model names.
func (p *Provider) chatRequest(req *llm.Request) goopenai.ChatCompletionRequest {
	cr := goopenai.ChatCompletionRequest{Model: req.Model}
	if req.System != "" {
		cr.Messages = append(cr.Messages, goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleSystem, Content: req.System})
	}
	for _, m := range req.Messages {
		cr.Messages = append(cr.Messages, goopenai.ChatCompletionMessage{Role: string(m.Role), Content: m.Content})
	}
	for _, t := range req.Tools {
		cr.Tools = append(cr.Tools, goopenai.Tool{Type: goopenai.ToolTypeFunction, Function: &goopenai.FunctionDefinition{
			Name: t.Name, Description: t.Description, Parameters: t.InputSchema}})
	}
	if req.ForceTool != "" {
		cr.ToolChoice = goopenai.ToolChoice{Type: goopenai.ToolTypeFunction, Function: goopenai.ToolFunction{Name: req.ForceTool}}
	}
	if len(req.JSONSchema) > 0 {
		cr.ResponseFormat = &goopenai.ChatCompletionResponseFormat{
			Type: goopenai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &goopenai.ChatCompletionResponseFormatJSONSchema{
				Name: "response", Schema: req.JSONSchema, Strict: strictable(req.JSONSchema)},
		}
	}
	return cr
}

// strictable reports whether a schema can be sent with strict: true, which
// OpenAI accepts only for closed objects (additionalProperties: false).
func strictable(schema json.RawMessage) bool {
	var s struct {
		AdditionalProperties *bool `json:"additionalProperties"`
	}
	return json.Unmarshal(schema, &s) == nil && s.AdditionalProperties != nil && !*s.AdditionalProperties
}

// patch computes the body fields added to go-openai's JSON: the token
// limit under the configured name, temperature/top_p/top_k whenever set
// (0 included), thinking as OpenRouter reasoning, then req.Extra, which
// wins over everything.
func (p *Provider) patch(req *llm.Request) (map[string]any, error) {
	m := map[string]any{}
	if req.MaxTokens > 0 {
		m[p.cfg.TokenParam] = req.MaxTokens
	}
	if req.Temperature != nil {
		m["temperature"] = *req.Temperature
	}
	if req.TopP != nil {
		m["top_p"] = *req.TopP
	}
	if req.TopK != nil {
		if p.cfg.Flavor == FlavorOpenAI {
			return nil, &llm.Error{Kind: llm.KindInvalidRequest, Message: "top_k is not supported by the OpenAI API"}
		}
		m["top_k"] = *req.TopK
	}
	if req.Thinking != nil {
		if p.cfg.Flavor != FlavorOpenRouter {
			return nil, &llm.Error{Kind: llm.KindInvalidRequest, Message: fmt.Sprintf(
				"thinking budgets are not supported for flavor %s; set reasoning fields through extra", p.cfg.Flavor)}
		}
		m["reasoning"] = map[string]any{"max_tokens": req.Thinking.BudgetTokens}
	}
	for k, v := range req.Extra {
		m[k] = v
	}
	return m, nil
}

// call is the per-call state the doer reads from the request context.
type call struct {
	patch   map[string]any
	capture *capture
}

type callKey struct{}

// capture keeps the final HTTP response of a call.
type capture struct {
	status int
	header http.Header
	body   []byte
}

// doer sits between go-openai and the HTTP stack: it merges the call's
// patch into the JSON body, adds configured headers, and captures the
// final response (status, headers, body) for the provider.
type doer struct {
	client  *http.Client
	headers map[string]string
}

func (d *doer) Do(r *http.Request) (*http.Response, error) {
	c, _ := r.Context().Value(callKey{}).(*call)
	if c != nil && len(c.patch) > 0 && r.Body != nil {
		if err := patchBody(r, c.patch); err != nil {
			return nil, err
		}
	}
	for k, v := range d.headers {
		r.Header.Set(k, v)
	}
	resp, err := d.client.Do(r)
	if err != nil || c == nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	c.capture.status, c.capture.header, c.capture.body = resp.StatusCode, resp.Header, body
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode < 300 {
		// Provider.parse reads the captured body; go-openai's own decode
		// of a 2xx (a fifth of the client's CPU per request) is unused, so
		// it gets an empty object.
		resp.Body = io.NopCloser(strings.NewReader("{}"))
	}
	return resp, nil
}

// patchBody merges fields into the request's JSON object body. Keys come
// out sorted, so the bytes sent are deterministic.
func patchBody(r *http.Request, fields map[string]any) error {
	raw, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	out, err := mergeObject(raw, fields)
	if err != nil {
		return fmt.Errorf("patch request body: %w", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(out))
	r.ContentLength = int64(len(out))
	r.Header.Set("Content-Length", strconv.Itoa(len(out)))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(out)), nil }
	return nil
}

// mergeObject returns the JSON object raw with fields set (replacing
// members of the same name), top-level members sorted by key: the bytes
// json.Marshal of a map[string]json.RawMessage would give. Compact
// objects with plain keys (go-openai's) are merged by splicing, without
// decoding and re-encoding every value; anything else takes the slow path.
func mergeObject(raw []byte, fields map[string]any) ([]byte, error) {
	members, ok := splitObject(raw)
	if !ok {
		return mergeObjectSlow(raw, fields)
	}
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		kb, _ := json.Marshal(k)
		members[k] = member{key: kb, value: b}
	}
	keys := make([]string, 0, len(members))
	n := 2
	for k, m := range members {
		keys = append(keys, k)
		n += len(m.key) + len(m.value) + 2
	}
	slices.Sort(keys)
	out := make([]byte, 0, n)
	out = append(out, '{')
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(append(append(out, members[k].key...), ':'), members[k].value...)
	}
	return append(out, '}'), nil
}

func mergeObjectSlow(raw []byte, fields map[string]any) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		obj[k] = b
	}
	return json.Marshal(obj)
}

// member is one top-level member of an object: its quoted key and its
// value, as bytes.
type member struct{ key, value []byte }

// splitObject splits a compact JSON object whose keys have no escapes
// into its members by key. ok is false for anything else (whitespace,
// escaped keys, invalid JSON, duplicate keys, and characters json.Marshal
// would escape or replace: <, >, &, U+2028, U+2029, invalid UTF-8).
func splitObject(b []byte) (map[string]member, bool) {
	if len(b) < 2 || b[0] != '{' || bytes.ContainsAny(b, "<>&\u2028\u2029") || !utf8.Valid(b) {
		return nil, false
	}
	members := map[string]member{}
	if string(b) == "{}" {
		return members, true
	}
	for i := 1; ; {
		end, ok := skipString(b, i)
		if !ok || end >= len(b) || b[end] != ':' || bytes.IndexByte(b[i:end], '\\') >= 0 {
			return nil, false
		}
		key := b[i:end]
		vend, ok := skipValue(b, end+1)
		if !ok || vend == end+1 {
			return nil, false
		}
		k := string(key[1 : len(key)-1])
		if _, dup := members[k]; dup {
			return nil, false
		}
		members[k] = member{key: key, value: b[end+1 : vend]}
		switch {
		case vend == len(b)-1 && b[vend] == '}':
			return members, json.Valid(b)
		case vend < len(b) && b[vend] == ',':
			i = vend + 1
		default:
			return nil, false
		}
	}
}

// skipString returns the index just past the JSON string starting at
// b[i] (a quote).
func skipString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// skipValue returns the index just past the compact JSON value starting
// at b[i]: where a ',' or the closing '}' of the enclosing object is.
func skipValue(b []byte, i int) (int, bool) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			end, ok := skipString(b, j)
			if !ok {
				return 0, false
			}
			j = end - 1
		case ' ', '\t', '\n', '\r':
			return 0, false // not compact
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j, true
			}
			depth--
		case ',':
			if depth == 0 {
				return j, true
			}
		}
	}
	return 0, false
}
