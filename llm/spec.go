package llm

import (
	"maps"
	"strings"
	"time"
)

// Provider kinds a model entry may name.
const (
	ProviderAnthropic  = "anthropic"
	ProviderOpenAI     = "openai"
	ProviderOpenRouter = "openrouter"
	ProviderVLLM       = "vllm"
	ProviderLlamaCpp   = "llamacpp"
	ProviderOllama     = "ollama"
	ProviderSim        = "sim"
)

// Token-limit parameter names of the OpenAI-compatible API.
const (
	TokenParamMaxTokens           = "max_tokens"
	TokenParamMaxCompletionTokens = "max_completion_tokens"
)

// providerDefaults are the per-provider defaults of a model entry.
type providerDefaults struct {
	baseURL   string
	apiKeyEnv string
	thinking  bool // supports_thinking default
}

var defaults = map[string]providerDefaults{
	ProviderAnthropic:  {"https://api.anthropic.com/v1", "ANTHROPIC_API_KEY", true},
	ProviderOpenAI:     {"https://api.openai.com/v1", "OPENAI_API_KEY", false},
	ProviderOpenRouter: {"https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", false},
	ProviderVLLM:       {"http://localhost:8000/v1", "", false},
	ProviderLlamaCpp:   {"http://localhost:8080/v1", "", false},
	ProviderOllama:     {"http://localhost:11434/v1", "", false},
	ProviderSim:        {"", "", true},
}

// Providers returns the provider kinds a model entry may name, sorted.
func Providers() []string {
	return []string{ProviderAnthropic, ProviderLlamaCpp, ProviderOllama, ProviderOpenAI,
		ProviderOpenRouter, ProviderSim, ProviderVLLM}
}

// Prices are USD per million tokens. BatchDiscount is the fraction taken off
// every price for batch-API calls (0.5 = half price).
type Prices struct {
	Input, Output, CacheRead, CacheWrite float64
	BatchDiscount                        float64
}

// IsZero reports whether no price is set.
func (p Prices) IsZero() bool { return p == Prices{} }

// SimOptions configure the sim provider. Rates are probabilities in [0, 1]
// drawn per attempt from a hash of the request, so a run is reproducible.
type SimOptions struct {
	Latency time.Duration // base latency of every call
	// LatencyJitter adds up to this much (uniform) to Latency; with
	// HeavyTail it is the scale of a Pareto tail instead.
	LatencyJitter       time.Duration
	HeavyTail           bool
	RateLimitRate       float64 // simulated 429s
	ServerErrorRate     float64 // simulated 5xx
	TruncationRate      float64 // simulated max-tokens cut inside the tool JSON
	ReviewRejectionRate float64 // for SPT review responders: share of rejected reviews
	RetryAfter          time.Duration
}

// ModelSpec is a pipeline `models:` entry, validated. ParseModelSpec fills
// every default, so two entries that mean the same model are equal.
type ModelSpec struct {
	Name      string // the entry's name in the pipeline
	Provider  string // one of Providers()
	Model     string // provider model id
	BaseURL   string // default per provider
	APIKeyEnv string // default per provider; "" for sim and local servers

	MaxTokens  int
	TokenParam string // max_tokens | max_completion_tokens (openai-compatible only)

	Temperature, TopP *float64
	TopK              *int

	Thinking         int  // thinking budget in tokens; 0 = off
	SupportsThinking bool // capability: may Thinking be > 0
	// NoThinkSuffix is appended to the system prompt (Qwen's "\n\n/no_think").
	NoThinkSuffix string
	// Extra are provider body fields (OpenRouter reasoning, provider); never
	// one sptflow sets itself (reservedExtra).
	Extra map[string]any

	RPM, TPM, InputTPM, OutputTPM, Concurrency int // budgets; 0 = unlimited / provider default

	Prices Prices
	Sim    SimOptions

	// Execution is how requests are sent: ExecOnline (default), ExecBatch
	// (the provider's batch API, at Prices.BatchDiscount) or ExecAuto
	// (batch when a stage has at least BatchThreshold requests to send).
	// It never changes a request key or a node key: a batch result lands
	// where an online response would.
	Execution      string
	BatchThreshold int
}

// ParseModelSpec validates the raw `models:` entry called name. It is strict:
// unknown fields, wrong types, values outside the provider's documented
// ranges and illegal combinations are errors; all problems are reported at
// once, as a *SpecError listing one *FieldError per problem. A spec it
// returns connects (package llm/connect) and builds requests without a
// configuration error.
func ParseModelSpec(name string, raw map[string]any) (*ModelSpec, error) {
	p := &fieldParser{raw: raw, seen: map[string]bool{}}
	m := &ModelSpec{Name: name}
	m.Provider = p.str("provider")
	m.Model = p.str("model")
	m.BaseURL = p.str("base_url")
	m.APIKeyEnv = p.str("api_key_env")
	maxTokens := p.optInt("max_tokens")
	m.TokenParam = p.str("token_param")
	m.Temperature = p.optFloat("temperature")
	m.TopP = p.optFloat("top_p")
	m.TopK = p.optInt("top_k")
	m.Thinking = p.int("thinking")
	supports := p.optBool("supports_thinking")
	m.NoThinkSuffix = p.str("no_think_suffix")
	m.Extra = p.mapField("extra")
	m.RPM, m.TPM = p.int("rpm"), p.int("tpm")
	m.InputTPM, m.OutputTPM = p.int("input_tpm"), p.int("output_tpm")
	m.Concurrency = p.int("concurrency")
	m.Prices = p.prices("prices")
	m.Sim = p.sim("sim")
	m.Execution = p.str("execution")
	m.BatchThreshold = p.int("batch_threshold")
	p.unknown()
	if maxTokens != nil {
		m.MaxTokens = *maxTokens
		if m.MaxTokens <= 0 {
			p.fail("max_tokens", "%d: want a positive number of tokens", m.MaxTokens)
		}
	}
	m.fillDefaults(supports)
	errs := append(p.errs, m.check()...)
	if len(errs) > 0 {
		return nil, &SpecError{Model: name, Fields: errs}
	}
	if m.Provider == ProviderAnthropic {
		m.BaseURL = AnthropicAPIRoot(m.BaseURL)
	}
	return m, nil
}

func (m *ModelSpec) fillDefaults(supports *bool) {
	d, ok := defaults[m.Provider]
	if !ok {
		return
	}
	if m.BaseURL == "" {
		m.BaseURL = d.baseURL
	}
	if m.APIKeyEnv == "" {
		m.APIKeyEnv = d.apiKeyEnv
	}
	m.SupportsThinking = d.thinking
	if supports != nil {
		m.SupportsThinking = *supports
	}
	if m.MaxTokens == 0 {
		m.MaxTokens = 4096
	}
	if m.Execution == "" {
		m.Execution = ExecOnline
	}
	if m.BatchThreshold == 0 {
		m.BatchThreshold = DefaultBatchThreshold
	}
	if m.TokenParam == "" && m.openAICompatible() {
		m.TokenParam = defaultTokenParam(m.Model)
	}
}

// defaultTokenParam follows the original pipeline: reasoning models (gpt-5*,
// o1*, o3*, o4*) take max_completion_tokens.
func defaultTokenParam(model string) string {
	for _, p := range []string{"gpt-5", "o1", "o3", "o4"} {
		if strings.HasPrefix(model, p) {
			return TokenParamMaxCompletionTokens
		}
	}
	return TokenParamMaxTokens
}

// AnthropicAPIRoot returns the Messages API root of an Anthropic base URL,
// which ends in /v1 (the provider posts to ROOT/messages). Both conventions
// are accepted: the SDKs' (https://api.anthropic.com, to which they add
// /v1) and the full root (https://api.anthropic.com/v1). "" stays "".
func AnthropicAPIRoot(base string) string {
	if base == "" {
		return ""
	}
	base = strings.TrimRight(base, "/")
	if strings.HasSuffix(base, "/v1") {
		return base
	}
	return base + "/v1"
}

func (m *ModelSpec) openAICompatible() bool {
	switch m.Provider {
	case ProviderOpenAI, ProviderOpenRouter, ProviderVLLM, ProviderLlamaCpp, ProviderOllama:
		return true
	}
	return false
}

// Canonical is what goes into node keys: every field that can change what
// the model returns (provider kind, model, sampling, limits, thinking,
// extras, sim behaviour), and nothing that cannot (base URL, key variable,
// budgets, concurrency, prices, latency).
func (m *ModelSpec) Canonical() map[string]any {
	c := map[string]any{
		"provider":   m.Provider,
		"model":      m.Model,
		"max_tokens": m.MaxTokens,
		"thinking":   m.Thinking,
	}
	putIf(c, "token_param", m.TokenParam, m.TokenParam != "")
	putIf(c, "no_think_suffix", m.NoThinkSuffix, m.NoThinkSuffix != "")
	putIf(c, "extra", maps.Clone(m.Extra), len(m.Extra) > 0)
	if m.Temperature != nil {
		c["temperature"] = *m.Temperature
	}
	if m.TopP != nil {
		c["top_p"] = *m.TopP
	}
	if m.TopK != nil {
		c["top_k"] = *m.TopK
	}
	if m.Provider == ProviderSim {
		c["sim"] = map[string]any{
			"rate_limit_rate":       m.Sim.RateLimitRate,
			"server_error_rate":     m.Sim.ServerErrorRate,
			"truncation_rate":       m.Sim.TruncationRate,
			"review_rejection_rate": m.Sim.ReviewRejectionRate,
		}
	}
	return c
}

func putIf(m map[string]any, k string, v any, ok bool) {
	if ok {
		m[k] = v
	}
}

// Apply returns a copy of req with the spec's settings filled in where the
// request leaves them unset: model, max tokens, sampling, thinking, the
// no-think suffix on the system prompt, and extra body fields (request
// values win). Clients key and send the applied request.
func (m *ModelSpec) Apply(req *Request) *Request {
	r := *req
	if r.Model == "" {
		r.Model = m.Model
	}
	if r.MaxTokens == 0 {
		r.MaxTokens = m.MaxTokens
	}
	if r.Temperature == nil {
		r.Temperature = m.Temperature
	}
	if r.TopP == nil {
		r.TopP = m.TopP
	}
	if r.TopK == nil {
		r.TopK = m.TopK
	}
	if r.Thinking == nil && m.Thinking > 0 {
		r.Thinking = &Thinking{BudgetTokens: m.Thinking}
	}
	if m.NoThinkSuffix != "" && !strings.HasSuffix(r.System, m.NoThinkSuffix) {
		r.System += m.NoThinkSuffix
	}
	if len(m.Extra) > 0 {
		extra := maps.Clone(m.Extra)
		maps.Copy(extra, r.Extra)
		r.Extra = extra
	}
	return &r
}
