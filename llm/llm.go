// Package llm is sptflow's model layer: one Provider interface with
// Anthropic, OpenAI-compatible and simulated implementations, plus the
// machinery every call goes through (request store, rate governor, usage and
// cost). It knows nothing of the engine or of SPT.
package llm

import (
	"context"
	"encoding/json"
	"time"
)

// Role is a chat message role.
type Role string

// Message roles.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Message is one chat message with plain-text content.
type Message struct {
	Role    Role   `json:"role"`
	Content string `json:"content"`
}

// Tool is a function the model may call; InputSchema is a JSON schema.
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// Thinking configures extended thinking / reasoning.
type Thinking struct {
	BudgetTokens int `json:"budget_tokens"`
}

// Request is one provider call. Every field is part of the request key
// except the ones marked otherwise.
type Request struct {
	Model    string    `json:"model"` // provider model id
	System   string    `json:"system,omitempty"`
	Messages []Message `json:"messages"`
	Tools    []Tool    `json:"tools,omitempty"`
	// ForceTool names the tool the model must call ("" = free choice).
	ForceTool string `json:"force_tool,omitempty"`
	// JSONSchema asks for structured output (OpenAI response_format).
	JSONSchema  json.RawMessage `json:"json_schema,omitempty"`
	Temperature *float64        `json:"temperature,omitempty"` // nil = provider default; 0 is sent
	TopP        *float64        `json:"top_p,omitempty"`
	TopK        *int            `json:"top_k,omitempty"`
	MaxTokens   int             `json:"max_tokens"`
	Thinking    *Thinking       `json:"thinking,omitempty"`
	// Extra are provider body fields merged into the request JSON
	// (OpenRouter `reasoning`, `provider`, ...).
	Extra map[string]any `json:"extra,omitempty"`
	// Replica distinguishes otherwise identical requests that must be
	// sampled separately (batch i of a generate node is replica i). It is
	// never sent.
	Replica int `json:"replica"`
}

// ToolCall is one tool invocation in a response; Arguments are raw JSON as
// the provider sent them.
type ToolCall struct {
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// StopReason is a provider's stop reason, normalised.
type StopReason string

// Normalised stop reasons.
const (
	StopEnd       StopReason = "end"        // natural end of turn / "stop"
	StopMaxTokens StopReason = "max_tokens" // output limit hit ("length")
	StopToolUse   StopReason = "tool_use"   // stopped to call a tool
	StopSequence  StopReason = "stop_sequence"
	StopRefusal   StopReason = "refusal" // refusal / content filter
	StopOther     StopReason = "other"
)

// Usage is the token usage of one response.
type Usage struct {
	InputTokens      int64 `json:"input_tokens"`
	OutputTokens     int64 `json:"output_tokens"`
	CacheReadTokens  int64 `json:"cache_read_tokens,omitempty"`
	CacheWriteTokens int64 `json:"cache_write_tokens,omitempty"`
	// ProviderCostUSD is a cost the provider reported itself (OpenRouter
	// usage.cost), nil when it reported none.
	ProviderCostUSD *float64 `json:"provider_cost_usd,omitempty"`
}

// RateLimitInfo is what the provider's rate-limit headers said.
type RateLimitInfo struct {
	RequestsLimit     int           `json:"requests_limit,omitempty"`
	RequestsRemaining int           `json:"requests_remaining,omitempty"`
	TokensLimit       int           `json:"tokens_limit,omitempty"`
	TokensRemaining   int           `json:"tokens_remaining,omitempty"`
	InputTokensLimit  int           `json:"input_tokens_limit,omitempty"`
	OutputTokensLimit int           `json:"output_tokens_limit,omitempty"`
	Reset             time.Duration `json:"reset,omitempty"` // until the window resets
}

// Response is a provider's answer to one Request.
type Response struct {
	Text       string        `json:"text,omitempty"`
	ToolCalls  []ToolCall    `json:"tool_calls,omitempty"`
	Reasoning  string        `json:"reasoning,omitempty"`
	StopReason StopReason    `json:"stop_reason"`
	Usage      Usage         `json:"usage"`
	Model      string        `json:"model"` // the model that served the request
	Latency    time.Duration `json:"latency"`
	Attempts   int           `json:"attempts"`
	RateLimit  RateLimitInfo `json:"rate_limit,omitempty"`
	// Simulated is true for responses of the sim provider.
	Simulated bool `json:"simulated,omitempty"`
}

// Tool returns the first call of the named tool, or nil.
func (r *Response) Tool(name string) *ToolCall {
	for i := range r.ToolCalls {
		if r.ToolCalls[i].Name == name {
			return &r.ToolCalls[i]
		}
	}
	return nil
}

// Provider sends one request to one provider. Implementations translate
// transport and API failures into *Error; they do not pace (the governor
// does) and do not store (the request store does).
type Provider interface {
	// Name is the provider kind: "anthropic", "openai", "sim".
	Name() string
	Call(ctx context.Context, req *Request) (*Response, error)
}
