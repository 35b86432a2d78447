package view

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sptflow/sptflow/llm"
)

// Default endpoints and key variables of the providers a request object
// names (the model entry's base_url and api_key_env, when stored, win).
var curlDefaults = map[string][2]string{
	llm.ProviderAnthropic:  {"https://api.anthropic.com/v1", "ANTHROPIC_API_KEY"},
	llm.ProviderOpenAI:     {"https://api.openai.com/v1", "OPENAI_API_KEY"},
	llm.ProviderOpenRouter: {"https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"},
}

// CurlRequest is a curl command sending a stored request the way its
// provider's client sent it (llm/anthropic, llm/openai: the same body
// fields), the key read from the environment variable the model entry
// names ($ANTHROPIC_API_KEY, ...), never written. A simulated call, which
// sent nothing, gets the Anthropic form of its request.
func CurlRequest(sr *llm.StoredRequest) (string, error) {
	provider, base, keyVar := sr.Provider, sr.BaseURL, sr.APIKeyEnv
	if provider == llm.ProviderSim {
		provider, base, keyVar = llm.ProviderAnthropic, "", ""
	}
	def := curlDefaults[provider]
	if base == "" {
		base = def[0]
	}
	if keyVar == "" {
		keyVar = def[1]
	}
	base = strings.TrimRight(base, "/")
	var (
		body    []byte
		err     error
		url     string
		headers []string
	)
	if provider == llm.ProviderAnthropic {
		body, err = anthropicBody(sr.Request)
		url = base + "/messages"
		headers = []string{"'anthropic-version: 2023-06-01'"}
		if keyVar != "" {
			headers = append(headers, fmt.Sprintf(`"x-api-key: $%s"`, keyVar))
		}
	} else {
		body, err = openAIBody(provider, sr.TokenParam, sr.Request)
		url = base + "/chat/completions"
		if keyVar != "" {
			headers = append(headers, fmt.Sprintf(`"authorization: Bearer $%s"`, keyVar))
		}
	}
	if err != nil {
		return "", fmt.Errorf("encode %s request: %w", provider, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "curl %s \\\n  -H 'content-type: application/json'", shellQuote(url))
	for _, h := range headers {
		fmt.Fprintf(&b, " \\\n  -H %s", h)
	}
	fmt.Fprintf(&b, " \\\n  -d %s", shellQuote(string(body)))
	return b.String(), nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// anthropicBody is the Messages API body llm/anthropic sends for req (not
// streamed): the system prompt as one text block marked cache_control
// ephemeral, a forced tool as tool_choice, thinking, sampling parameters
// when set, then req.Extra over the top-level fields.
func anthropicBody(req *llm.Request) ([]byte, error) {
	m := map[string]any{"model": req.Model, "max_tokens": req.MaxTokens, "messages": messages(req.Messages)}
	if req.System != "" {
		m["system"] = []map[string]any{{"type": "text", "text": req.System, "cache_control": map[string]string{"type": "ephemeral"}}}
	}
	if len(req.Tools) > 0 {
		var tools []map[string]any
		for _, t := range req.Tools {
			tool := map[string]any{"name": t.Name, "input_schema": t.InputSchema}
			if t.Description != "" {
				tool["description"] = t.Description
			}
			tools = append(tools, tool)
		}
		m["tools"] = tools
	}
	if req.ForceTool != "" {
		m["tool_choice"] = map[string]string{"type": "tool", "name": req.ForceTool}
	}
	if req.Thinking != nil {
		m["thinking"] = map[string]any{"type": "enabled", "budget_tokens": req.Thinking.BudgetTokens}
	}
	sampling(m, req)
	if req.TopK != nil {
		m["top_k"] = *req.TopK
	}
	return marshal(m, req.Extra)
}

// openAIBody is the chat completions body llm/openai sends for req: the
// system prompt as the first message, tools as functions, a forced tool
// as tool_choice, a JSON schema as response_format, the token limit under
// the model entry's parameter, OpenRouter reasoning for thinking, then
// req.Extra over the top-level fields.
func openAIBody(provider, tokenParam string, req *llm.Request) ([]byte, error) {
	msgs := messages(req.Messages)
	if req.System != "" {
		msgs = append([]map[string]string{{"role": "system", "content": req.System}}, msgs...)
	}
	m := map[string]any{"model": req.Model, "messages": msgs}
	if len(req.Tools) > 0 {
		var tools []map[string]any
		for _, t := range req.Tools {
			fn := map[string]any{"name": t.Name, "parameters": t.InputSchema}
			if t.Description != "" {
				fn["description"] = t.Description
			}
			tools = append(tools, map[string]any{"type": "function", "function": fn})
		}
		m["tools"] = tools
	}
	if req.ForceTool != "" {
		m["tool_choice"] = map[string]any{"type": "function", "function": map[string]string{"name": req.ForceTool}}
	}
	if len(req.JSONSchema) > 0 {
		var s struct {
			AdditionalProperties *bool `json:"additionalProperties"`
		}
		strict := json.Unmarshal(req.JSONSchema, &s) == nil && s.AdditionalProperties != nil && !*s.AdditionalProperties
		js := map[string]any{"name": "response", "schema": req.JSONSchema}
		if strict {
			js["strict"] = true
		}
		m["response_format"] = map[string]any{"type": "json_schema", "json_schema": js}
	}
	if tokenParam == "" {
		tokenParam = llm.TokenParamMaxTokens
		if provider == llm.ProviderOpenAI {
			tokenParam = llm.TokenParamMaxCompletionTokens
		}
	}
	if req.MaxTokens > 0 {
		m[tokenParam] = req.MaxTokens
	}
	sampling(m, req)
	if req.TopK != nil {
		m["top_k"] = *req.TopK
	}
	if req.Thinking != nil {
		m["reasoning"] = map[string]any{"max_tokens": req.Thinking.BudgetTokens}
	}
	return marshal(m, req.Extra)
}

func messages(ms []llm.Message) []map[string]string {
	out := make([]map[string]string, 0, len(ms))
	for _, msg := range ms {
		out = append(out, map[string]string{"role": string(msg.Role), "content": msg.Content})
	}
	return out
}

func sampling(m map[string]any, req *llm.Request) {
	if req.Temperature != nil {
		m["temperature"] = *req.Temperature
	}
	if req.TopP != nil {
		m["top_p"] = *req.TopP
	}
}

// marshal encodes m with extra over it, keys sorted.
func marshal(m map[string]any, extra map[string]any) ([]byte, error) {
	for k, v := range extra {
		m[k] = v
	}
	return json.Marshal(m)
}
