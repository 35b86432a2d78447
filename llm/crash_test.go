package llm_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
)

const crashRequests, crashAnswered = 50, 25

// httpProvider posts the user message to a test server and returns the
// body as the answer.
type httpProvider struct{ url string }

func (p httpProvider) Name() string { return "http" }

func (p httpProvider) Call(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, strings.NewReader(req.Messages[0].Content))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return nil, &llm.Error{Kind: llm.KindNetwork, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &llm.Error{Kind: llm.KindNetwork, Err: err}
	}
	return &llm.Response{Text: string(body), StopReason: llm.StopEnd, Model: "served",
		Usage: llm.Usage{InputTokens: 10, OutputTokens: 5}}, nil
}

// crashRecords opens the request store in dir: the record log, as
// cmd/sptflow wires it.
func crashRecords(t *testing.T, dir string) llm.RecordStore {
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := st.RecordLog("llm")
	t.Cleanup(func() { l.Close() })
	return l
}

func crashRuntime(t *testing.T, dir, url string) *llm.Client {
	rt, err := llm.NewRuntime(llm.RuntimeConfig{Records: crashRecords(t, dir), Log: zerolog.Nop(),
		Connect: func(*llm.ModelSpec, llm.ConnectEnv) (llm.Provider, error) { return httpProvider{url}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, rt, testSpec(t, nil))
}

// TestCrashHelper is the process TestKill9WhileInFlight kills: it sends
// every request at once and prints "ack N" when Do returned success.
func TestCrashHelper(t *testing.T) {
	if os.Getenv("SPTFLOW_CRASH_HELPER") != "1" {
		t.Skip("helper process of TestKill9WhileInFlight")
	}
	c := crashRuntime(t, os.Getenv("SPTFLOW_CRASH_STORE"), os.Getenv("SPTFLOW_CRASH_URL"))
	var mu sync.Mutex
	for i := range crashRequests {
		go func() {
			if _, err := c.Do(context.Background(), llm.Call{Request: userReq(strconv.Itoa(i))}); err == nil {
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d\n", i)
				mu.Unlock()
			}
		}()
	}
	select {} // until killed
}

// TestKill9WhileInFlight kills a process with 50 requests in flight (25
// answered and acknowledged, 25 held by the server), then runs again on the
// same store: acknowledged responses are served from the store, the
// in-flight ones are requested exactly once more.
func TestKill9WhileInFlight(t *testing.T) {
	var counts [crashRequests]atomic.Int64
	var phase atomic.Int64
	phase.Store(1)
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		i, _ := strconv.Atoi(string(b))
		counts[i].Add(1)
		if phase.Load() == 1 && i >= crashAnswered {
			select {
			case <-hold:
			case <-r.Context().Done():
			}
			return
		}
		fmt.Fprintf(w, "answer %d", i)
	}))
	defer srv.Close()
	defer close(hold)
	dir := t.TempDir()

	acked := runAndKill(t, dir, srv.URL, func() bool {
		var n int64
		for i := range counts {
			n += counts[i].Load()
		}
		return n == crashRequests
	})
	if len(acked) != crashAnswered {
		t.Fatalf("acknowledged before the kill: got %d, want %d", len(acked), crashAnswered)
	}

	phase.Store(2)
	c := crashRuntime(t, dir, srv.URL)
	for i := range crashRequests {
		res, err := c.Do(t.Context(), llm.Call{Request: userReq(strconv.Itoa(i))})
		if err != nil {
			t.Fatalf("request %d after restart: %v", i, err)
		}
		if res.Response.Text != fmt.Sprintf("answer %d", i) {
			t.Errorf("request %d: got %q", i, res.Response.Text)
		}
		want := int64(2)
		if acked[i] {
			want = 1
			if !res.Cached {
				t.Errorf("acknowledged request %d not served from the store", i)
			}
		}
		if got := counts[i].Load(); got != want {
			t.Errorf("request %d sent %d times, want %d", i, got, want)
		}
	}
}

// runAndKill starts the helper, waits for 25 acks and for every request to
// reach the server, then kills it with SIGKILL and returns the acks.
func runAndKill(t *testing.T, dir, url string, allArrived func() bool) map[int]bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SPTFLOW_CRASH_HELPER=1", "SPTFLOW_CRASH_STORE="+dir,
		"SPTFLOW_CRASH_URL="+url)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int]bool{}
	sc := bufio.NewScanner(out)
	for len(acked) < crashAnswered && sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			i, _ := strconv.Atoi(n)
			acked[i] = true
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for !allArrived() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	return acked
}
