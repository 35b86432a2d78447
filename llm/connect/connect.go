// Package connect builds the concrete provider for a model entry: it is the
// llm.Connector the command passes to llm.NewRuntime. It lives apart from
// package llm because the providers import llm.
package connect

import (
	"fmt"
	"net/http"
	"time"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/anthropic"
	"github.com/sptflow/sptflow/llm/openai"
	"github.com/sptflow/sptflow/llm/sim"
	"github.com/sptflow/sptflow/llm/transport"
)

// HTTP settings of every HTTP provider. The transport does not retry:
// every attempt goes back through the llm.Client and so through the
// model's governor, which paces it (a retry the governor does not see would
// exceed the budget and turn one 429 into a cascade), pauses every worker
// on a 429 and backs off after 5xx/529 and network errors.
var httpConfig = transport.Config{
	MaxRetries:  -1,
	Timeout:     10 * time.Minute,
	IdleTimeout: 5 * time.Minute,
}

var _ llm.Connector = Connect

// Connect is the llm.Connector for every provider kind sptflow knows.
func Connect(spec *llm.ModelSpec, env llm.ConnectEnv) (llm.Provider, error) {
	switch spec.Provider {
	case llm.ProviderSim:
		return sim.Connect(spec, env)
	case llm.ProviderAnthropic:
		return simulatedByServer(anthropic.New(anthropic.Config{
			APIKey:     env.APIKey,
			BaseURL:    llm.AnthropicAPIRoot(env.BaseURL), // with or without /v1
			HTTPClient: HTTPClient(env),
			Log:        env.Log,
		}))
	case llm.ProviderOpenAI, llm.ProviderOpenRouter, llm.ProviderVLLM, llm.ProviderLlamaCpp, llm.ProviderOllama:
		return simulatedByServer(openai.New(openai.Config{
			APIKey:     env.APIKey,
			BaseURL:    env.BaseURL,
			HTTPClient: HTTPClient(env),
			Flavor:     spec.Provider,
			TokenParam: spec.TokenParam,
			Log:        env.Log,
		}))
	}
	return nil, fmt.Errorf("no provider for %q", spec.Provider)
}

// HTTPClient is the retrying, observed HTTP client of one model.
func HTTPClient(env llm.ConnectEnv) *http.Client {
	cfg := httpConfig
	cfg.Observer = env.Observer
	cfg.Logger = env.Log
	return transport.New(cfg)
}
