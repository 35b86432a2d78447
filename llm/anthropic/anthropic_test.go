package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/llm/transport"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

const key = "fake-anthropic-test-secret-0123456789"

var schema = json.RawMessage(`{"type":"object","properties":{"verdict":{"type":"string","enum":["PASS","FAIL"]},"confidence":{"type":"integer","minimum":1,"maximum":5}},"required":["verdict","confidence"]}`)

func ptr[T any](v T) *T { return &v }

func toolRequest() *llm.Request {
	return &llm.Request{
		Model: "claude-sonnet-4-5", System: "You are a careful reviewer.",
		Messages:  []llm.Message{{Role: llm.RoleUser, Content: "Review sample 1."}},
		Tools:     []llm.Tool{{Name: "stage_3_review", Description: "review the data", InputSchema: schema}},
		ForceTool: "stage_3_review", Temperature: ptr(0.0), MaxTokens: 1000,
	}
}

func newProvider(t *testing.T, srv *llmtest.Server, tc transport.Config) *Provider {
	t.Helper()
	if tc.MinWait == 0 {
		tc.MinWait = time.Millisecond
	}
	if tc.MaxWait == 0 {
		tc.MaxWait = 20 * time.Millisecond
	}
	if tc.MaxRetries == 0 {
		tc.MaxRetries = 3
	}
	p, err := New(Config{APIKey: key, BaseURL: srv.URL, HTTPClient: transport.New(tc)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGoldenRequests(t *testing.T) {
	tests := []struct {
		name string
		req  func() *llm.Request
	}{
		{"anthropic_forced_tool", toolRequest},
		{"anthropic_thinking_stream", func() *llm.Request {
			r := toolRequest()
			r.Tools, r.ForceTool, r.Temperature, r.MaxTokens = nil, "", nil, 40000
			r.Thinking = &llm.Thinking{BudgetTokens: 8000}
			return r
		}},
		{"anthropic_extra_topk", func() *llm.Request {
			r := toolRequest()
			r.TopK, r.TopP = ptr(40), ptr(0.9)
			r.Extra = map[string]any{"metadata": map[string]any{"user_id": "sptflow"}}
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewAnthropic(llmtest.Options{APIKey: key})
			defer srv.Close()
			p := newProvider(t, srv, transport.Config{})
			if _, err := p.Call(context.Background(), tt.req()); err != nil {
				t.Fatalf("Call: %v", err)
			}
			rec := srv.Requests()[0]
			llmtest.CheckGolden(t, filepath.Join("testdata", tt.name+".golden.json"), rec.Body, *update)
			if rec.Header.Get("X-Api-Key") != llmtest.Redacted || rec.Header.Get("Anthropic-Version") != DefaultVersion {
				t.Errorf("headers %v", rec.Header)
			}
		})
	}
}

func TestCallSuccess(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "stream"}[stream], func(t *testing.T) {
			srv := llmtest.NewAnthropic(llmtest.Options{})
			defer srv.Close()
			p := newProvider(t, srv, transport.Config{})
			req := toolRequest()
			if stream {
				req.MaxTokens = 20000
			}
			first, err := p.Call(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			second, err := p.Call(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			var args struct {
				Verdict    string
				Confidence int
			}
			tc := first.Tool("stage_3_review")
			if tc == nil || json.Unmarshal(tc.Arguments, &args) != nil || args.Confidence < 1 {
				t.Fatalf("tool calls %+v", first.ToolCalls)
			}
			if string(second.Tool("stage_3_review").Arguments) != string(tc.Arguments) {
				t.Error("same request, different arguments")
			}
			if first.StopReason != llm.StopToolUse || first.Model != req.Model || first.Usage.OutputTokens == 0 ||
				first.Usage.CacheWriteTokens == 0 || second.Usage.CacheReadTokens != first.Usage.CacheWriteTokens ||
				first.RateLimit.RequestsLimit == 0 || first.Attempts != 1 {
				t.Errorf("first %+v\nsecond %+v", first, second)
			}
			if got := srv.Requests()[0].JSON()["stream"] == true; got != stream {
				t.Errorf("stream sent %v, want %v", got, stream)
			}
		})
	}
}

func TestThinkingText(t *testing.T) {
	srv := llmtest.NewAnthropic(llmtest.Options{})
	defer srv.Close()
	p := newProvider(t, srv, transport.Config{})
	req := toolRequest()
	req.Tools, req.ForceTool, req.MaxTokens, req.Thinking = nil, "", 20000, &llm.Thinking{BudgetTokens: 2000}
	resp, err := p.Call(context.Background(), req)
	if err != nil || resp.Reasoning == "" || resp.Text == "" || resp.StopReason != llm.StopEnd {
		t.Errorf("resp %+v, err %v", resp, err)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	srv := llmtest.NewAnthropic(llmtest.Options{})
	defer srv.Close()
	p := newProvider(t, srv, transport.Config{})
	tests := []struct {
		name string
		mod  func(*llm.Request)
	}{
		{"thinking with forced tool", func(r *llm.Request) { r.Thinking = &llm.Thinking{BudgetTokens: 500} }},
		{"budget over max tokens", func(r *llm.Request) { r.ForceTool, r.Thinking = "", &llm.Thinking{BudgetTokens: 5000} }},
		{"no max tokens", func(r *llm.Request) { r.MaxTokens = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := toolRequest()
			tt.mod(req)
			if _, err := p.Call(context.Background(), req); llm.KindOf(err) != llm.KindInvalidRequest {
				t.Errorf("err %v, want invalid_request", err)
			}
		})
	}
	if srv.Count() != 0 {
		t.Errorf("%d requests sent, want none", srv.Count())
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name     string
		faults   []llmtest.Fault
		stream   bool
		tc       transport.Config
		wantKind llm.ErrorKind
		wantReqs int
		minWait  time.Duration
	}{
		{"429 retry-after seconds", []llmtest.Fault{llmtest.RateLimited("0.1")}, false, transport.Config{MaxWait: time.Second}, "", 2, 100 * time.Millisecond},
		{"429 retry-after date", []llmtest.Fault{llmtest.RateLimited(time.Now().Add(time.Hour).UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))}, false, transport.Config{}, "", 2, 20 * time.Millisecond},
		{"429 no retry-after", []llmtest.Fault{llmtest.RateLimited("")}, false, transport.Config{}, "", 2, 0},
		{"529 overloaded retried", []llmtest.Fault{llmtest.Overloaded(), llmtest.Overloaded()}, false, transport.Config{}, "", 3, 0},
		{"529 exhausts retries", []llmtest.Fault{llmtest.Overloaded(), llmtest.Overloaded()}, false, transport.Config{MaxRetries: -1}, llm.KindOverloaded, 1, 0},
		{"500 api_error exhausts", []llmtest.Fault{llmtest.ServerError(500), llmtest.ServerError(500)}, false, transport.Config{MaxRetries: 1}, llm.KindServer, 2, 0},
		{"401", []llmtest.Fault{{Status: 401}}, false, transport.Config{}, llm.KindAuth, 1, 0},
		{"400", []llmtest.Fault{{Status: 400}}, false, transport.Config{}, llm.KindInvalidRequest, 1, 0},
		{"prompt too long", []llmtest.Fault{{Status: 400, Message: "prompt is too long: 210000 tokens > 200000 maximum"}}, false, transport.Config{}, llm.KindContextTooLong, 1, 0},
		{"credit balance", []llmtest.Fault{llmtest.QuotaExhausted()}, false, transport.Config{}, llm.KindQuotaExhausted, 1, 0},
		{"reset", []llmtest.Fault{llmtest.ConnReset()}, false, transport.Config{}, "", 2, 0},
		{"truncated json", []llmtest.Fault{{Truncate: true}}, false, transport.Config{}, llm.KindTruncated, 1, 0},
		{"truncated stream", []llmtest.Fault{{Truncate: true}}, true, transport.Config{}, llm.KindTruncated, 1, 0},
		{"malformed input stream", []llmtest.Fault{{ToolArgs: `{"verdict": "PASS", `}}, true, transport.Config{}, llm.KindMalformedArguments, 1, 0},
		{"malformed body", []llmtest.Fault{{ToolArgs: `{"verdict": PASS}`}}, false, transport.Config{}, llm.KindServer, 1, 0},
		{"mid-stream overloaded", []llmtest.Fault{{StreamError: true}}, true, transport.Config{}, llm.KindOverloaded, 1, 0},
		{"mid-stream api_error", []llmtest.Fault{{StreamError: true, Status: 500}}, true, transport.Config{}, llm.KindServer, 1, 0},
		{"stream reset", []llmtest.Fault{{ResetMidStream: true}}, true, transport.Config{}, llm.KindNetwork, 1, 0},
		{"stream stall", []llmtest.Fault{{StallAfter: 3}}, true, transport.Config{IdleTimeout: 50 * time.Millisecond}, llm.KindTimeout, 1, 0},
		{"refusal", []llmtest.Fault{{StopReason: "refusal"}}, false, transport.Config{}, llm.KindRefusal, 1, 0},
		{"empty", []llmtest.Fault{{Empty: true}}, true, transport.Config{}, llm.KindEmpty, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewAnthropic(llmtest.Options{Faults: tt.faults})
			defer srv.Close()
			p := newProvider(t, srv, tt.tc)
			req := toolRequest()
			if tt.stream {
				req.MaxTokens = 20000
			}
			start := time.Now()
			resp, err := p.Call(context.Background(), req)
			llmtest.CheckCall(t, srv, start, resp, err,
				llmtest.Outcome{Kind: tt.wantKind, Requests: tt.wantReqs, MinWait: tt.minWait, Secret: key})
		})
	}
}

func TestCancelDuringRetryWait(t *testing.T) {
	srv := llmtest.NewAnthropic(llmtest.Options{Faults: []llmtest.Fault{llmtest.Overloaded()}, Script: func(llmtest.Request) llmtest.Fault {
		return llmtest.Fault{Status: 529, RetryAfter: "30"}
	}})
	defer srv.Close()
	p := newProvider(t, srv, transport.Config{MaxWait: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := p.Call(ctx, toolRequest())
	if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("err %v after %v, want context.Canceled promptly", err, time.Since(start))
	}
}
