package transport

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// APIError is the error object of a provider's error body, whichever of the
// shapes it came in: Anthropic {"type":"error","error":{"type","message"}},
// OpenAI {"error":{"message","type","code"}}, OpenRouter
// {"error":{"code":402,"message","metadata"}}, vLLM {"object":"error",
// "message","type"}, Ollama {"error":"text"}.
type APIError struct {
	Type    string // error type ("rate_limit_error", "insufficient_quota", ...)
	Code    string // error code, numeric codes as text
	Message string
}

// ParseError extracts the error object of a body; ok is false when the
// body carries none.
func ParseError(body []byte) (APIError, bool) {
	e := parseErrorBody(body)
	return e, e != (APIError{})
}

func parseErrorBody(body []byte) APIError {
	var top struct {
		Object  string          `json:"object"`
		Type    string          `json:"type"`
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &top) != nil {
		return APIError{}
	}
	if len(top.Error) > 0 && top.Error[0] == '"' {
		var s string
		_ = json.Unmarshal(top.Error, &s)
		return APIError{Message: s}
	}
	if len(top.Error) > 0 && top.Error[0] == '{' {
		var inner struct {
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
			Message string          `json:"message"`
		}
		_ = json.Unmarshal(top.Error, &inner)
		return APIError{Type: inner.Type, Code: rawText(inner.Code), Message: inner.Message}
	}
	if top.Object == "error" {
		return APIError{Type: top.Type, Message: top.Message}
	}
	return APIError{}
}

func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

var quotaPhrases = []string{
	"insufficient_quota", "exceeded your current quota", "credit balance is too low",
	"insufficient credits", "insufficient balance", "billing",
}

var contextPhrases = []string{
	"prompt is too long", "maximum context length", "context length", "context window",
	"context limit", "context_length_exceeded", "too many tokens", "input is too long",
}

func isQuota(e APIError) bool {
	if e.Type == "insufficient_quota" || e.Code == "insufficient_quota" || e.Code == "402" {
		return true
	}
	return containsAny(strings.ToLower(e.Message), quotaPhrases)
}

func isContextTooLong(e APIError) bool {
	if e.Code == "context_length_exceeded" || e.Type == "context_length_exceeded" {
		return true
	}
	return containsAny(strings.ToLower(e.Message), contextPhrases)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Classify turns a failed HTTP response into an *llm.Error with Kind,
// Status, RetryAfter and the provider's message (never the request). The
// caller fills Provider and Model.
func Classify(status int, header http.Header, body []byte) *llm.Error {
	return ClassifyError(status, header, parseErrorBody(body))
}

// ClassifyError is Classify for an error object the caller has already
// decoded (go-openai's *openai.APIError, for instance).
func ClassifyError(status int, header http.Header, info APIError) *llm.Error {
	e := &llm.Error{Kind: kindOf(status, info), Status: status, Message: info.Message}
	if e.Message == "" {
		e.Message = strings.TrimSpace(http.StatusText(status))
	}
	if ra, ok := RetryAfter(header, time.Now()); ok {
		e.RetryAfter = ra
	}
	return e
}

// ClassifyBody classifies an error object received inside a 200 response
// (OpenRouter, or a mid-stream error event); its numeric code, if any,
// stands for the status.
func ClassifyBody(info APIError) *llm.Error {
	status := 0
	if n, err := json.Number(info.Code).Int64(); err == nil {
		status = int(n)
	}
	return &llm.Error{Kind: kindOf(status, info), Status: status, Message: info.Message}
}

func kindOf(status int, e APIError) llm.ErrorKind {
	switch {
	case status == http.StatusPaymentRequired || isQuota(e):
		return llm.KindQuotaExhausted
	case isContextTooLong(e) && (status == 0 || status == 400 || status == 413 || status == 422):
		return llm.KindContextTooLong
	case status == http.StatusUnauthorized || status == http.StatusForbidden,
		e.Type == "authentication_error" || e.Type == "permission_error":
		return llm.KindAuth
	case status == http.StatusTooManyRequests || e.Type == "rate_limit_error":
		return llm.KindRateLimited
	case status == 529 || e.Type == "overloaded_error":
		return llm.KindOverloaded
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout || e.Type == "timeout_error":
		return llm.KindTimeout
	case status >= 500 || e.Type == "api_error" || e.Type == "server_error":
		return llm.KindServer
	case status >= 400 || e.Type == "invalid_request_error":
		return llm.KindInvalidRequest
	}
	return llm.KindServer
}

// ClassifyErr turns a transport error (no HTTP response) into an
// *llm.Error of kind timeout or network. Context cancellation is not
// classified: it returns the context's cause unchanged, so callers can
// tell a stopped run from a failed call.
func ClassifyErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	kind := llm.KindNetwork
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		kind = llm.KindTimeout
	}
	return &llm.Error{Kind: kind, Message: err.Error(), Err: err}
}
