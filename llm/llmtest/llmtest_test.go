package llmtest

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

const toolSchema = `{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","properties":{"P":{"type":"string","enum":["PASS","FAIL"]},"confidence":{"type":"integer","minimum":1,"maximum":5}}}},"note":{"type":"string"}},"required":["items","note"]}`

func openaiBody(stream bool) string {
	return `{"model":"gpt-x","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":100,"stream":` +
		map[bool]string{true: "true", false: "false"}[stream] +
		`,"stream_options":{"include_usage":true},"tools":[{"type":"function","function":{"name":"grade","parameters":` + toolSchema +
		`}}],"tool_choice":{"type":"function","function":{"name":"grade"}}}`
}

func anthropicBody(stream bool, extra string) string {
	return `{"model":"claude-x","max_tokens":500,"stream":` + map[bool]string{true: "true", false: "false"}[stream] +
		`,"system":[{"type":"text","text":"be good","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"}],` +
		`"tools":[{"name":"grade","description":"d","input_schema":` + toolSchema + `}],"tool_choice":{"type":"tool","name":"grade"}` + extra + `}`
}

func post(t *testing.T, url, body string, h ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer sk-secret-key")
	req.Header.Set("X-Api-Key", "sk-secret-key")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	for i := 0; i+1 < len(h); i += 2 {
		req.Header.Set(h[i], h[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func checkArgs(t *testing.T, args string) {
	t.Helper()
	var v struct {
		Items []struct {
			P          string
			Confidence int
		}
		Note string
	}
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		t.Fatalf("arguments %q: %v", args, err)
	}
	if len(v.Items) == 0 || v.Note == "" {
		t.Errorf("arguments %s lack required fields", args)
	}
	for _, it := range v.Items {
		if (it.P != "PASS" && it.P != "FAIL") || it.Confidence < 1 || it.Confidence > 5 {
			t.Errorf("item %+v violates the schema", it)
		}
	}
}

func TestOpenAIDefaultToolCall(t *testing.T) {
	srv := NewOpenAI(Options{})
	defer srv.Close()
	resp, b := post(t, srv.URL+"/chat/completions", openaiBody(false))
	var got struct {
		Choices []struct {
			Message struct {
				ToolCalls []struct {
					Function struct{ Name, Arguments string }
				} `json:"tool_calls"`
			}
			FinishReason string `json:"finish_reason"`
		}
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		}
	}
	if err := json.Unmarshal(b, &got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d body %s: %v", resp.StatusCode, b, err)
	}
	c := got.Choices[0]
	if c.FinishReason != "tool_calls" || c.Message.ToolCalls[0].Function.Name != "grade" || got.Usage.PromptTokens == 0 {
		t.Errorf("reply %s", b)
	}
	checkArgs(t, c.Message.ToolCalls[0].Function.Arguments)
	if resp.Header.Get("X-Ratelimit-Limit-Requests") == "" {
		t.Error("no rate-limit headers")
	}
	// Deterministic: same request, same arguments.
	_, b2 := post(t, srv.URL+"/chat/completions", openaiBody(false))
	esc, _ := json.Marshal(c.Message.ToolCalls[0].Function.Arguments)
	if !strings.Contains(string(b2), string(esc)) {
		t.Error("same request gave different arguments")
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("Authorization") != Redacted || strings.Contains(r.Header.Get("X-Api-Key"), "secret") {
			t.Errorf("auth not redacted: %v", r.Header)
		}
	}
}

// readSSE returns the data payloads (and event names) of a stream.
func readSSE(b []byte) (events, data []string) {
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			events = append(events, v)
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			data = append(data, v)
		}
	}
	return events, data
}

func TestOpenAIStream(t *testing.T) {
	srv := NewOpenAI(Options{})
	defer srv.Close()
	_, b := post(t, srv.URL+"/chat/completions", openaiBody(true))
	_, data := readSSE(b)
	if data[len(data)-1] != "[DONE]" {
		t.Fatalf("last data %q, want [DONE]", data[len(data)-1])
	}
	var args strings.Builder
	finish, usage := "", false
	for _, d := range data[:len(data)-1] {
		var c struct {
			Choices []struct {
				Delta struct {
					ToolCalls []struct{ Function struct{ Arguments string } } `json:"tool_calls"`
				}
				FinishReason *string `json:"finish_reason"`
			}
			Usage *struct{} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(d), &c); err != nil {
			t.Fatalf("chunk %s: %v", d, err)
		}
		usage = usage || c.Usage != nil
		for _, ch := range c.Choices {
			for _, tc := range ch.Delta.ToolCalls {
				args.WriteString(tc.Function.Arguments)
			}
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
		}
	}
	checkArgs(t, args.String())
	if finish != "tool_calls" || !usage {
		t.Errorf("finish %q usage %v", finish, usage)
	}
}

func TestOpenAIFaults(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		fault      Fault
		wantStatus int
		wantBody   string
		wantHeader string
	}{
		{"429 seconds", Options{}, RateLimited("3"), 429, `"code":"rate_limit_exceeded"`, "3"},
		{"429 date", Options{}, RateLimited("Wed, 21 Oct 2037 07:28:00 GMT"), 429, `rate_limit_exceeded`, "Wed, 21 Oct 2037 07:28:00 GMT"},
		{"429 absent", Options{}, RateLimited(""), 429, `rate_limit_exceeded`, ""},
		{"quota", Options{}, QuotaExhausted(), 429, `"type":"insufficient_quota"`, ""},
		{"openrouter 402", Options{Flavor: "openrouter"}, PaymentRequired(), 402, `"code":402`, ""},
		{"503", Options{}, ServerError(503), 503, `"type":"server_error"`, ""},
		{"error in 200", Options{Flavor: "openrouter"}, Fault{ErrorIn200: true, Status: 502}, 200, `"error":{"code":502`, ""},
		{"truncated", Options{}, Fault{Truncate: true}, 200, `"finish_reason":"length"`, ""},
		{"content filter", Options{}, Fault{StopReason: "content_filter"}, 200, `"refusal":"I can't help with that."`, ""},
		{"malformed body", Options{}, Fault{Body: `{"choices":[`}, 200, `{"choices":[`, ""},
		{"bad args", Options{}, Fault{ToolArgs: `{"items":`}, 200, `"arguments":"{\"items\":"`, ""},
		{"openrouter reasoning and cost", Options{Flavor: "openrouter"}, Fault{Reasoning: "hmm"}, 200, `"reasoning":"hmm"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Faults = []Fault{tt.fault}
			srv := NewOpenAI(tt.opts)
			defer srv.Close()
			resp, b := post(t, srv.URL+"/chat/completions", openaiBody(false))
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(b), tt.wantBody) {
				t.Errorf("got %d %s\nwant %d containing %s", resp.StatusCode, b, tt.wantStatus, tt.wantBody)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.wantHeader {
				t.Errorf("Retry-After %q, want %q", got, tt.wantHeader)
			}
			// The queue is consumed: the next request succeeds.
			if resp, _ := post(t, srv.URL+"/chat/completions", openaiBody(false)); resp.StatusCode != 200 {
				t.Errorf("second request: %d", resp.StatusCode)
			}
		})
	}
}

func TestConnReset(t *testing.T) {
	srv := NewOpenAI(Options{Faults: []Fault{ConnReset()}})
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/chat/completions", strings.NewReader(openaiBody(false)))
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Error("no error on a reset connection")
	}
}

func TestStallMidStream(t *testing.T) {
	srv := NewOpenAI(Options{Faults: []Fault{{StallAfter: 2}}})
	defer srv.Close()
	client := &http.Client{Timeout: 300 * time.Millisecond}
	req, _ := http.NewRequest("POST", srv.URL+"/chat/completions", strings.NewReader(openaiBody(true)))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err == nil || !strings.Contains(string(b), "data: ") {
		t.Errorf("read %q, %v; want some events then a timeout", b, err)
	}
}

func TestEnforcingRPM(t *testing.T) {
	srv := NewOpenAI(Options{RPM: 600, BurstWindow: 500 * time.Millisecond}) // 10/s, bucket of 5
	defer srv.Close()
	var codes []int
	var retry string
	for range 8 {
		resp, _ := post(t, srv.URL+"/chat/completions", openaiBody(false))
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == 429 {
			retry = resp.Header.Get("Retry-After-Ms")
		}
	}
	ok := 0
	for _, c := range codes {
		if c == 200 {
			ok++
		}
	}
	if ok < 5 || ok > 6 || retry == "" {
		t.Errorf("codes %v (retry-after-ms %q), want 5 or 6 admitted then 429s with retry-after-ms", codes, retry)
	}
	time.Sleep(250 * time.Millisecond)
	if resp, _ := post(t, srv.URL+"/chat/completions", openaiBody(false)); resp.StatusCode != 200 {
		t.Errorf("after refill: %d", resp.StatusCode)
	}
}

func TestEnforcingTPM(t *testing.T) {
	srv := NewAnthropic(Options{TPM: 60000, BurstWindow: time.Second}) // 1000 tokens per second
	defer srv.Close()
	body := strings.Replace(anthropicBody(false, ""), `"max_tokens":500`, `"max_tokens":700`, 1)
	r1, _ := post(t, srv.URL+"/messages", body)
	r2, b2 := post(t, srv.URL+"/messages", body)
	if r1.StatusCode != 200 || r2.StatusCode != 429 || !strings.Contains(string(b2), "rate_limit_error") {
		t.Errorf("got %d then %d %s, want 200 then a rate_limit_error 429", r1.StatusCode, r2.StatusCode, b2)
	}
	if r2.Header.Get("Retry-After") != "1" || r2.Header.Get("Anthropic-Ratelimit-Tokens-Limit") != "60000" {
		t.Errorf("headers %v", r2.Header)
	}
}

func TestLatencyHeavyTail(t *testing.T) {
	f := NewOpenAIHandler(Options{Latency: 100 * time.Millisecond, LatencyTail: 1.5, Seed: 1})
	var ds []time.Duration
	for range 2001 {
		ds = append(ds, f.latency())
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	med, p99 := ds[1000], ds[1980]
	if med < 85*time.Millisecond || med > 115*time.Millisecond || p99 < 5*med {
		t.Errorf("median %v p99 %v: want median ≈100ms and a heavy tail", med, p99)
	}
}

func TestAnthropicJSONAndCache(t *testing.T) {
	srv := NewAnthropic(Options{APIKey: "sk-secret-key"})
	defer srv.Close()
	type msg struct {
		Content []struct {
			Type  string
			Name  string
			Input json.RawMessage
		}
		StopReason string `json:"stop_reason"`
		Usage      struct {
			Write int `json:"cache_creation_input_tokens"`
			Read  int `json:"cache_read_input_tokens"`
		}
	}
	var first, second msg
	_, b := post(t, srv.URL+"/messages", anthropicBody(false, ""))
	_ = json.Unmarshal(b, &first)
	_, b = post(t, srv.URL+"/messages", anthropicBody(false, ""))
	_ = json.Unmarshal(b, &second)
	if first.StopReason != "tool_use" || first.Content[0].Name != "grade" {
		t.Fatalf("reply %s", b)
	}
	checkArgs(t, string(first.Content[0].Input))
	if first.Usage.Write == 0 || first.Usage.Read != 0 || second.Usage.Read != first.Usage.Write {
		t.Errorf("cache usage first %+v second %+v", first.Usage, second.Usage)
	}
	resp, b := post(t, srv.URL+"/messages", anthropicBody(false, ""), "X-Api-Key", "wrong")
	if resp.StatusCode != 401 || !strings.Contains(string(b), "authentication_error") {
		t.Errorf("wrong key: %d %s", resp.StatusCode, b)
	}
	resp, b = post(t, srv.URL+"/messages", anthropicBody(false, `,"thinking":{"type":"enabled","budget_tokens":200}`))
	if resp.StatusCode != 400 || !strings.Contains(string(b), "Thinking may not be enabled") {
		t.Errorf("thinking with forced tool: %d %s", resp.StatusCode, b)
	}
}

func TestAnthropicStream(t *testing.T) {
	tests := []struct {
		name      string
		fault     Fault
		wantLast  string
		wantStop  string
		wantValid bool
	}{
		{"normal", Fault{}, "message_stop", "tool_use", true},
		{"truncated", Fault{Truncate: true}, "message_stop", "max_tokens", false},
		{"error event", Fault{StreamError: true}, "error", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewAnthropic(Options{Faults: []Fault{tt.fault}})
			defer srv.Close()
			_, b := post(t, srv.URL+"/messages", anthropicBody(true, ""))
			events, data := readSSE(b)
			if events[0] != "message_start" || events[len(events)-1] != tt.wantLast {
				t.Fatalf("events %v", events)
			}
			var partial strings.Builder
			stop := ""
			for _, d := range data {
				var e struct {
					Type  string
					Delta struct {
						PartialJSON string `json:"partial_json"`
						StopReason  string `json:"stop_reason"`
					}
				}
				_ = json.Unmarshal([]byte(d), &e)
				partial.WriteString(e.Delta.PartialJSON)
				if e.Type == "message_delta" {
					stop = e.Delta.StopReason
				}
			}
			if stop != tt.wantStop || json.Valid([]byte(partial.String())) != tt.wantValid {
				t.Errorf("stop %q, input %q", stop, partial.String())
			}
		})
	}
}

// TestStats: the fake bills whole replies, not errors, per requested
// model, and serves its counts at StatsPath without counting that request.
func TestStats(t *testing.T) {
	srv := NewOpenAI(Options{Faults: []Fault{ServerError(500)}})
	defer srv.Close()
	for range 2 {
		resp, err := http.Post(srv.URL+"/chat/completions", "application/json",
			strings.NewReader(`{"model":"m1","messages":[{"role":"user","content":"hello there"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(srv.HTTP.URL + StatsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	b := st.Billed["m1"]
	if st.Requests != 2 || b.Replies != 1 || b.InputTokens == 0 || b.OutputTokens == 0 {
		t.Errorf("stats: got %+v, want 2 requests and 1 billed reply with tokens", st)
	}
}
