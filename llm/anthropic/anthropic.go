// Package anthropic is the sptflow provider for Anthropic's Messages API.
//
// It is a thin client over llm/transport rather than the official SDK:
// the SDK's stream accumulator splices partial tool JSON into its raw
// message (so a malformed or cut input_json_delta cannot be told apart
// from a decoding failure), hides response headers unless asked per call,
// and reports mid-stream error events as untyped errors; the wire format
// needed here is small, and owning it keeps request bytes exact for golden
// tests and every failure typed.
package anthropic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/transport"
)

// Defaults applied by New.
const (
	DefaultBaseURL           = "https://api.anthropic.com/v1"
	DefaultVersion           = "2023-06-01"
	DefaultStreamAboveTokens = 10000
)

// Config configures a Provider. APIKey is only ever sent in the x-api-key
// header; it is never logged nor put in errors.
type Config struct {
	APIKey  string
	BaseURL string // with or without /v1 (llm.AnthropicAPIRoot); default DefaultBaseURL
	// HTTPClient carries the requests; nil builds transport.New with
	// defaults.
	HTTPClient *http.Client
	// StreamAboveTokens: requests with MaxTokens above it are streamed
	// (SSE), as the API requires for long outputs. Default 10000.
	StreamAboveTokens int
	Version           string // anthropic-version header, default DefaultVersion
	Log               zerolog.Logger
}

// Provider implements llm.Provider for the Anthropic Messages API.
type Provider struct {
	cfg Config
	url string
}

var _ llm.Provider = (*Provider)(nil)

// New validates cfg and returns a Provider safe for concurrent use.
func New(cfg Config) (*Provider, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("anthropic: no API key (set ANTHROPIC_API_KEY)")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.StreamAboveTokens <= 0 {
		cfg.StreamAboveTokens = DefaultStreamAboveTokens
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = transport.New(transport.Config{Logger: cfg.Log})
	}
	return &Provider{cfg: cfg, url: llm.AnthropicAPIRoot(cfg.BaseURL) + "/messages"}, nil
}

// Name is "anthropic".
func (p *Provider) Name() string { return "anthropic" }

// Call sends req, streaming when req.MaxTokens > StreamAboveTokens.
// Failures are *llm.Error; for a 200 that cannot be used (truncated or
// malformed tool input, no output, refusal) the partial *llm.Response is
// returned too, so its usage can still be accounted. Thinking combined with
// a forced tool is refused before sending. Cancellation returns the
// context's cause.
func (p *Provider) Call(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	stream := req.MaxTokens > p.cfg.StreamAboveTokens
	body, err := encodeRequest(req, stream)
	if err != nil {
		return nil, p.fail(req, err)
	}
	ctx, attempts := transport.WithAttempts(ctx)
	start := time.Now()
	httpResp, err := p.send(ctx, body)
	if err != nil {
		return nil, p.fail(req, transport.ClassifyErr(ctx, err))
	}
	defer httpResp.Body.Close()
	if httpResp.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(httpResp.Body, 1<<20))
		return nil, p.fail(req, transport.Classify(httpResp.StatusCode, httpResp.Header, raw))
	}
	var m *message
	if stream {
		m, err = readStream(httpResp.Body)
	} else {
		m, err = readJSON(httpResp.Body)
	}
	if err != nil {
		return nil, p.fail(req, classifyRead(ctx, err))
	}
	resp := m.response()
	resp.Latency, resp.Attempts = time.Since(start), max(1, attempts.Count())
	resp.RateLimit = transport.RateLimit(httpResp.Header, time.Now())
	if err := check(req, m, resp); err != nil {
		return resp, p.fail(req, err)
	}
	return resp, nil
}

func (p *Provider) send(ctx context.Context, body []byte) (*http.Response, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.Header.Set("X-Api-Key", p.cfg.APIKey)
	r.Header.Set("Anthropic-Version", p.cfg.Version)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	return p.cfg.HTTPClient.Do(r)
}

// classifyRead types a failure while reading a 200 body.
func classifyRead(ctx context.Context, err error) error {
	var e *llm.Error
	if errors.As(err, &e) {
		return e
	}
	return transport.ClassifyErr(ctx, err)
}

func (p *Provider) fail(req *llm.Request, err error) error {
	var e *llm.Error
	if errors.As(err, &e) {
		e.Provider, e.Model = p.Name(), req.Model
		return e
	}
	return fmt.Errorf("%s %s: %w", p.Name(), req.Model, err)
}
