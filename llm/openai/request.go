package openai

import (
	"encoding/json"
	"fmt"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/sptflow/sptflow/llm"
)

// chatRequest splits req into what go-openai's ChatCompletionRequest
// expresses (model, messages, tools, forced tool choice, JSON schema
// output, max_completion_tokens) and the extra body fields it cannot (see
// extraFields), which are merged into the JSON body on the way out (see
// exchange).
func (p *Provider) chatRequest(req *llm.Request) (goopenai.ChatCompletionRequest, map[string]any, error) {
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
	if req.MaxTokens > 0 && p.cfg.TokenParam == MaxCompletionTokens {
		cr.MaxCompletionTokens = req.MaxTokens
	}
	extra, err := p.extraFields(req)
	return cr, extra, err
}

// strictable reports whether a schema can be sent with strict: true, which
// OpenAI accepts only for closed objects (additionalProperties: false).
func strictable(schema json.RawMessage) bool {
	var s struct {
		AdditionalProperties *bool `json:"additionalProperties"`
	}
	return json.Unmarshal(schema, &s) == nil && s.AdditionalProperties != nil && !*s.AdditionalProperties
}

// extraFields are the body fields go-openai's request type cannot carry:
//   - max_tokens: go-openai refuses MaxTokens for model names starting with
//     gpt-5, o1, o3 or o4 whatever the server, and OpenRouter, vLLM or
//     Ollama models may well be named so;
//   - temperature and top_p whenever set: its float32 omitempty fields drop
//     0, the pipeline's default temperature;
//   - top_k and thinking as OpenRouter reasoning: it has no field for them;
//   - then req.Extra, which wins over everything.
func (p *Provider) extraFields(req *llm.Request) (map[string]any, error) {
	m := map[string]any{}
	if req.MaxTokens > 0 && p.cfg.TokenParam == MaxTokens {
		m[MaxTokens] = req.MaxTokens
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
