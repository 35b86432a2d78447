package openai

import (
	"encoding/json"
	"fmt"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/transport"
)

// bodyExtras are the parts of a chat completion that go-openai's
// ChatCompletionResponse does not model, read from the raw body:
// OpenRouter's message.reasoning and usage.cost, and the error object
// OpenRouter may send inside a 200.
type bodyExtras struct {
	Choices []struct {
		Message struct {
			Reasoning *string `json:"reasoning"`
		} `json:"message"`
	} `json:"choices"`
	Usage struct {
		Cost *float64 `json:"cost"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// response turns go-openai's decoded 2xx response cr, with its raw body,
// into a Response, or a partial Response and an *llm.Error when the body
// is unusable.
func response(req *llm.Request, cr *goopenai.ChatCompletionResponse, body []byte) (*llm.Response, error) {
	var x bodyExtras
	if err := json.Unmarshal(body, &x); err != nil {
		return nil, &llm.Error{Kind: llm.KindServer, Status: 200, Message: "response body is not valid JSON", Err: err}
	}
	if len(x.Error) > 0 && string(x.Error) != "null" {
		info, _ := transport.ParseError(body)
		return nil, transport.ClassifyBody(info)
	}
	resp := &llm.Response{Model: cr.Model, Usage: llm.Usage{
		InputTokens: int64(cr.Usage.PromptTokens), OutputTokens: int64(cr.Usage.CompletionTokens),
		ProviderCostUSD: x.Usage.Cost,
	}}
	if d := cr.Usage.PromptTokensDetails; d != nil {
		resp.Usage.CacheReadTokens = int64(d.CachedTokens)
	}
	if len(cr.Choices) == 0 {
		return resp, &llm.Error{Kind: llm.KindEmpty, Status: 200, Message: "response has no choices"}
	}
	c := cr.Choices[0]
	resp.StopReason = stopReason(string(c.FinishReason))
	resp.Text = c.Message.Content
	if len(x.Choices) > 0 {
		resp.Reasoning = deref(x.Choices[0].Message.Reasoning)
	}
	resp.Reasoning += c.Message.ReasoningContent
	for _, tc := range c.Message.ToolCalls {
		resp.ToolCalls = append(resp.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name,
			Arguments: json.RawMessage(tc.Function.Arguments)})
	}
	if c.Message.Refusal != "" {
		resp.StopReason = llm.StopRefusal
		return resp, &llm.Error{Kind: llm.KindRefusal, Status: 200, Message: c.Message.Refusal}
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
