// Package openai is the sptflow provider for OpenAI-compatible chat
// completion APIs: OpenAI, OpenRouter, vLLM, llama.cpp server and Ollama.
// github.com/sashabaranov/go-openai builds the request
// (ChatCompletionRequest), sends it (Client.CreateChatCompletion) over the
// retrying stack of llm/transport, decodes the response
// (ChatCompletionResponse, headers included) and the error bodies
// (*openai.APIError, *openai.RequestError). Two things go-openai v1.43
// cannot express are done around it, in the Doer it is given: extra body
// fields (temperature 0, top_k, OpenRouter reasoning and provider, any
// extra) are merged into the JSON it marshals, and the raw 2xx body is kept
// for what its response type does not model (OpenRouter reasoning,
// usage.cost, an error object inside a 200).
package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	goopenai "github.com/sashabaranov/go-openai"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/transport"
)

// Flavors of OpenAI-compatible servers.
const (
	FlavorOpenAI     = "openai"
	FlavorOpenRouter = "openrouter"
	FlavorVLLM       = "vllm"
	FlavorLlamaCpp   = "llamacpp"
	FlavorOllama     = "ollama"
)

// Token limit parameters.
const (
	MaxTokens           = "max_tokens"
	MaxCompletionTokens = "max_completion_tokens"
)

// Config configures a Provider. APIKey is only ever sent in the
// Authorization header; it is never logged nor put in errors.
type Config struct {
	APIKey  string
	BaseURL string // default: OpenAI's, or OpenRouter's for that flavor
	// HTTPClient carries the requests; nil builds transport.New with
	// defaults. Build it with llm/transport to get retries and observation.
	HTTPClient *http.Client
	Flavor     string // openai (default) | openrouter | vllm | llamacpp | ollama
	// TokenParam names the output limit field: max_completion_tokens
	// (default for flavor openai) or max_tokens (default otherwise).
	TokenParam string
	Headers    map[string]string // extra request headers (OpenRouter HTTP-Referer, X-Title)
	Log        zerolog.Logger
}

// Provider implements llm.Provider for OpenAI-compatible APIs.
type Provider struct {
	cfg Config
	gc  goopenai.ClientConfig // each call's client: this, over its own exchange
}

var _ llm.Provider = (*Provider)(nil)

// New validates cfg and returns a Provider safe for concurrent use.
func New(cfg Config) (*Provider, error) {
	if cfg.Flavor == "" {
		cfg.Flavor = FlavorOpenAI
	}
	switch cfg.Flavor {
	case FlavorOpenAI, FlavorOpenRouter, FlavorVLLM, FlavorLlamaCpp, FlavorOllama:
	default:
		return nil, fmt.Errorf("openai: unknown flavor %q (want openai, openrouter, vllm, llamacpp or ollama)", cfg.Flavor)
	}
	if cfg.TokenParam == "" {
		cfg.TokenParam = MaxTokens
		if cfg.Flavor == FlavorOpenAI {
			cfg.TokenParam = MaxCompletionTokens
		}
	}
	if cfg.TokenParam != MaxTokens && cfg.TokenParam != MaxCompletionTokens {
		return nil, fmt.Errorf("openai: token param %q: want max_tokens or max_completion_tokens", cfg.TokenParam)
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = defaultBaseURL(cfg.Flavor)
	}
	if cfg.BaseURL == "" {
		return nil, fmt.Errorf("openai: flavor %s needs a base URL", cfg.Flavor)
	}
	if cfg.APIKey == "" && (cfg.Flavor == FlavorOpenAI || cfg.Flavor == FlavorOpenRouter) {
		return nil, fmt.Errorf("openai: flavor %s needs an API key", cfg.Flavor)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = transport.New(transport.Config{Logger: cfg.Log})
	}
	gc := goopenai.DefaultConfig(cfg.APIKey)
	gc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Provider{cfg: cfg, gc: gc}, nil
}

func defaultBaseURL(flavor string) string {
	switch flavor {
	case FlavorOpenAI:
		return "https://api.openai.com/v1"
	case FlavorOpenRouter:
		return "https://openrouter.ai/api/v1"
	}
	return ""
}

// Name is "openai" for every flavor.
func (p *Provider) Name() string { return "openai" }

// Call sends req and returns the parsed response. Failures are *llm.Error;
// for a 200 that cannot be used (truncated or malformed tool arguments, no
// output, refusal, an error object in the body) the partial *llm.Response
// is returned too, so its usage can still be accounted. Cancellation
// returns the context's cause.
func (p *Provider) Call(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	cr, extra, err := p.chatRequest(req)
	if err != nil {
		return nil, p.fail(req, err)
	}
	x := &exchange{client: p.cfg.HTTPClient, headers: p.cfg.Headers, extra: extra}
	gc := p.gc
	gc.HTTPClient = x
	ctx, attempts := transport.WithAttempts(ctx)
	start := time.Now()
	out, err := goopenai.NewClientWithConfig(gc).CreateChatCompletion(ctx, cr)
	latency := time.Since(start)
	if err != nil {
		return nil, p.fail(req, callError(ctx, x, out.Header(), err))
	}
	resp, perr := response(req, &out, x.body)
	if resp != nil {
		resp.Latency, resp.Attempts = latency, max(1, attempts.Count())
		resp.RateLimit = transport.RateLimit(out.Header(), time.Now())
	}
	if perr != nil {
		return resp, p.fail(req, perr)
	}
	return resp, nil
}

// callError maps an error of CreateChatCompletion to an *llm.Error (or
// the context's cause). header is the response's, when one came.
func callError(ctx context.Context, x *exchange, header http.Header, err error) error {
	var (
		apiErr    *goopenai.APIError
		reqErr    *goopenai.RequestError
		statusErr *statusError
	)
	switch {
	case !x.sent:
		// go-openai refused the request before sending it (its model
		// checks: max_tokens with a reasoning model, for instance), or
		// the extra fields could not be encoded.
		return &llm.Error{Kind: llm.KindInvalidRequest, Message: err.Error(), Err: err}
	case errors.As(err, &reqErr):
		// An error body that is not OpenAI's {"error":{...}} (vLLM's
		// {"object":"error"}, Ollama's {"error":"text"}, an HTML page).
		// Checked first: it may wrap a half-decoded, empty *APIError.
		return transport.Classify(reqErr.HTTPStatusCode, header, reqErr.Body)
	case errors.As(err, &apiErr):
		return transport.ClassifyError(apiErr.HTTPStatusCode, header, transport.APIError{
			Type: apiErr.Type, Code: codeText(apiErr.Code), Message: apiErr.Message})
	case errors.As(err, &statusErr):
		return transport.Classify(statusErr.status, statusErr.header, statusErr.body)
	case x.body != nil:
		// The 2xx body arrived whole; go-openai could not decode it.
		return &llm.Error{Kind: llm.KindServer, Status: 200, Message: "response body is not valid JSON", Err: err}
	}
	return transport.ClassifyErr(ctx, err)
}

// codeText is an APIError code as text: go-openai decodes numeric codes
// (OpenRouter's 402) as int, and a null code as 0.
func codeText(code any) string {
	switch c := code.(type) {
	case nil:
		return ""
	case string:
		return c
	case int:
		if c == 0 {
			return ""
		}
		return strconv.Itoa(c)
	}
	return fmt.Sprint(code)
}

// fail stamps provider and model on an *llm.Error; other errors (context
// causes) pass through.
func (p *Provider) fail(req *llm.Request, err error) error {
	var e *llm.Error
	if errors.As(err, &e) {
		e.Provider, e.Model = p.Name(), req.Model
		return e
	}
	return fmt.Errorf("%s %s: %w", p.Name(), req.Model, err)
}
