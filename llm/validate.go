package llm

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// FieldError is one problem of a model entry: the field it is about, as a
// path inside the entry (["sim", "rate_limit_rate"]), and what is wrong.
type FieldError struct {
	Path []string
	Msg  string
}

// Error formats the error as "FIELD: message", FIELD dotted.
func (e *FieldError) Error() string { return strings.Join(e.Path, ".") + ": " + e.Msg }

// FieldPath returns Path; the pipeline loader reports the problem at the
// position of that field.
func (e *FieldError) FieldPath() []string { return e.Path }

// SpecError lists every problem of one model entry.
type SpecError struct {
	Model  string
	Fields []*FieldError
}

func (e *SpecError) Error() string {
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Error()
	}
	return fmt.Sprintf("model %q: %s", e.Model, strings.Join(msgs, "; "))
}

// Unwrap returns the field errors, so errors.As finds each of them.
func (e *SpecError) Unwrap() []error {
	errs := make([]error, len(e.Fields))
	for i, f := range e.Fields {
		errs[i] = f
	}
	return errs
}

// sampling is what a provider accepts for the sampling parameters. A range
// is [min, max]; max +Inf means no upper bound.
type sampling struct {
	tempMax float64
	// topPOpen: top_p must be above 0 (vLLM), not merely >= 0.
	topPOpen bool
	topK     topKRule
	source   string // the documentation the ranges come from
}

type topKRule int

const (
	topKNone        topKRule = iota // the API has no top_k
	topKNonNegative                 // an integer >= 0
	topKVLLM                        // -1 (off) or an integer >= 1
)

// samplingRanges are the documented sampling ranges per provider:
//
//   - anthropic: Messages API, https://docs.anthropic.com/en/api/messages:
//     temperature 0–1, top_p 0–1, top_k an integer >= 0.
//   - openai: Chat Completions, https://platform.openai.com/docs/api-reference/chat/create:
//     temperature 0–2, top_p 0–1; there is no top_k (the provider refuses
//     to send it).
//   - openrouter: https://openrouter.ai/docs/api-reference/parameters:
//     temperature 0–2, top_p 0–1, top_k an integer >= 0.
//   - vllm: SamplingParams._verify_args, https://docs.vllm.ai/en/latest/api/vllm/sampling_params.html:
//     temperature >= 0, top_p in (0, 1], top_k -1 (off) or >= 1 (0 is
//     refused by vLLM releases before 0.9: "top_k must be -1 (disable), or
//     at least 1, got 0", vllm-project/vllm#17553).
//   - llamacpp: llama.cpp server README (tools/server/README.md): temperature,
//     top_p 0–1, top_k (<= 0 turns it off); negative temperatures are
//     refused here although the server maps them to greedy sampling.
//   - ollama: OpenAI compatibility, https://docs.ollama.com/api/openai-compatibility:
//     temperature and top_p are supported request fields, top_k is not (it
//     would be dropped silently; set it in the Modelfile).
//   - sim accepts the union of the above, so a sim stand-in for any real
//     model validates.
var samplingRanges = map[string]sampling{
	ProviderAnthropic:  {tempMax: 1, topK: topKNonNegative, source: "Anthropic Messages API"},
	ProviderOpenAI:     {tempMax: 2, topK: topKNone, source: "OpenAI Chat Completions API"},
	ProviderOpenRouter: {tempMax: 2, topK: topKNonNegative, source: "OpenRouter API"},
	ProviderVLLM:       {tempMax: math.Inf(1), topPOpen: true, topK: topKVLLM, source: "vLLM"},
	ProviderLlamaCpp:   {tempMax: math.Inf(1), topK: topKNonNegative, source: "llama.cpp server"},
	ProviderOllama:     {tempMax: math.Inf(1), topK: topKNone, source: "Ollama OpenAI compatibility"},
	ProviderSim:        {tempMax: 2, topK: topKNonNegative, source: "sim"},
}

// Anthropic extended thinking, https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking:
// budget_tokens >= 1024 and below max_tokens; thinking is not compatible
// with temperature or top_k modifications, and top_p may only be set to a
// value between 0.95 and 1.
const (
	anthropicMinThinking  = 1024
	anthropicThinkingTopP = 0.95
)

// envNameRE is the syntax of an environment variable name (POSIX portable
// names, as shells accept them).
var envNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// check validates the filled-in spec; it assumes the fields parsed.
func (m *ModelSpec) check() []*FieldError {
	var errs []*FieldError
	bad := func(field, format string, args ...any) {
		// Top-level fields have no dot; an extra key may.
		errs = append(errs, &FieldError{Path: strings.SplitN(field, ".", 2), Msg: fmt.Sprintf(format, args...)})
	}
	m.checkModel(bad)
	if _, ok := defaults[m.Provider]; !ok {
		bad("provider", "%q: want one of %s", m.Provider, strings.Join(Providers(), ", "))
		return errs // every other check depends on the provider
	}
	m.checkBaseURL(bad)
	m.checkAPIKeyEnv(bad)
	m.checkTokenParam(bad)
	m.checkSampling(bad)
	m.checkOpenAIReasoning(bad)
	m.checkThinking(bad)
	m.checkExtra(bad)
	m.checkBudgets(bad)
	m.checkExecution(bad)
	return errs
}

type badFunc func(field, format string, args ...any)

func (m *ModelSpec) checkModel(bad badFunc) {
	switch {
	case m.Model == "":
		bad("model", "required")
	case strings.TrimSpace(m.Model) != m.Model:
		bad("model", "%q: leading or trailing white space", m.Model)
	case strings.ContainsFunc(m.Model, unicode.IsControl):
		bad("model", "%q: contains a control character", m.Model)
	}
}

func (m *ModelSpec) checkAPIKeyEnv(bad badFunc) {
	switch {
	case m.APIKeyEnv == "":
	case m.Provider == ProviderSim: // a run would demand the variable for nothing
		bad("api_key_env", "the sim provider sends no requests; remove api_key_env")
	case !envNameRE().MatchString(m.APIKeyEnv):
		bad("api_key_env", "%q: want an environment variable name (letters, digits and _, not starting with a digit)", m.APIKeyEnv)
	}
}

// checkBudgets: 0 (or absent) is no limit; an extends child writes 0 to
// lift its base's limit.
func (m *ModelSpec) checkBudgets(bad badFunc) {
	for _, b := range []struct {
		name string
		v    int
	}{{"rpm", m.RPM}, {"tpm", m.TPM}, {"input_tpm", m.InputTPM}, {"output_tpm", m.OutputTPM}, {"concurrency", m.Concurrency}} {
		if b.v < 0 {
			bad(b.name, "%d: want a positive integer (0 or absent: no limit)", b.v)
		}
	}
}

// checkBaseURL requires an absolute http(s) URL with a host and without
// query, fragment or credentials. The OpenAI-compatible providers post to
// BASE/chat/completions and every server they name serves it under /v1,
// so a bare host is refused; Anthropic's base may be given with or
// without /v1 (AnthropicAPIRoot).
func (m *ModelSpec) checkBaseURL(bad badFunc) {
	if m.Provider == ProviderSim {
		if m.BaseURL != "" {
			bad("base_url", "the sim provider sends no requests; remove base_url")
		}
		return
	}
	u, err := url.Parse(m.BaseURL)
	switch {
	case err != nil:
		bad("base_url", "%q: %v", m.BaseURL, urlErrMsg(err))
	case u.Scheme != "http" && u.Scheme != "https":
		bad("base_url", "%q: want an http:// or https:// URL", m.BaseURL)
	case u.Host == "" || u.Hostname() == "":
		bad("base_url", "%q: no host", m.BaseURL)
	case u.User != nil:
		bad("base_url", "%q: credentials do not belong in the URL; name the key's variable in api_key_env", redactURL(u))
	case u.RawQuery != "" || u.ForceQuery:
		bad("base_url", "%q: a base URL takes no query (?…)", m.BaseURL)
	case u.Fragment != "" || strings.Contains(m.BaseURL, "#"):
		bad("base_url", "%q: a base URL takes no fragment (#…)", m.BaseURL)
	default:
		m.checkBasePath(bad, strings.TrimRight(u.Path, "/"))
	}
}

func (m *ModelSpec) checkBasePath(bad badFunc, path string) {
	if strings.HasSuffix(path, "/v1/v1") {
		bad("base_url", "%q: repeats /v1; write %s", m.BaseURL, strings.TrimSuffix(strings.TrimRight(m.BaseURL, "/"), "/v1"))
		return
	}
	if m.Provider == ProviderAnthropic {
		if strings.HasSuffix(path, "/messages") {
			bad("base_url", "%q: give the API root (https://api.anthropic.com or …/v1), not the endpoint; sptflow adds /v1/messages", m.BaseURL)
		}
		return
	}
	switch {
	case strings.HasSuffix(path, "/chat/completions"):
		bad("base_url", "%q: give the API root (…/v1), not the endpoint; sptflow adds /chat/completions", m.BaseURL)
	case path == "":
		bad("base_url", "%q: the OpenAI-compatible API is served under a path such as /v1 (write %s/v1)", m.BaseURL, strings.TrimRight(m.BaseURL, "/"))
	}
}

// urlErrMsg returns the innermost message of a url.Parse error.
func urlErrMsg(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = url.User("REDACTED")
	return c.String()
}

func (m *ModelSpec) checkTokenParam(bad badFunc) {
	if m.TokenParam == "" {
		return
	}
	if !m.openAICompatible() {
		bad("token_param", "only for OpenAI-compatible providers, not %s", m.Provider)
		return
	}
	if m.TokenParam != TokenParamMaxTokens && m.TokenParam != TokenParamMaxCompletionTokens {
		bad("token_param", "%q: want max_tokens or max_completion_tokens", m.TokenParam)
	}
}

// checkOpenAIReasoning: OpenAI's reasoning models (o1, o3, o4, gpt-5 but
// gpt-5-chat) take max_completion_tokens ("max_tokens … is not compatible
// with o-series models", https://platform.openai.com/docs/api-reference/chat/create)
// and refuse any temperature or top_p but the default 1 ("Unsupported
// value: 'temperature' does not support 0.5 with this model. Only the
// default (1) value is supported.").
func (m *ModelSpec) checkOpenAIReasoning(bad badFunc) {
	if m.Provider != ProviderOpenAI || !openAIReasoningModel(m.Model) {
		return
	}
	if m.TokenParam == TokenParamMaxTokens {
		bad("token_param", "%q: OpenAI reasoning models (%s) take max_completion_tokens", m.TokenParam, m.Model)
	}
	for _, s := range []struct {
		name string
		v    *float64
	}{{"temperature", m.Temperature}, {"top_p", m.TopP}} {
		if s.v != nil && *s.v != 1 {
			bad(s.name, "%g: OpenAI reasoning models (%s) accept only the default 1 (remove it)", *s.v, m.Model)
		}
	}
}

func openAIReasoningModel(model string) bool {
	if strings.HasPrefix(model, "gpt-5-chat") {
		return false
	}
	return defaultTokenParam(model) == TokenParamMaxCompletionTokens
}

func (m *ModelSpec) checkSampling(bad badFunc) {
	r := samplingRanges[m.Provider]
	if t := m.Temperature; t != nil && (*t < 0 || *t > r.tempMax) {
		bad("temperature", "%g: want a number in %s (%s)", *t, interval(0, r.tempMax, false), r.source)
	}
	if p := m.TopP; p != nil && (*p < 0 || *p > 1 || (r.topPOpen && *p == 0)) {
		bad("top_p", "%g: want a number in %s (%s)", *p, interval(0, 1, r.topPOpen), r.source)
	}
	if k := m.TopK; k != nil {
		switch r.topK {
		case topKNone:
			bad("top_k", "the %s takes no top_k; remove it", r.source)
		case topKNonNegative:
			if *k < 0 {
				bad("top_k", "%d: want an integer >= 0 (%s)", *k, r.source)
			}
		case topKVLLM:
			if *k == 0 || *k < -1 {
				bad("top_k", "%d: want -1 (off) or an integer >= 1 (%s)", *k, r.source)
			}
		}
	}
}

func interval(lo, hi float64, openLo bool) string {
	l := "["
	if openLo {
		l = "("
	}
	if math.IsInf(hi, 1) {
		return fmt.Sprintf("%s%g, ∞)", l, lo)
	}
	return fmt.Sprintf("%s%g, %g]", l, lo, hi)
}

// checkThinking: only anthropic, openrouter (as reasoning.max_tokens) and
// sim take a thinking budget; it must be below max_tokens; Anthropic adds
// its own constraints.
func (m *ModelSpec) checkThinking(bad badFunc) {
	switch {
	case m.Thinking < 0:
		bad("thinking", "%d: want 0 (off) or a token budget", m.Thinking)
		return
	case m.Thinking == 0:
		return
	}
	switch m.Provider {
	case ProviderAnthropic, ProviderOpenRouter, ProviderSim:
	default:
		bad("thinking", "the %s provider takes no thinking budget; set its reasoning fields through extra", m.Provider)
		return
	}
	if !m.SupportsThinking {
		bad("thinking", "%d: model does not support thinking (set supports_thinking: true if it does)", m.Thinking)
	}
	if m.Thinking >= m.MaxTokens && m.MaxTokens > 0 {
		bad("thinking", "%d: budget must be below max_tokens %d", m.Thinking, m.MaxTokens)
	}
	if m.Provider == ProviderAnthropic {
		m.checkAnthropicThinking(bad)
	}
}

func (m *ModelSpec) checkAnthropicThinking(bad badFunc) {
	const why = "with thinking, Anthropic"
	if m.Thinking < anthropicMinThinking {
		bad("thinking", "%d: %s requires a budget of at least %d tokens", m.Thinking, why, anthropicMinThinking)
	}
	if m.Temperature != nil && *m.Temperature != 1 {
		bad("temperature", "%g: %s accepts no temperature but 1 (remove it)", *m.Temperature, why)
	}
	if m.TopK != nil {
		bad("top_k", "%d: %s accepts no top_k (remove it)", *m.TopK, why)
	}
	if m.TopP != nil && *m.TopP < anthropicThinkingTopP {
		bad("top_p", "%g: %s accepts top_p only in [%g, 1]", *m.TopP, why, anthropicThinkingTopP)
	}
}

// reservedExtra are the body fields sptflow sets itself; extra may not
// override them (a request would then differ from what its key says, or
// break the response parser).
var reservedExtra = map[bool][]string{ // by openAICompatible()
	false: {"max_tokens", "messages", "model", "stream", "system", "temperature", "thinking",
		"tool_choice", "tools", "top_k", "top_p"},
	true: {"function_call", "functions", "max_completion_tokens", "max_tokens", "messages", "model",
		"response_format", "stream", "stream_options", "temperature", "tool_choice", "tools", "top_k", "top_p"},
}

func (m *ModelSpec) checkExtra(bad badFunc) {
	if len(m.Extra) == 0 {
		return
	}
	keys := make([]string, 0, len(m.Extra))
	for k := range m.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	reserved := reservedExtra[m.openAICompatible()]
	for _, k := range keys {
		switch {
		case slices.Contains(reserved, k):
			bad("extra."+k, "sptflow sets this field itself; use the model entry's own settings")
		case k == "reasoning" && m.Provider == ProviderOpenRouter && m.Thinking > 0:
			bad("extra."+k, "thinking %d sets reasoning already; use one or the other", m.Thinking)
		default:
			if _, err := json.Marshal(m.Extra[k]); err != nil {
				bad("extra."+k, "not JSON: %v", err)
			}
		}
	}
}

// ForcedToolProblem says why the model cannot serve requests that force a
// tool call (Request.ForceTool), or returns "". Anthropic refuses thinking
// combined with a forced tool_choice (extended-thinking documentation,
// "Tool use with thinking only supports tool_choice auto or none").
func (m *ModelSpec) ForcedToolProblem() string {
	if m.Provider == ProviderAnthropic && m.Thinking > 0 {
		return fmt.Sprintf("model %q has thinking %d, and Anthropic refuses thinking with a forced tool call, which this step sends; name a model entry without thinking",
			m.Name, m.Thinking)
	}
	return ""
}

// CheckCanary checks the response to the canary of a batch (the one
// request of a new request shape sent online before a batch of that shape
// is submitted) beyond the provider's own response checks: a forced tool
// was called with a JSON object, structured output is JSON, and the model
// neither refused nor ran out of tokens in a structured answer. A canary
// that fails it fails its batch before submission: a shape whose answers
// are unusable would be paid for, at the batch price, a day later.
func CheckCanary(req *Request, resp *Response) error {
	if resp == nil {
		return fmt.Errorf("canary: no response")
	}
	if resp.StopReason == StopRefusal {
		return fmt.Errorf("canary: the model refused the request")
	}
	if req.ForceTool != "" {
		tc := resp.Tool(req.ForceTool)
		if tc == nil {
			return fmt.Errorf("canary: no call of the forced tool %s", req.ForceTool)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(tc.Arguments, &obj); err != nil {
			return fmt.Errorf("canary: the arguments of %s are not a JSON object: %w", req.ForceTool, err)
		}
	}
	if len(req.JSONSchema) > 0 {
		if resp.StopReason == StopMaxTokens {
			return fmt.Errorf("canary: structured output cut at max_tokens %d", req.MaxTokens)
		}
		if !json.Valid([]byte(resp.Text)) {
			return fmt.Errorf("canary: structured output is not JSON")
		}
	}
	return nil
}
