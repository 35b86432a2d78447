package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

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
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("patch request body: %w", err)
	}
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("patch request body: field %q: %w", k, err)
		}
		obj[k] = b
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("patch request body: %w", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(out))
	r.ContentLength = int64(len(out))
	r.Header.Set("Content-Length", strconv.Itoa(len(out)))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(out)), nil }
	return nil
}
