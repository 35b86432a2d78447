// Command llm benchmarks sptflow's LLM client against the fake
// OpenAI-compatible server in enforcing mode (default 600 requests/min,
// 100 ms latency, optionally heavy-tailed), in real time, and prints:
// throughput against the limit, 429s, failed rows and client CPU per
// request (getrusage of the client process; the server runs in a child
// process so its CPU is not counted), and the machine's CPU outside the
// server per request (/proc: the client plus the kernel threads that work
// for it, such as writeback and network softirqs, and anything else
// running).
//
// Two clients are measured on fresh servers: "governed" (llm.Runtime: rate
// governor, request store, singleflight, N workers) and "batch128" (the
// original stage 2: fixed batches of 128 concurrent requests through the
// same retrying transport, waiting for the slowest of each batch).
//
// The governed client's request store is chosen with -store: log
// (store.RecordLog, what cmd/sptflow wires), files (store.Records, a file
// per record, the layout before it) or mem (not durable; isolates the
// store's cost). -rpm 0 -latency 0 measures CPU per
// request quickly (the governor then paces at the limit the fake's headers
// announce); -cpuprofile profiles the client; -trace429 makes the server
// print every 429 with the arrivals before it. Keep the machine otherwise quiet: a
// starved fake server admits a backlog at once and answers 429s.
//
//	go run ./bench/llm                      # both clients, steady latency
//	go run ./bench/llm -tail 1.5 -client governed -store mem
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/sptflow/sptflow/bench/internal/harness"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/connect"
	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/llm/openai"
	"github.com/sptflow/sptflow/llm/transport"
)

type options struct {
	n, rpm, workers int
	latency         time.Duration
	tail            float64
	client          string
	store           string
	cpuprofile      string
	trace429        bool
}

func main() {
	var o options
	serve := flag.Bool("serve", false, "internal: run the fake server and print its URL")
	flag.IntVar(&o.n, "n", 2000, "requests per client")
	flag.IntVar(&o.rpm, "rpm", 600, "requests per minute the server enforces")
	flag.IntVar(&o.workers, "workers", 64, "workers of the governed client")
	flag.DurationVar(&o.latency, "latency", 100*time.Millisecond, "server latency (median with -tail)")
	flag.Float64Var(&o.tail, "tail", 0, "Pareto shape of a heavy-tailed latency (0 = fixed; 1.5 is heavy)")
	flag.StringVar(&o.client, "client", "both", "governed | batch128 | both | floor (plain net/http paced like governed: this machine's CPU floor per request)")
	flag.BoolVar(&o.trace429, "trace429", false, "the server prints when it sends a 429 and the arrivals before it")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the client process to this file")
	flag.StringVar(&o.store, "store", "log", "request store of the governed client: log (engine/store RecordLog, what sptflow uses) | files (engine/store Records: a file per record) | mem (in memory, not durable: isolates the store's cost)")
	flag.Parse()
	if *serve {
		runServer(o)
		return
	}
	stop, err := harness.StartCPUProfile(o.cpuprofile)
	if err == nil {
		err = run(o)
		stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/llm:", err)
		os.Exit(1)
	}
}

func runServer(o options) {
	fake := llmtest.NewOpenAIHandler(llmtest.Options{RPM: o.rpm, Latency: o.latency, LatencyTail: o.tail, Seed: 1})
	var h http.Handler = fake
	if o.trace429 {
		h = &tracer{next: fake, t0: time.Now()}
	}
	srv := httptest.NewServer(h)
	fmt.Println(srv.URL + "/v1")
	go reportStalls(time.Now())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	fake.Shutdown()
	srv.CloseClientConnections()
	srv.Close()
}

// reportStalls prints to stderr every time the server process was not
// scheduled (or the machine was paused) for more than a second: afterwards
// it admits a backlog at once, and whatever exceeds its bucket gets 429s.
func reportStalls(t0 time.Time) {
	const tick = 250 * time.Millisecond
	last := time.Now()
	for now := range time.Tick(tick) {
		if gap := now.Sub(last); gap > time.Second {
			fmt.Fprintf(os.Stderr, "fake server: stalled %.1fs at t=%.0fs\n", gap.Seconds(), now.Sub(t0).Seconds())
		}
		last = now
	}
}

// tracer prints, for every 429 the fake server sends, when it happened and
// the arrival times of the requests before it (-trace429).
type tracer struct {
	next     http.Handler
	t0       time.Time
	mu       sync.Mutex
	arrivals []time.Duration
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }

func (t *tracer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.mu.Lock()
	t.arrivals = append(t.arrivals, time.Since(t.t0))
	t.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w, status: 200}
	t.next.ServeHTTP(sw, r)
	if sw.status == http.StatusTooManyRequests {
		t.mu.Lock()
		last := t.arrivals[max(0, len(t.arrivals)-12):]
		fmt.Fprintf(os.Stderr, "429 at %v, arrivals before: %v\n", time.Since(t.t0).Round(time.Millisecond), last)
		t.mu.Unlock()
	}
}

// startServer re-executes this program as the fake server and returns its
// URL and process id.
func startServer(o options) (string, int, func(), error) {
	cmd := exec.Command(os.Args[0], "-serve", fmt.Sprint("-rpm=", o.rpm), fmt.Sprint("-latency=", o.latency),
		fmt.Sprint("-tail=", o.tail), fmt.Sprint("-trace429=", o.trace429))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return "", 0, nil, fmt.Errorf("read server URL: %w", err)
	}
	stop := func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }
	return strings.TrimSpace(line), cmd.Process.Pid, stop, nil
}

type figures struct {
	name      string
	elapsed   time.Duration
	ok, fail  int64
	limited   int64
	cpuPerReq time.Duration
	// outside is the machine's CPU outside the server process over the
	// run (client, kernel threads, anything else), when /proc tells.
	outside   time.Duration
	outsideOK bool
}

func (f figures) print(o options) {
	rpm := float64(f.ok) / f.elapsed.Minutes()
	fmt.Printf("%-9s %5d ok %3d failed in %7.1fs: %6.1f req/min = %5.1f%% of %d | 429s %4d (%.2f%%) | client CPU %.3f ms/request\n",
		f.name, f.ok, f.fail, f.elapsed.Seconds(), rpm, 100*rpm/float64(o.rpm), o.rpm, f.limited,
		100*float64(f.limited)/float64(max(f.ok+f.fail, 1)), float64(f.cpuPerReq.Microseconds())/1000)
	if f.outsideOK {
		fmt.Printf("%-9s machine CPU outside the server (client, kernel threads, anything else): %.3f ms/request\n",
			"", float64(f.outside.Microseconds())/1000/float64(o.n))
	}
}

func run(o options) error {
	fmt.Printf("fake OpenAI-compatible server enforcing %d requests/min, latency %v (pareto tail %.2g), %d requests per client, governed client's request store %s, real time (no compression)\n",
		o.rpm, o.latency, o.tail, o.n, o.store)
	for _, c := range []struct {
		name string
		fn   func(context.Context, options, string) (figures, error)
	}{{"governed", governed}, {"batch128", batch128}, {"floor", floor}} {
		if !(o.client == c.name || o.client == "both" && c.name != "floor") {
			continue
		}
		url, pid, stop, err := startServer(o)
		if err != nil {
			return err
		}
		outside := startOutside(pid)
		f, err := c.fn(context.Background(), o, url)
		f.outside, f.outsideOK = outside.stop()
		stop()
		if err != nil {
			return err
		}
		f.print(o)
	}
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func request(i int) *llm.Request {
	return &llm.Request{System: "You answer briefly.", Messages: []llm.Message{{Role: llm.RoleUser,
		Content: fmt.Sprintf("Question %d: what is a good test?", i)}}, MaxTokens: 64}
}

func governed(ctx context.Context, o options, url string) (figures, error) {
	dir, err := os.MkdirTemp("", "sptflow-bench-")
	if err != nil {
		return figures{}, err
	}
	defer os.RemoveAll(dir)
	recs, err := openRecords(o.store, dir)
	if err != nil {
		return figures{}, err
	}
	rt, err := llm.NewRuntime(llm.RuntimeConfig{Records: recs, Log: zerolog.Nop(),
		Getenv: func(string) string { return "bench-key" }, Connect: connect.Connect,
		BaseURLOverride: func(string) string { return url }})
	if err != nil {
		return figures{}, err
	}
	spec, err := llm.ParseModelSpec("bench", map[string]any{"provider": "openai", "model": "gpt-4o-mini",
		"rpm": o.rpm, "concurrency": o.workers})
	if err != nil {
		return figures{}, err
	}
	c, err := rt.Client(spec)
	if err != nil {
		return figures{}, err
	}
	jobs := make(chan int)
	var fail atomic.Int64
	var wg sync.WaitGroup
	cpu0, t0 := cpuTime(), time.Now()
	for range o.workers {
		wg.Go(func() {
			for i := range jobs {
				if _, err := c.Do(ctx, llm.Call{Request: request(i)}); err != nil {
					fail.Add(1)
				}
			}
		})
	}
	for i := range o.n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	f := figures{name: "governed", elapsed: time.Since(t0), fail: fail.Load()}
	tot := rt.Totals()
	f.ok, f.limited = tot.Requests, tot.RateLimited
	f.cpuPerReq = (cpuTime() - cpu0) / time.Duration(o.n)
	return f, nil
}

// counter is an llm.Observer counting 429s.
type counter struct{ n atomic.Int64 }

func (c *counter) ObserveResponse(status int, _ http.Header, _ time.Duration) {
	if status == http.StatusTooManyRequests {
		c.n.Add(1)
	}
}

func batch128(ctx context.Context, o options, url string) (figures, error) {
	obs := &counter{}
	p, err := openai.New(openai.Config{APIKey: "bench-key", BaseURL: url, Log: zerolog.Nop(),
		HTTPClient: transport.New(transport.Config{Observer: obs})})
	if err != nil {
		return figures{}, err
	}
	var ok, fail atomic.Int64
	cpu0, t0 := cpuTime(), time.Now()
	for start := 0; start < o.n; start += 128 {
		var wg sync.WaitGroup
		for i := start; i < min(start+128, o.n); i++ {
			wg.Go(func() {
				req := request(i)
				req.Model = "gpt-4o-mini"
				if _, err := p.Call(ctx, req); err != nil {
					fail.Add(1)
					var e *llm.Error
					_ = errors.As(err, &e)
					return
				}
				ok.Add(1)
			})
		}
		wg.Wait()
	}
	return figures{name: "batch128", elapsed: time.Since(t0), ok: ok.Load(), fail: fail.Load(),
		limited: obs.n.Load(), cpuPerReq: (cpuTime() - cpu0) / time.Duration(o.n)}, nil
}

// openRecords returns the request store the governed client uses.
func openRecords(kind, dir string) (llm.RecordStore, error) {
	switch kind {
	case "log", "files":
		st, err := store.Open(dir)
		if err != nil {
			return nil, err
		}
		if kind == "files" {
			return st.Records("llm"), nil
		}
		return st.RecordLog("llm"), nil
	case "mem":
		return llm.NewMemRecords(), nil
	}
	return nil, fmt.Errorf("-store %q: want log, files or mem", kind)
}

// floor sends the same requests with nothing but net/http, paced like the
// governed client (98% of the limit) from as many workers: the CPU per
// request any Go HTTP client pays on this machine at this pace, mostly
// waking from idle, to read the governed client's figure against.
func floor(ctx context.Context, o options, url string) (figures, error) {
	lim := rate.NewLimiter(rate.Limit(float64(o.rpm)*0.98/60), 1)
	if o.rpm <= 0 {
		lim = rate.NewLimiter(rate.Inf, 1)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.workers}}
	jobs := make(chan int)
	var ok, fail, limited atomic.Int64
	var wg sync.WaitGroup
	cpu0, t0 := cpuTime(), time.Now()
	for range o.workers {
		wg.Go(func() {
			for i := range jobs {
				switch status := floorPost(ctx, client, url, lim, i); status {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
					fail.Add(1)
				default:
					fail.Add(1)
				}
			}
		})
	}
	for i := range o.n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return figures{name: "floor", elapsed: time.Since(t0), ok: ok.Load(), fail: fail.Load(),
		limited: limited.Load(), cpuPerReq: (cpuTime() - cpu0) / time.Duration(o.n)}, nil
}

// floorPost sends request i as plain JSON and returns the status (0 on a
// transport error).
func floorPost(ctx context.Context, client *http.Client, url string, lim *rate.Limiter, i int) int {
	if lim.Wait(ctx) != nil {
		return 0
	}
	body := fmt.Sprintf(`{"model":"gpt-4o-mini","max_completion_tokens":64,"messages":[{"role":"system","content":"You answer briefly."},{"role":"user","content":"Question %d: what is a good test?"}]}`, i)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/chat/completions", strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Authorization", "Bearer bench-key")
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
