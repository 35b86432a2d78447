package anthropic

import (
	"encoding/json"
	"fmt"

	"github.com/sptflow/sptflow/llm"
)

type cacheControl struct {
	Type string `json:"type"`
}

type textBlock struct {
	Type         string        `json:"type"`
	Text         string        `json:"text"`
	CacheControl *cacheControl `json:"cache_control,omitempty"`
}

type wireTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type toolChoice struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

type thinking struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens"`
}

// wireRequest is the Messages API request body, fields in the order sent.
type wireRequest struct {
	Model       string        `json:"model"`
	MaxTokens   int           `json:"max_tokens"`
	System      []textBlock   `json:"system,omitempty"`
	Messages    []llm.Message `json:"messages"`
	Tools       []wireTool    `json:"tools,omitempty"`
	ToolChoice  *toolChoice   `json:"tool_choice,omitempty"`
	Thinking    *thinking     `json:"thinking,omitempty"`
	Temperature *float64      `json:"temperature,omitempty"`
	TopP        *float64      `json:"top_p,omitempty"`
	TopK        *int          `json:"top_k,omitempty"`
	Stream      bool          `json:"stream,omitempty"`
}

// encodeRequest builds the body: the system prompt as one text block
// marked cache_control ephemeral (the stable prefix), a forced tool as
// tool_choice {type: tool}, thinking when asked, sampling parameters only
// when set (0 is sent), then req.Extra merged over the top-level fields.
func encodeRequest(req *llm.Request, stream bool) ([]byte, error) {
	if err := validate(req); err != nil {
		return nil, err
	}
	w := wireRequest{Model: req.Model, MaxTokens: req.MaxTokens, Messages: req.Messages,
		Temperature: req.Temperature, TopP: req.TopP, TopK: req.TopK, Stream: stream}
	if req.System != "" {
		w.System = []textBlock{{Type: "text", Text: req.System, CacheControl: &cacheControl{Type: "ephemeral"}}}
	}
	for _, t := range req.Tools {
		w.Tools = append(w.Tools, wireTool(t))
	}
	if req.ForceTool != "" {
		w.ToolChoice = &toolChoice{Type: "tool", Name: req.ForceTool}
	}
	if req.Thinking != nil {
		w.Thinking = &thinking{Type: "enabled", BudgetTokens: req.Thinking.BudgetTokens}
	}
	body, err := json.Marshal(w)
	if err != nil || len(req.Extra) == 0 {
		return body, err
	}
	return mergeExtra(body, req.Extra)
}

// validate refuses, before anything is sent, what the API would reject.
func validate(req *llm.Request) error {
	invalid := func(format string, args ...any) error {
		return &llm.Error{Kind: llm.KindInvalidRequest, Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case req.MaxTokens <= 0:
		return invalid("max_tokens must be positive")
	case len(req.JSONSchema) > 0:
		return invalid("json_schema output is not supported by the Messages API; use a forced tool")
	case req.Thinking != nil && req.ForceTool != "":
		return invalid("thinking cannot be combined with a forced tool (tool_choice %q)", req.ForceTool)
	case req.Thinking != nil && req.Thinking.BudgetTokens >= req.MaxTokens:
		return invalid("thinking budget %d must be below max_tokens %d", req.Thinking.BudgetTokens, req.MaxTokens)
	}
	return nil
}

// mergeExtra sets extra top-level fields over the body; the keys then come
// out sorted, so the bytes stay deterministic.
func mergeExtra(body []byte, extra map[string]any) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	for k, v := range extra {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("extra field %q: %w", k, err)
		}
		obj[k] = b
	}
	return json.Marshal(obj)
}
