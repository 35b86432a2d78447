// Package openai is the sptflow provider for OpenAI-compatible chat
// completion APIs: OpenAI, OpenRouter, vLLM, llama.cpp server and Ollama.
// It sends requests with github.com/sashabaranov/go-openai over the
// retrying stack of llm/transport; a small body-patching Doer adds what
// go-openai cannot express (temperature 0, the chosen token parameter,
// top_k, extra body fields) and keeps the raw response for what it does
// not parse (OpenRouter reasoning, usage.cost, errors inside a 200).
package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	cfg    Config
	client *goopenai.Client
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
	base, err := llm.APIBaseURL(cfg.Flavor, cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("openai: %w", err)
	}
	gc.BaseURL = base
	gc.HTTPClient = &doer{client: cfg.HTTPClient, headers: cfg.Headers}
	return &Provider{cfg: cfg, client: goopenai.NewClientWithConfig(gc)}, nil
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
	patch, err := p.patch(req)
	if err != nil {
		return nil, p.fail(req, err)
	}
	ctx, attempts := transport.WithAttempts(ctx)
	capt := &capture{}
	ctx = context.WithValue(ctx, callKey{}, &call{patch: patch, capture: capt})
	start := time.Now()
	_, err = p.client.CreateChatCompletion(ctx, p.chatRequest(req))
	latency := time.Since(start)
	if err != nil && capt.status == 0 {
		return nil, p.fail(req, transport.ClassifyErr(ctx, err))
	}
	if capt.status >= 300 {
		return nil, p.fail(req, transport.Classify(capt.status, capt.header, capt.body))
	}
	resp, perr := p.parse(req, capt.body)
	if resp != nil {
		resp.Latency, resp.Attempts = latency, max(1, attempts.Count())
		resp.RateLimit = transport.RateLimit(capt.header, time.Now())
	}
	if perr != nil {
		return resp, p.fail(req, perr)
	}
	return resp, nil
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
