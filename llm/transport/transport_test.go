package transport

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
		wantOK bool
	}{
		{"absent", nil, 0, false},
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second, true},
		{"fraction", map[string]string{"Retry-After": "0.25"}, 250 * time.Millisecond, true},
		{"http date", map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second, true},
		{"past date", map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0, true},
		{"ms wins", map[string]string{"Retry-After-Ms": "1500", "Retry-After": "9"}, 1500 * time.Millisecond, true},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0, false},
		{"negative", map[string]string{"Retry-After": "-3"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			got, ok := RetryAfter(h, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("RetryAfter = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	min, max := 100*time.Millisecond, 2*time.Second
	withRA := func(v string) *http.Response {
		return &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {v}}}
	}
	tests := []struct {
		name    string
		attempt int
		resp    *http.Response
		lo, hi  time.Duration
	}{
		{"first exponential", 0, nil, 50 * time.Millisecond, 100 * time.Millisecond},
		{"third exponential", 2, &http.Response{StatusCode: 500, Header: http.Header{}}, 200 * time.Millisecond, 400 * time.Millisecond},
		{"exponential capped", 30, nil, time.Second, max},
		{"retry-after on 503", 0, withRA("1"), time.Second, 1100 * time.Millisecond},
		{"retry-after capped", 0, withRA("3600"), max, max},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 {
				got := Backoff(min, max, tt.attempt, tt.resp)
				if got < tt.lo || got > tt.hi {
					t.Fatalf("Backoff = %v, want in [%v, %v]", got, tt.lo, tt.hi)
				}
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   llm.ErrorKind
		msg    string
	}{
		{"anthropic 429", 429, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`, llm.KindRateLimited, "Number of request tokens"},
		{"anthropic 529", 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, llm.KindOverloaded, "Overloaded"},
		{"anthropic 500", 500, `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`, llm.KindServer, "Internal server error"},
		{"anthropic 401", 401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, llm.KindAuth, "invalid x-api-key"},
		{"anthropic 400", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"tools.0.name: bad"}}`, llm.KindInvalidRequest, "tools.0"},
		{"anthropic too long", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}`, llm.KindContextTooLong, "prompt is too long"},
		{"anthropic credit", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}`, llm.KindQuotaExhausted, "credit balance"},
		{"openai 429 rate", 429, `{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}`, llm.KindRateLimited, "Rate limit"},
		{"openai quota", 429, `{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}`, llm.KindQuotaExhausted, "exceeded your current quota"},
		{"openai context", 400, `{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`, llm.KindContextTooLong, "maximum context length"},
		{"openai 503", 503, `{"error":{"message":"The engine is currently overloaded","type":"server_error"}}`, llm.KindServer, "engine"},
		{"openrouter 402", 402, `{"error":{"code":402,"message":"Insufficient credits. Add more using https://openrouter.ai/credits"}}`, llm.KindQuotaExhausted, "Insufficient credits"},
		{"openrouter 502", 502, `{"error":{"code":502,"message":"Provider returned error","metadata":{"provider_name":"X"}}}`, llm.KindServer, "Provider returned"},
		{"vllm 400", 400, `{"object":"error","message":"max_tokens is too large","type":"BadRequestError","code":400}`, llm.KindInvalidRequest, "max_tokens"},
		{"ollama string", 404, `{"error":"model 'x' not found"}`, llm.KindInvalidRequest, "not found"},
		{"html 502", 502, `<html>bad gateway</html>`, llm.KindServer, "Bad Gateway"},
		{"408", 408, ``, llm.KindTimeout, "Request Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.status, http.Header{"Retry-After": {"2"}}, []byte(tt.body))
			if got.Kind != tt.want || got.Status != tt.status || got.RetryAfter != 2*time.Second {
				t.Errorf("got %s/%d/%v, want %s/%d/2s", got.Kind, got.Status, got.RetryAfter, tt.want, tt.status)
			}
			if !strings.Contains(got.Message, tt.msg) {
				t.Errorf("message %q, want it to contain %q", got.Message, tt.msg)
			}
		})
	}
}

func TestClassifyBody(t *testing.T) {
	info, ok := ParseError([]byte(`{"id":"x","error":{"code":502,"message":"upstream died"}}`))
	if !ok {
		t.Fatal("ParseError found no error object")
	}
	got := ClassifyBody(info)
	if got.Kind != llm.KindServer || got.Status != 502 {
		t.Errorf("got %s/%d, want server/502", got.Kind, got.Status)
	}
	if _, ok := ParseError([]byte(`{"id":"x","choices":[]}`)); ok {
		t.Error("ParseError found an error object in a normal body")
	}
}

func TestCheckRetry(t *testing.T) {
	resp := func(status int, body string, h ...string) *http.Response {
		hdr := http.Header{}
		for i := 0; i+1 < len(h); i += 2 {
			hdr.Set(h[i], h[i+1])
		}
		return &http.Response{StatusCode: status, Header: hdr, Body: io.NopCloser(strings.NewReader(body))}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		resp *http.Response
		err  error
		want bool
	}{
		{"200", context.Background(), resp(200, ""), nil, false},
		{"429 rate", context.Background(), resp(429, `{"error":{"type":"requests","code":"rate_limit_exceeded"}}`), nil, true},
		{"429 quota", context.Background(), resp(429, `{"error":{"type":"insufficient_quota","code":"insufficient_quota","message":"quota"}}`), nil, false},
		{"402", context.Background(), resp(402, `{"error":{"code":402}}`), nil, false},
		{"500", context.Background(), resp(500, ""), nil, true},
		{"501", context.Background(), resp(501, ""), nil, false},
		{"529", context.Background(), resp(529, ""), nil, true},
		{"400", context.Background(), resp(400, ""), nil, false},
		{"401", context.Background(), resp(401, ""), nil, false},
		{"x-should-retry false", context.Background(), resp(500, "", "X-Should-Retry", "false"), nil, false},
		{"x-should-retry true", context.Background(), resp(400, "", "X-Should-Retry", "true"), nil, true},
		{"conn reset", context.Background(), nil, errors.New("read: connection reset by peer"), true},
		{"cancelled", cancelled, resp(500, ""), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := CheckRetry(tt.ctx, tt.resp, tt.err)
			if got != tt.want {
				t.Errorf("CheckRetry = %v, want %v", got, tt.want)
			}
		})
	}
	// The peeked body is still readable in full.
	r := resp(429, `{"error":{"code":"rate_limit_exceeded"}}`)
	_, _ = CheckRetry(context.Background(), r, nil)
	if b, _ := io.ReadAll(r.Body); !strings.Contains(string(b), "rate_limit_exceeded") {
		t.Errorf("body after CheckRetry = %q, want it intact", b)
	}
}

type countingObserver struct {
	mu       sync.Mutex
	statuses []int
}

func (o *countingObserver) ObserveResponse(status int, _ http.Header, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.statuses = append(o.statuses, status)
}

// scripted serves the given statuses in order (the last one repeats).
func scripted(t *testing.T, statuses []int, header http.Header, body string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		s := statuses[min(i, len(statuses)-1)]
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(s)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestClientRetries(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		body      string
		header    http.Header
		wantCalls int
		wantFinal int
	}{
		{"recovers after 500 and 529", []int{500, 529, 200}, `{}`, nil, 3, 200},
		{"gives up after retries", []int{503}, `{"error":{"message":"down"}}`, nil, 3, 503},
		{"no retry of 400", []int{400, 200}, `{"error":{"message":"bad"}}`, nil, 1, 400},
		{"no retry of quota 429", []int{429, 200}, `{"error":{"type":"insufficient_quota","code":"insufficient_quota","message":"quota"}}`, nil, 1, 429},
		{"no retry of 402", []int{402, 200}, `{"error":{"code":402,"message":"Insufficient credits"}}`, nil, 1, 402},
		{"retry 429 with Retry-After", []int{429, 200}, `{}`, http.Header{"Retry-After": {"0.01"}}, 2, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := scripted(t, tt.statuses, tt.header, tt.body)
			obs := &countingObserver{}
			c := New(Config{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond, Observer: obs})
			ctx, att := WithAttempts(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL, strings.NewReader(`{"x":1}`))
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantFinal || string(body) != tt.body {
				t.Errorf("final = %d %q, want %d %q", resp.StatusCode, body, tt.wantFinal, tt.body)
			}
			if int(calls.Load()) != tt.wantCalls || att.Count() != tt.wantCalls || len(obs.statuses) != tt.wantCalls {
				t.Errorf("calls %d, attempts %d, observed %d; want %d each", calls.Load(), att.Count(), len(obs.statuses), tt.wantCalls)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	srv, _ := scripted(t, []int{429, 200}, http.Header{"Retry-After": {"0.2"}}, `{}`)
	c := New(Config{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Second})
	start := time.Now()
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := time.Since(start); got < 200*time.Millisecond || got > 800*time.Millisecond {
		t.Errorf("waited %v, want about the 200ms Retry-After", got)
	}
}

func TestCancelStopsWait(t *testing.T) {
	srv, calls := scripted(t, []int{429}, http.Header{"Retry-After": {"30"}}, `{}`)
	c := New(Config{MaxRetries: 3, MaxWait: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	start := time.Now()
	_, err := c.Do(req)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if got := time.Since(start); got > time.Second {
		t.Errorf("returned after %v, want promptly after cancel", got)
	}
	if calls.Load() != 1 {
		t.Errorf("calls = %d, want 1", calls.Load())
	}
}

func TestHeaderTimeout(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := New(Config{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond, Timeout: 100 * time.Millisecond})
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "ok" || calls.Load() != 2 {
		t.Errorf("body %q after %d calls, want ok after 2", b, calls.Load())
	}

	c = New(Config{MaxRetries: -1, Timeout: 50 * time.Millisecond})
	calls.Store(0)
	_, err = c.Get(srv.URL)
	ce := ClassifyErr(context.Background(), err)
	if llm.KindOf(ce) != llm.KindTimeout {
		t.Errorf("kind = %q (%v), want timeout", llm.KindOf(ce), err)
	}
}

func TestIdleTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	c := New(Config{IdleTimeout: 100 * time.Millisecond})
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	b, err := io.ReadAll(resp.Body)
	if !errors.Is(err, ErrStalled) || string(b) != "data: first\n\n" {
		t.Errorf("read %q, %v; want the first event then ErrStalled", b, err)
	}
	if llm.KindOf(ClassifyErr(context.Background(), err)) != llm.KindTimeout {
		t.Errorf("stall not classified as timeout")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("stall detected after %v", d)
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Date(2025, 8, 21, 12, 40, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    map[string]string
		want llm.RateLimitInfo
	}{
		{"anthropic", map[string]string{
			"anthropic-ratelimit-requests-limit": "1000", "anthropic-ratelimit-requests-remaining": "999",
			"anthropic-ratelimit-requests-reset": "2025-08-21T12:40:59Z",
			"anthropic-ratelimit-tokens-limit":   "96000", "anthropic-ratelimit-tokens-remaining": "95000",
			"anthropic-ratelimit-input-tokens-limit": "80000", "anthropic-ratelimit-output-tokens-limit": "16000",
		}, llm.RateLimitInfo{RequestsLimit: 1000, RequestsRemaining: 999, TokensLimit: 96000, TokensRemaining: 95000,
			InputTokensLimit: 80000, OutputTokensLimit: 16000, Reset: 59 * time.Second}},
		{"openai", map[string]string{
			"x-ratelimit-limit-requests": "5000", "x-ratelimit-remaining-requests": "4999",
			"x-ratelimit-limit-tokens": "160000", "x-ratelimit-remaining-tokens": "159976",
			"x-ratelimit-reset-requests": "12ms", "x-ratelimit-reset-tokens": "6m0s",
		}, llm.RateLimitInfo{RequestsLimit: 5000, RequestsRemaining: 4999, TokensLimit: 160000, TokensRemaining: 159976, Reset: 6 * time.Minute}},
		{"openrouter", map[string]string{
			"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "3",
			"X-RateLimit-Reset": "1755780030000",
		}, llm.RateLimitInfo{RequestsLimit: 20, RequestsRemaining: 3, Reset: 30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.h {
				h.Set(k, v)
			}
			if got := RateLimit(h, now); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
