package openai

import (
	"encoding/json"
	"fmt"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/transport"
)

// wireResponse is a chat completion as OpenAI-compatible servers send it,
// including OpenRouter's additions (message.reasoning, usage.cost, an
// error object inside a 200).
type wireResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Content          *string `json:"content"`
			Refusal          *string `json:"refusal"`
			Reasoning        *string `json:"reasoning"`
			ReasoningContent *string `json:"reasoning_content"`
			ToolCalls        []struct {
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens        int64    `json:"prompt_tokens"`
		CompletionTokens    int64    `json:"completion_tokens"`
		Cost                *float64 `json:"cost"`
		PromptTokensDetails struct {
			CachedTokens int64 `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// parse turns a 200 body into a Response, or a partial Response and an
// *llm.Error when the body is unusable.
func (p *Provider) parse(req *llm.Request, body []byte) (*llm.Response, error) {
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, &llm.Error{Kind: llm.KindServer, Status: 200, Message: "response body is not valid JSON", Err: err}
	}
	if len(w.Error) > 0 && string(w.Error) != "null" {
		info, _ := transport.ParseError(body)
		e := transport.ClassifyBody(info)
		return nil, e
	}
	resp := &llm.Response{Model: w.Model, Usage: llm.Usage{
		InputTokens: w.Usage.PromptTokens, OutputTokens: w.Usage.CompletionTokens,
		CacheReadTokens: w.Usage.PromptTokensDetails.CachedTokens, ProviderCostUSD: w.Usage.Cost,
	}}
	if len(w.Choices) == 0 {
		return resp, &llm.Error{Kind: llm.KindEmpty, Status: 200, Message: "response has no choices"}
	}
	c := w.Choices[0]
	resp.StopReason = stopReason(c.FinishReason)
	resp.Text = deref(c.Message.Content)
	resp.Reasoning = deref(c.Message.Reasoning) + deref(c.Message.ReasoningContent)
	for _, tc := range c.Message.ToolCalls {
		resp.ToolCalls = append(resp.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name,
			Arguments: json.RawMessage(tc.Function.Arguments)})
	}
	if c.Message.Refusal != nil && *c.Message.Refusal != "" {
		resp.StopReason = llm.StopRefusal
		return resp, &llm.Error{Kind: llm.KindRefusal, Status: 200, Message: *c.Message.Refusal}
	}
	return resp, check(req, resp)
}

// check classifies a parsed 200 that cannot be used.
func check(req *llm.Request, resp *llm.Response) error {
	if resp.StopReason == llm.StopRefusal {
		return &llm.Error{Kind: llm.KindRefusal, Status: 200, Message: "content filtered"}
	}
	for _, tc := range resp.ToolCalls {
		if json.Valid(tc.Arguments) {
			continue
		}
		if resp.StopReason == llm.StopMaxTokens {
			return &llm.Error{Kind: llm.KindTruncated, Status: 200, Message: fmt.Sprintf("output limit reached inside the arguments of %s", tc.Name)}
		}
		return &llm.Error{Kind: llm.KindMalformedArguments, Status: 200, Message: fmt.Sprintf("arguments of %s are not valid JSON", tc.Name)}
	}
	if len(req.JSONSchema) > 0 && len(resp.ToolCalls) == 0 && !json.Valid([]byte(resp.Text)) {
		if resp.StopReason == llm.StopMaxTokens {
			return &llm.Error{Kind: llm.KindTruncated, Status: 200, Message: "output limit reached inside the JSON output"}
		}
		return &llm.Error{Kind: llm.KindMalformedArguments, Status: 200, Message: "structured output is not valid JSON"}
	}
	if req.ForceTool != "" && resp.Tool(req.ForceTool) == nil {
		if resp.StopReason == llm.StopMaxTokens {
			return &llm.Error{Kind: llm.KindTruncated, Status: 200, Message: "output limit reached before the tool call"}
		}
		return &llm.Error{Kind: llm.KindEmpty, Status: 200, Message: fmt.Sprintf("no call of the forced tool %s", req.ForceTool)}
	}
	if resp.Text == "" && len(resp.ToolCalls) == 0 {
		return &llm.Error{Kind: llm.KindEmpty, Status: 200, Message: "no text and no tool call"}
	}
	return nil
}

func stopReason(s string) llm.StopReason {
	switch s {
	case "stop", "end_turn", "eos":
		return llm.StopEnd
	case "length", "max_tokens":
		return llm.StopMaxTokens
	case "tool_calls", "function_call", "tool_use":
		return llm.StopToolUse
	case "content_filter", "refusal":
		return llm.StopRefusal
	case "stop_sequence":
		return llm.StopSequence
	}
	return llm.StopOther
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
