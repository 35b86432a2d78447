// Package transport builds the HTTP stack every sptflow LLM provider sits
// on: a go-retryablehttp client that keeps the final error body, waits as
// the server asks (Retry-After on any status, capped, with jitter), never
// retries exhausted quota, stops on cancellation, and reports every HTTP
// response to an llm.Observer. It also classifies failed responses into
// *llm.Error and reads rate-limit headers, for all providers alike.
package transport

import (
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/llm"
)

// Defaults applied by New for zero Config fields.
const (
	DefaultMaxRetries = 4
	DefaultMinWait    = 500 * time.Millisecond
	DefaultMaxWait    = 60 * time.Second
)

// Config describes the HTTP stack. Zero values take the defaults above; a
// negative MaxRetries means no retries at all.
type Config struct {
	MaxRetries int           // retries after the first attempt
	MinWait    time.Duration // first exponential backoff step
	MaxWait    time.Duration // cap on every wait, Retry-After included
	// Timeout bounds each attempt until the response headers arrive
	// (0 = none). Long streamed bodies are bounded by IdleTimeout instead.
	Timeout time.Duration
	// IdleTimeout fails a body read that makes no progress for this long
	// (a stalled stream); 0 = none.
	IdleTimeout time.Duration
	Observer    llm.Observer   // sees every response, retried ones included
	Logger      zerolog.Logger // debug lines for retries; zero value = silent
	// Base is the innermost RoundTripper (nil = a pooled http.Transport).
	Base http.RoundTripper
}

func (c Config) withDefaults() Config {
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.MinWait <= 0 {
		c.MinWait = DefaultMinWait
	}
	if c.MaxWait <= 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.MaxWait < c.MinWait {
		c.MaxWait = c.MinWait
	}
	return c
}

// newRetryable returns the configured retrying client.
func newRetryable(cfg Config) *retryablehttp.Client {
	cfg = cfg.withDefaults()
	inner := &http.Client{Transport: &observer{
		base:          baseTransport(cfg),
		obs:           cfg.Observer,
		headerTimeout: cfg.Timeout,
		idleTimeout:   cfg.IdleTimeout,
	}}
	log := cfg.Logger
	return &retryablehttp.Client{
		HTTPClient:   inner,
		Logger:       nil,
		RetryWaitMin: cfg.MinWait,
		RetryWaitMax: cfg.MaxWait,
		RetryMax:     cfg.MaxRetries,
		CheckRetry:   CheckRetry,
		Backoff:      Backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		RequestLogHook: func(_ retryablehttp.Logger, r *http.Request, retry int) {
			if retry > 0 {
				log.Debug().Str("url", r.URL.Redacted()).Int("retry", retry).Msg("retrying request")
			}
		},
	}
}

// New returns an *http.Client over the retrying stack, usable by
// go-openai (any Doer) and by the Anthropic client alike. Safe for
// concurrent use; share one per provider.
func New(cfg Config) *http.Client {
	return newRetryable(cfg).StandardClient()
}

func baseTransport(cfg Config) http.RoundTripper {
	// Timeout is enforced by the observer layer, so it holds for Base too.
	if cfg.Base != nil {
		return cfg.Base
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
