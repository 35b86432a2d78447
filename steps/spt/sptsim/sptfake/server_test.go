package sptfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/spt/sptsim/sptfake"
)

// defaults returns a Config with the flags' defaults, then args applied.
func defaults(t *testing.T, args ...string) sptfake.Config {
	t.Helper()
	var c sptfake.Config
	fs := flag.NewFlagSet("fake", flag.ContinueOnError)
	c.Flags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfigCheck(t *testing.T) {
	tests := []struct {
		args []string
		want []string // parts of the error; none: valid
	}{
		{nil, nil},
		{[]string{"--addr", "localhost:0", "--rpm", "60", "--error-rate", "0.2", "--quota-after", "10"}, nil},
		{[]string{"--addr", "[::1]:9000", "--tail", "1.5", "--latency", "1s"}, nil},
		{[]string{"--addr", "0.0.0.0:8089"}, []string{"loopback only"}},
		{[]string{"--addr", "8089"}, []string{"want HOST:PORT"}},
		{[]string{"--rpm", "-1", "--tpm", "-2"}, []string{"--rpm -1", "--tpm -2"}},
		{[]string{"--latency", "-1s", "--tail", "0.5"}, []string{"--latency -1s", "--tail 0.5: want 0 (off) or a Pareto shape above 1"}},
		{[]string{"--malformed-rate", "2", "--review-rejection-rate", "-0.1"}, []string{"malformed rate 2", "--review-rejection-rate -0.1"}},
		{[]string{"--error-rate", "0.7", "--truncation-rate", "0.7"}, []string{"add up to 1.4"}},
		{[]string{"--quota-after", "-5"}, []string{"quota after -5 requests"}},
	}
	for _, tt := range tests {
		c := defaults(t, tt.args...)
		err := c.Check()
		if len(tt.want) == 0 {
			if err != nil {
				t.Errorf("%q: got %v, want valid", tt.args, err)
			}
			continue
		}
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%q: got %v, want …%s…", tt.args, err, w)
			}
		}
	}
}

const reviewBody = `{"model": "claude-sonnet-4-5", "max_tokens": 2000,
	"messages": [{"role": "user", "content": "# Stage 3 Quality Review\n\nreview %d"}],
	"tools": [{"name": "stage_3_review", "input_schema": {"type": "object"}}],
	"tool_choice": {"type": "tool", "name": "stage_3_review"}}`

// post sends body to the server's path and returns the status and body.
func post(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("X-Api-Key", "dummy")
	req.Header.Set("Authorization", "Bearer dummy")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// rejections sends n different review requests and counts the rejected.
func rejections(t *testing.T, url string, n int) int {
	t.Helper()
	rejected := 0
	for i := range n {
		status, b := post(t, url+"/v1/messages", strings.Replace(reviewBody, "%d", string(rune('a'+i%26))+strings.Repeat("x", i), 1))
		if status != 200 {
			t.Fatalf("review %d: HTTP %d %s", i, status, b)
		}
		var m struct {
			Model   string
			Content []struct {
				Name  string
				Input struct {
					FinalVerdict bool `json:"final_verdict"`
				}
			}
		}
		if err := json.Unmarshal(b, &m); err != nil || len(m.Content) != 1 || m.Content[0].Name != spt.Stage3ReviewToolName {
			t.Fatalf("review %d: %s (%v)", i, b, err)
		}
		if m.Model != "fake/claude-sonnet-4-5" {
			t.Fatalf("served model %q, want fake/claude-sonnet-4-5", m.Model)
		}
		if !m.Content[0].Input.FinalVerdict {
			rejected++
		}
	}
	return rejected
}

// The review rejection rate reaches the SPT answers: 0 never rejects, 1
// always does, the default about one in ten.
func TestReviewRejectionRate(t *testing.T) {
	for _, tt := range []struct {
		rate   string
		lo, hi int // rejections of 60
	}{{"0", 0, 0}, {"1", 60, 60}, {"0.1", 1, 15}} {
		cfg := defaults(t, "--review-rejection-rate", tt.rate)
		cfg.SPT = true
		s, err := sptfake.NewServer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s)
		n := rejections(t, srv.URL, 60)
		srv.Close()
		if n < tt.lo || n > tt.hi {
			t.Errorf("rate %s: %d of 60 reviews rejected, want %d to %d", tt.rate, n, tt.lo, tt.hi)
		}
	}
}

// One listener routes each API; /stats sums them; an unknown path gets a
// 404 naming the base URLs.
func TestServerRoutesAndStats(t *testing.T) {
	cfg := defaults(t, "--rpm", "60")
	cfg.SPT = true
	s, err := sptfake.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Shutdown()
	chat := `{"model": "qwen/qwen3-32b", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}`
	for _, c := range []struct {
		path, body string
		status     int
	}{
		{"/v1/messages", strings.Replace(reviewBody, "%d", "1", 1), 200},
		{"/v1/messages", strings.Replace(reviewBody, "%d", "2", 1), 429}, // 60/min per model: one a second
		{"/v1/chat/completions", chat, 200},
		{"/api/v1/chat/completions", strings.Replace(chat, "qwen/", "other/", 1), 200},
		{"/v1/v1/messages", "{}", 404},
	} {
		status, b := post(t, srv.URL+c.path, c.body)
		if status != c.status {
			t.Errorf("POST %s: got HTTP %d %s, want %d", c.path, status, b, c.status)
		}
		if status == 404 && !strings.Contains(string(b), "base URLs: anthropic "+srv.URL+"; openai, vllm, llamacpp, ollama "+srv.URL+"/v1; openrouter "+srv.URL+"/api/v1") {
			t.Errorf("404 body %s: want the base URLs", b)
		}
	}
	resp, err := http.Get(srv.URL + llmtest.StatsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st sptfake.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Requests != 4 || st.RateLimited != 1 || st.Providers["anthropic"].Requests != 2 ||
		st.Providers["openrouter"].Requests != 1 || st.Billed["qwen/qwen3-32b"].Replies != 1 ||
		st.Billed["claude-sonnet-4-5"].Replies != 1 || st.Billed["other/qwen3-32b"].Replies != 1 {
		t.Errorf("stats got: %+v; want 4 requests (the 404 is none), 1 rate-limited, replies billed per model", st)
	}
}

// Run on a busy address says what to do; on a free port it writes its URL
// to the URL file, serves, and stops with the context, printing its counts.
func TestRun(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := defaults(t, "--addr", busy.Addr().String())
	err = sptfake.Run(t.Context(), cfg, "", io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--addr 127.0.0.1:0 picks a free port") {
		t.Errorf("busy address: got %v, want the hint", err)
	}

	cfg = defaults(t, "--addr", "127.0.0.1:0")
	urlFile := filepath.Join(t.TempDir(), "url")
	ctx, cancel := context.WithCancel(t.Context())
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- sptfake.Run(ctx, cfg, urlFile, &out) }()
	url := waitFile(t, urlFile, done)
	if status, b := post(t, url+"/v1/chat/completions", `{"model": "m", "max_tokens": 10, "messages": []}`); status != 200 {
		t.Errorf("chat: HTTP %d %s", status, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if strings.Contains(out.String(), "fake.yaml") {
		t.Errorf("a generic fake suggests the SPT experiment:\n%s", out.String())
	}
	for _, want := range []string{"(generic, simulated replies served as fake/<model>) on " + url, "served 1 requests in", "  m    "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// waitFile returns the trimmed contents of path once it exists; done
// failing first fails the test.
func waitFile(t *testing.T, path string, done <-chan error) string {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			return strings.TrimSpace(string(b))
		}
		select {
		case err := <-done:
			t.Fatalf("Run ended before writing its URL: %v", err)
		case <-tick.C:
		case <-time.After(30 * time.Second):
			t.Fatal("no URL file within 30s")
		}
	}
}

// TestServerBatchRoutes: the batch APIs are served where each provider's
// base URL puts them: Anthropic's under /v1/messages/batches, OpenAI's
// files and batches under /v1, and OpenRouter's under /api/v1.
func TestServerBatchRoutes(t *testing.T) {
	s, err := sptfake.NewServer(defaults(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Shutdown()
	for _, c := range []struct{ path, want string }{
		{"/v1/messages/batches", `"data":`},
		{"/v1/batches", `"object":"list"`},
		{"/api/v1/batches", `"object":"list"`},
		{"/v1/files/file-none/content", "No such File object"},
		{"/api/v1/files/file-none", "No such File object"},
	} {
		resp, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), c.want) || strings.Contains(string(b), "no fake API") {
			t.Errorf("GET %s: HTTP %d %s, want %s", c.path, resp.StatusCode, b, c.want)
		}
	}
}
