package llmtest

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestFaultRatesCheck(t *testing.T) {
	tests := []struct {
		name  string
		rates FaultRates
		want  string // "" or a part of the error
	}{
		{"none", FaultRates{}, ""},
		{"some", FaultRates{ServerError: 0.1, Truncation: 0.05, Malformed: 0.05, QuotaAfter: 3}, ""},
		{"all", FaultRates{RateLimit: 0.5, ServerError: 0.5}, ""},
		{"negative", FaultRates{Malformed: -0.1}, "malformed rate -0.1: want a probability in [0, 1]"},
		{"above one", FaultRates{Truncation: 1.5}, "truncation rate 1.5"},
		{"sum", FaultRates{RateLimit: 0.6, ServerError: 0.6}, "fault rates add up to 1.2: want at most 1"},
		{"quota", FaultRates{QuotaAfter: -1}, "quota after -1 requests"},
	}
	for _, tt := range tests {
		err := tt.rates.Check()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Check() got: %v want: %q", tt.name, err, tt.want)
		}
	}
}

// Each rate draws its share of the faults, shaped for the dialect, and the
// counts say what was served.
func TestChaosDraws(t *testing.T) {
	tool := Request{Body: []byte(`{"model":"m","tool_choice":{"type":"tool","name":"t"}}`)}
	plain := Request{Body: []byte(`{"model":"m"}`)}
	tests := []struct {
		name    string
		rates   FaultRates
		dialect string
		req     Request
		kind    string
		check   func(Fault) bool
	}{
		{"rate limit", FaultRates{RateLimit: 0.3}, DialectOpenAI, plain, FaultRateLimit,
			func(f Fault) bool { return f.Status == 429 && f.RetryAfter == "1" }},
		{"anthropic 5xx", FaultRates{ServerError: 0.3}, DialectAnthropic, tool, FaultServerError,
			func(f Fault) bool { return f.Status == 529 || f.Status == 500 }},
		{"openai 5xx", FaultRates{ServerError: 0.3}, DialectOpenAI, plain, FaultServerError,
			func(f Fault) bool { return f.Status == 500 || f.Status == 503 }},
		{"truncation", FaultRates{Truncation: 0.3}, DialectAnthropic, tool, FaultTruncation,
			func(f Fault) bool { return f.Truncate }},
		{"malformed tool", FaultRates{Malformed: 0.3}, DialectAnthropic, tool, FaultMalformed,
			func(f Fault) bool { return f.ToolArgs != "" && !json.Valid([]byte(f.ToolArgs)) }},
		{"malformed body", FaultRates{Malformed: 0.3}, DialectOpenRouter, plain, FaultMalformed,
			func(f Fault) bool { return f.Body != "" && !json.Valid([]byte(f.Body)) }},
		{"reset", FaultRates{Reset: 0.3}, DialectOpenAI, plain, FaultReset, func(f Fault) bool { return f.Reset }},
	}
	const n = 2000
	for _, tt := range tests {
		c, err := NewChaos(tt.rates, 7)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for range n {
			f, ok := c.Draw(tt.req, tt.dialect)
			if !ok {
				continue
			}
			got++
			if !tt.check(f) {
				t.Errorf("%s: fault %+v has the wrong shape", tt.name, f)
				break
			}
		}
		if math.Abs(float64(got)/n-0.3) > 0.05 {
			t.Errorf("%s: %d of %d requests got a fault, want about 30%%", tt.name, got, n)
		}
		if c.Counts()[tt.kind] != got {
			t.Errorf("%s: Counts()[%s] got: %d want: %d", tt.name, tt.kind, c.Counts()[tt.kind], got)
		}
	}
}

// After QuotaAfter requests (across dialects) every request is refused
// for exhausted quota, in the provider's own way.
func TestChaosQuota(t *testing.T) {
	c, err := NewChaos(FaultRates{QuotaAfter: 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	dialects := []string{DialectAnthropic, DialectOpenAI, DialectOpenRouter, DialectAnthropic, DialectOpenAI, DialectOpenRouter}
	var got []int
	for _, d := range dialects {
		f, ok := c.Draw(Request{}, d)
		if !ok {
			got = append(got, 200)
			continue
		}
		got = append(got, f.Status)
		if d != DialectOpenRouter && f.ErrorType != "insufficient_quota" {
			t.Errorf("%s quota fault %+v: want error type insufficient_quota", d, f)
		}
	}
	want := []int{200, 200, 200, 429, 429, 402}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses got: %v want: %v", got, want)
		}
	}
	if c.Counts()[FaultQuota] != 3 {
		t.Errorf("quota count got: %d want: 3", c.Counts()[FaultQuota])
	}
}

// The quota fault reaches the wire as each provider words it.
func TestChaosQuotaOnTheWire(t *testing.T) {
	c, _ := NewChaos(FaultRates{QuotaAfter: 1}, 1)
	srv := NewAnthropic(Options{Script: c.Script(DialectAnthropic, nil)})
	defer srv.Close()
	if resp, _ := post(t, srv.URL+"/messages", anthropicBody(false, "")); resp.StatusCode != 200 {
		t.Fatalf("first request: %d, want 200", resp.StatusCode)
	}
	resp, body := post(t, srv.URL+"/messages", anthropicBody(false, ""))
	if resp.StatusCode != 400 || !strings.Contains(string(body), "credit balance is too low") {
		t.Errorf("after the quota: %d %s, want 400 credit balance is too low", resp.StatusCode, body)
	}
}

// PerModel budgets: each model has its own RPM bucket; the 429s are
// counted in Stats.
func TestPerModelRPM(t *testing.T) {
	srv := NewOpenAI(Options{RPM: 60, PerModel: true, Forget: true})
	defer srv.Close()
	body := func(model string) string { return strings.Replace(openaiBody(false), `"gpt-x"`, `"`+model+`"`, 1) }
	var statuses []int
	for _, m := range []string{"a", "b", "a", "b"} {
		resp, _ := post(t, srv.URL+"/chat/completions", body(m))
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	want := []int{200, 200, 429, 429}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses got: %v want: %v (one request a second per model)", statuses, want)
		}
	}
	st := srv.Stats()
	if st.RateLimited != 2 || st.Requests != 4 || len(srv.Requests()) != 0 {
		t.Errorf("stats got: %d rate limited, %d requests, %d kept; want 2, 4, 0 (Forget)", st.RateLimited, st.Requests, len(srv.Requests()))
	}
}

// ModelPrefix labels the served model; a name already labelled is kept.
func TestModelPrefix(t *testing.T) {
	srv := NewOpenAI(Options{ModelPrefix: "fake/"})
	defer srv.Close()
	for _, tt := range []struct{ requested, served string }{{"gpt-x", "fake/gpt-x"}, {"fake/gpt-y", "fake/gpt-y"}} {
		_, b := post(t, srv.URL+"/chat/completions", strings.Replace(openaiBody(false), `"gpt-x"`, `"`+tt.requested+`"`, 1))
		var v struct{ Model string }
		if err := json.Unmarshal(b, &v); err != nil || v.Model != tt.served {
			t.Errorf("requested %s: served %q (%v), want %q", tt.requested, v.Model, err, tt.served)
		}
	}
	if _, ok := srv.Stats().Billed["gpt-x"]; !ok {
		t.Errorf("billed %v: want the requested model's name", srv.Stats().Billed)
	}
}

// Jitter adds a uniform delay below LatencyJitter to the base latency.
func TestLatencyJitter(t *testing.T) {
	f := NewOpenAIHandler(Options{Latency: 10 * time.Millisecond, LatencyJitter: 20 * time.Millisecond, Seed: 3})
	lo, hi := time.Hour, time.Duration(0)
	for range 500 {
		d := f.latency()
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 10*time.Millisecond || hi >= 30*time.Millisecond || hi-lo < 15*time.Millisecond {
		t.Errorf("latencies in [%v, %v], want spread over [10ms, 30ms)", lo, hi)
	}
}
