package openai

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/llm/transport"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

const key = "sk-test-secret-0123456789"

var schema = json.RawMessage(`{"type":"object","properties":{"verdict":{"type":"string","enum":["PASS","FAIL"]},"confidence":{"type":"integer","minimum":1,"maximum":5}},"required":["verdict","confidence"],"additionalProperties":false}`)

func ptr[T any](v T) *T { return &v }

func toolRequest() *llm.Request {
	return &llm.Request{
		Model: "gpt-5", System: "You are a careful reviewer.",
		Messages:  []llm.Message{{Role: llm.RoleUser, Content: "Review sample 1."}},
		Tools:     []llm.Tool{{Name: "stage_3_review", Description: "review the data", InputSchema: schema}},
		ForceTool: "stage_3_review", Temperature: ptr(0.0), MaxTokens: 1000,
	}
}

func newProvider(t *testing.T, srv *llmtest.Server, cfg Config, tc transport.Config) *Provider {
	t.Helper()
	if tc.MinWait == 0 {
		tc.MinWait = time.Millisecond
	}
	if tc.MaxWait == 0 {
		tc.MaxWait = 20 * time.Millisecond
	}
	cfg.APIKey, cfg.BaseURL, cfg.HTTPClient = key, srv.URL, transport.New(tc)
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGoldenRequests(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		req  func() *llm.Request
	}{
		{"openai_forced_tool", Config{}, toolRequest},
		{"openai_json_schema", Config{TokenParam: MaxTokens}, func() *llm.Request {
			r := toolRequest()
			r.Model, r.Tools, r.ForceTool, r.JSONSchema, r.TopP = "gpt-4o", nil, "", schema, ptr(0.9)
			return r
		}},
		{"openrouter_extras", Config{Flavor: FlavorOpenRouter, Headers: map[string]string{"X-Title": "sptflow"}}, func() *llm.Request {
			r := toolRequest()
			r.Model, r.TopK, r.TopP, r.Temperature = "qwen/qwen3-32b", ptr(20), ptr(0.95), ptr(0.7)
			r.Extra = map[string]any{"reasoning": map[string]any{"enabled": false}, "provider": map[string]any{"order": []string{"groq"}}}
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewOpenAI(llmtest.Options{APIKey: key, Flavor: tt.cfg.Flavor})
			defer srv.Close()
			p := newProvider(t, srv, tt.cfg, transport.Config{})
			if _, err := p.Call(context.Background(), tt.req()); err != nil {
				t.Fatalf("Call: %v", err)
			}
			got := srv.Requests()[0].Body
			llmtest.CheckGolden(t, filepath.Join("testdata", tt.name+".golden.json"), got, *update)
			if !strings.Contains(string(got), `"temperature":`) {
				t.Error("temperature missing from the body")
			}
			h := srv.Requests()[0].Header
			if h.Get("Authorization") != llmtest.Redacted {
				t.Errorf("recorded Authorization %q, want it redacted", h.Get("Authorization"))
			}
			if tt.cfg.Flavor == FlavorOpenRouter && h.Get("X-Title") != "sptflow" {
				t.Error("configured header not sent")
			}
		})
	}
}

func TestCallSuccess(t *testing.T) {
	srv := llmtest.NewOpenAI(llmtest.Options{Flavor: FlavorOpenRouter, Faults: []llmtest.Fault{{Reasoning: "thinking aloud"}}})
	defer srv.Close()
	p := newProvider(t, srv, Config{Flavor: FlavorOpenRouter}, transport.Config{})
	resp, err := p.Call(context.Background(), toolRequest())
	if err != nil {
		t.Fatal(err)
	}
	tc := resp.Tool("stage_3_review")
	var args struct {
		Verdict    string
		Confidence int
	}
	if tc == nil || json.Unmarshal(tc.Arguments, &args) != nil || args.Confidence < 1 || args.Confidence > 5 {
		t.Fatalf("tool call %+v", resp.ToolCalls)
	}
	if resp.StopReason != llm.StopToolUse || resp.Model != "gpt-5" || resp.Attempts != 1 || resp.Usage.InputTokens == 0 ||
		resp.Usage.ProviderCostUSD == nil || resp.Reasoning != "thinking aloud" || resp.RateLimit.RequestsLimit == 0 {
		t.Errorf("response %+v", resp)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name     string
		flavor   string
		faults   []llmtest.Fault
		tc       transport.Config
		wantKind llm.ErrorKind // "" = success
		wantReqs int
		minWait  time.Duration
	}{
		{"429 retry-after seconds", "", []llmtest.Fault{llmtest.RateLimited("0.1")}, transport.Config{MaxWait: time.Second}, "", 2, 100 * time.Millisecond},
		{"429 retry-after date", "", []llmtest.Fault{llmtest.RateLimited(time.Now().Add(time.Hour).UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))}, transport.Config{}, "", 2, 20 * time.Millisecond},
		{"429 no retry-after", "", []llmtest.Fault{llmtest.RateLimited(""), llmtest.RateLimited("")}, transport.Config{}, "", 3, 0},
		{"429 exhausts retries", "", []llmtest.Fault{llmtest.RateLimited(""), llmtest.RateLimited(""), llmtest.RateLimited("")}, transport.Config{MaxRetries: 2}, llm.KindRateLimited, 3, 0},
		{"quota 429 not retried", "", []llmtest.Fault{llmtest.QuotaExhausted()}, transport.Config{}, llm.KindQuotaExhausted, 1, 0},
		{"openrouter 402 not retried", FlavorOpenRouter, []llmtest.Fault{llmtest.PaymentRequired()}, transport.Config{}, llm.KindQuotaExhausted, 1, 0},
		{"500 502 503 recovered", "", []llmtest.Fault{llmtest.ServerError(500), llmtest.ServerError(502), llmtest.ServerError(503)}, transport.Config{}, "", 4, 0},
		{"context too long", "", []llmtest.Fault{{Status: 400, Message: "This model's maximum context length is 128000 tokens."}}, transport.Config{}, llm.KindContextTooLong, 1, 0},
		{"invalid request", "", []llmtest.Fault{{Status: 400}}, transport.Config{}, llm.KindInvalidRequest, 1, 0},
		{"auth", "", []llmtest.Fault{{Status: 401}}, transport.Config{}, llm.KindAuth, 1, 0},
		{"reset recovered", "", []llmtest.Fault{llmtest.ConnReset()}, transport.Config{}, "", 2, 0},
		{"reset always", "", []llmtest.Fault{llmtest.ConnReset(), llmtest.ConnReset()}, transport.Config{MaxRetries: 1}, llm.KindNetwork, 2, 0},
		{"slow headers retried", "", []llmtest.Fault{{Delay: time.Second}}, transport.Config{Timeout: 50 * time.Millisecond}, "", 2, 0},
		{"stalled body", "", []llmtest.Fault{{StallAfter: 1}}, transport.Config{IdleTimeout: 50 * time.Millisecond}, llm.KindTimeout, 1, 0},
		{"malformed body", "", []llmtest.Fault{{Body: `{"id":"x","choices":[{"message":`}}, transport.Config{}, llm.KindServer, 1, 0},
		{"error inside 200", FlavorOpenRouter, []llmtest.Fault{{ErrorIn200: true, Status: 502}}, transport.Config{}, llm.KindServer, 1, 0},
		{"quota inside 200", FlavorOpenRouter, []llmtest.Fault{{ErrorIn200: true, Status: 402, Message: "Insufficient credits"}}, transport.Config{}, llm.KindQuotaExhausted, 1, 0},
		{"truncated arguments", "", []llmtest.Fault{{Truncate: true}}, transport.Config{}, llm.KindTruncated, 1, 0},
		{"malformed arguments", "", []llmtest.Fault{{ToolArgs: `{"verdict": PASS`}}, transport.Config{}, llm.KindMalformedArguments, 1, 0},
		{"content filter", "", []llmtest.Fault{{StopReason: "content_filter"}}, transport.Config{}, llm.KindRefusal, 1, 0},
		{"empty", "", []llmtest.Fault{{Empty: true}}, transport.Config{}, llm.KindEmpty, 1, 0},
		{"529 recovered", "", []llmtest.Fault{llmtest.Overloaded()}, transport.Config{}, "", 2, 0},
		{"529 always", "", []llmtest.Fault{llmtest.Overloaded(), llmtest.Overloaded()}, transport.Config{MaxRetries: 1}, llm.KindOverloaded, 2, 0},
		// Error bodies that are not OpenAI's {"error":{...}} reach the
		// provider as go-openai's *RequestError.
		{"vllm error body", FlavorVLLM, []llmtest.Fault{{Status: 400, Body: `{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}`}}, transport.Config{}, llm.KindContextTooLong, 1, 0},
		{"ollama error body", FlavorOllama, []llmtest.Fault{{Status: 404, Body: `{"error":"model \"qwen3\" not found, try pulling it first"}`}}, transport.Config{}, llm.KindInvalidRequest, 1, 0},
		{"html 502 always", "", []llmtest.Fault{{Status: 502, Body: "<html>Bad Gateway</html>"}, {Status: 502, Body: "<html>Bad Gateway</html>"}}, transport.Config{MaxRetries: 1}, llm.KindServer, 2, 0},
		{"300 is no success", "", []llmtest.Fault{{Status: 300, Body: `{"choices":[]}`}}, transport.Config{}, llm.KindServer, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewOpenAI(llmtest.Options{Faults: tt.faults, Flavor: tt.flavor})
			defer srv.Close()
			if tt.tc.MaxRetries == 0 {
				tt.tc.MaxRetries = 3
			}
			cfg := Config{Flavor: tt.flavor}
			if tt.flavor == FlavorVLLM || tt.flavor == FlavorOllama {
				cfg.TokenParam = MaxCompletionTokens // the request's top_k is refused for flavor openai only
			}
			p := newProvider(t, srv, cfg, tt.tc)
			start := time.Now()
			resp, err := p.Call(context.Background(), toolRequest())
			llmtest.CheckCall(t, srv, start, resp, err,
				llmtest.Outcome{Kind: tt.wantKind, Requests: tt.wantReqs, MinWait: tt.minWait, Secret: key})
		})
	}
}

func TestCancelDuringRetryWait(t *testing.T) {
	srv := llmtest.NewOpenAI(llmtest.Options{Faults: []llmtest.Fault{llmtest.RateLimited("30")}})
	defer srv.Close()
	p := newProvider(t, srv, Config{}, transport.Config{MinWait: time.Millisecond, MaxWait: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := p.Call(ctx, toolRequest())
	if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("err %v after %v, want context.Canceled promptly", err, time.Since(start))
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	tests := []struct {
		name string
		edit func(*llm.Request)
	}{
		{"top_k on OpenAI", func(r *llm.Request) { r.TopK = ptr(5) }},
		{"thinking on OpenAI", func(r *llm.Request) { r.Thinking = &llm.Thinking{BudgetTokens: 1000} }},
		// go-openai's own check: gpt-6-sol reasons by default, and then
		// takes tools only through the Responses API.
		{"go-openai model check", func(r *llm.Request) { r.Model = "gpt-6-sol" }},
		{"extra field not JSON", func(r *llm.Request) { r.Extra = map[string]any{"bad": make(chan int)} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewOpenAI(llmtest.Options{})
			defer srv.Close()
			p := newProvider(t, srv, Config{}, transport.Config{})
			req := toolRequest()
			tt.edit(req)
			_, err := p.Call(context.Background(), req)
			var e *llm.Error
			if !errors.As(err, &e) || e.Kind != llm.KindInvalidRequest || e.Provider != "openai" || srv.Count() != 0 {
				t.Errorf("err %v after %d requests, want an invalid_request *llm.Error before sending", err, srv.Count())
			}
		})
	}
}

// TestErrorFromResponse checks the typed error of a failed response: the
// status and Retry-After come from the response go-openai returns with its
// *APIError, the kind from the error object.
func TestErrorFromResponse(t *testing.T) {
	tests := []struct {
		name      string
		fault     llmtest.Fault
		wantKind  llm.ErrorKind
		wantRetry time.Duration
	}{
		{"429 retry-after", llmtest.RateLimited("7"), llm.KindRateLimited, 7 * time.Second},
		{"503 retry-after", llmtest.Fault{Status: 503, RetryAfter: "3"}, llm.KindServer, 3 * time.Second},
		{"quota", llmtest.QuotaExhausted(), llm.KindQuotaExhausted, 0},
		{"openrouter 402 code", llmtest.Fault{Status: 402, Message: "Insufficient credits"}, llm.KindQuotaExhausted, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewOpenAI(llmtest.Options{Faults: []llmtest.Fault{tt.fault}, Flavor: FlavorOpenRouter})
			defer srv.Close()
			p := newProvider(t, srv, Config{Flavor: FlavorOpenRouter}, transport.Config{MaxRetries: -1})
			_, err := p.Call(context.Background(), toolRequest())
			var e *llm.Error
			if !errors.As(err, &e) {
				t.Fatalf("err %v, want *llm.Error", err)
			}
			if e.Kind != tt.wantKind || e.Status != tt.fault.Status || e.RetryAfter != tt.wantRetry || e.Message == "" || e.Model != "gpt-5" {
				t.Errorf("got %+v, want kind %s, status %d, retry after %v, a message", e, tt.wantKind, tt.fault.Status, tt.wantRetry)
			}
		})
	}
}

// TestUsage checks the usage go-openai decodes plus the cost it does not
// model, against the fake's own formula (OpenRouter: $1/M in, $4/M out).
func TestUsage(t *testing.T) {
	srv := llmtest.NewOpenAI(llmtest.Options{Flavor: FlavorOpenRouter})
	defer srv.Close()
	p := newProvider(t, srv, Config{Flavor: FlavorOpenRouter}, transport.Config{})
	resp, err := p.Call(context.Background(), toolRequest())
	if err != nil {
		t.Fatal(err)
	}
	u := resp.Usage
	if u.InputTokens <= 0 || u.OutputTokens <= 0 || u.ProviderCostUSD == nil {
		t.Fatalf("usage %+v", u)
	}
	if want := float64(u.InputTokens)*0.000001 + float64(u.OutputTokens)*0.000004; *u.ProviderCostUSD != want {
		t.Errorf("cost %v, want %v", *u.ProviderCostUSD, want)
	}
}
