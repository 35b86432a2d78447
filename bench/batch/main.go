// Command batch benchmarks the batch executor (llm.Client.RunBatch) on a
// stage-3-sized run: N stage-3 generation requests (the real base prompt
// as system, the stage-3 prompt with generated samples as the user turn,
// the forced stage-3 tool) through the Anthropic Message Batches API of
// the llmtest fake, with the request store and batch ledger sptflow uses
// (engine/store RecordLog and BatchDir) in a temporary directory. It
// prints, with the machine's core count and load: wall time, the
// client's CPU (getrusage of this process; the fake runs in a child
// process, so its CPU is not counted, unless -inprocess), peak RSS, and
// the cost line: what the results cost at the batch price, the canary
// online, and the online price of the same usage.
//
//	go run ./bench/batch                 # 20,000 requests
//	go run ./bench/batch -n 2000 -inprocess
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/bench/internal/harness"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/anthropic"
	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/spt/spttool"
)

const apiKey = "bench-dummy-key"

type options struct {
	n, samples, polls int
	poll              time.Duration
	prompts           string
	inprocess         bool
	cpuprofile        string
	memprofile        string
}

func main() {
	var o options
	serve := flag.Bool("serve", false, "internal: run the fake server and print its URL")
	flag.IntVar(&o.n, "n", 20000, "stage-3 requests")
	flag.IntVar(&o.samples, "samples", 2, "stage-2 samples per stage-3 request (with.batch_size)")
	flag.IntVar(&o.polls, "polls", 3, "polls a batch answers in_progress before it ends")
	flag.DurationVar(&o.poll, "poll", 100*time.Millisecond, "poll interval (SPTFLOW_BATCH_POLL)")
	flag.StringVar(&o.prompts, "prompts", "prompts", "the prompt folder")
	flag.BoolVar(&o.inprocess, "inprocess", false, "run the fake in this process (its CPU and memory then count)")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the client to this file")
	flag.StringVar(&o.memprofile, "memprofile", "", "write a heap profile of the client, after the run, to this file")
	flag.Parse()
	if *serve {
		runServer(o)
		return
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/batch:", err)
		os.Exit(1)
	}
}

func fakeOptions(o options) llmtest.Options {
	return llmtest.Options{APIKey: apiKey, Forget: true, Seed: 1, Batch: llmtest.BatchScript{Polls: o.polls}}
}

// runServer serves the fake until SIGTERM (the child process).
func runServer(o options) {
	srv := httptest.NewServer(llmtest.NewAnthropicHandler(fakeOptions(o)))
	fmt.Println(srv.URL)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	srv.Close()
}

// startServer runs the fake in a child process (or in this one).
func startServer(o options) (string, func(), error) {
	if o.inprocess {
		srv := httptest.NewServer(llmtest.NewAnthropicHandler(fakeOptions(o)))
		return srv.URL, srv.Close, nil
	}
	cmd := exec.Command(os.Args[0], "-serve", fmt.Sprint("-polls=", o.polls))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return "", nil, fmt.Errorf("read server URL: %w", err)
	}
	return strings.TrimSpace(line), func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }, nil
}

// requests builds n stage-3 generation requests, as steps/intervene does,
// over the topics and interventions of the prompt folder.
func requests(o options) ([]*llm.Request, error) {
	p, err := spt.LoadPrompts(o.prompts)
	if err != nil {
		return nil, err
	}
	type pair struct{ topic, intervention string }
	var pairs []pair
	for _, t := range []string{"sycophancy", "fabricated_statistics", "confidence_assessment", "goal_misgeneralization"} {
		for _, iv := range []string{"honesty_scare", "split_personality"} {
			pairs = append(pairs, pair{t, iv})
		}
	}
	users := make([]string, len(pairs))
	for i, pr := range pairs {
		if users[i], err = p.Stage3(pr.topic, pr.intervention, o.samples); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	reqs := make([]*llm.Request, o.n)
	for i := range reqs {
		var b strings.Builder
		b.WriteString(users[i%len(users)])
		for s := range o.samples {
			fmt.Fprintf(&b, "\n\n## Sample %d of request %d\n\n[A] ", s+1, i)
			words(&b, rng, 200)
			b.WriteString("\n\n[T] ")
			words(&b, rng, 150)
		}
		reqs[i] = &llm.Request{System: p.Base(), Messages: []llm.Message{{Role: llm.RoleUser, Content: b.String()}},
			Tools: []llm.Tool{spttool.Stage3Generation}, ForceTool: spt.Stage3GenerationToolName}
	}
	return reqs, nil
}

var vocabulary = strings.Fields("the model user answer claims study percent evidence honest report source data " +
	"confident uncertain agree question review sample assistant prompt response shows figure")

func words(b *strings.Builder, rng *rand.Rand, n int) {
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(vocabulary[rng.IntN(len(vocabulary))])
	}
}

// spendTotals adds up the runtime's spend ledger in memory.
type spendTotals struct {
	mu    sync.Mutex
	lines []llm.Spend
}

func (s *spendTotals) Note(_ context.Context, l llm.Spend) {
	s.mu.Lock()
	s.lines = append(s.lines, l)
	s.mu.Unlock()
}

func run(o options) error {
	reqs, err := requests(o)
	if err != nil {
		return err
	}
	bytes := 0
	for _, r := range reqs {
		bytes += len(r.System) + len(r.Messages[0].Content)
	}
	url, stop, err := startServer(o)
	if err != nil {
		return err
	}
	defer stop()
	dir, err := os.MkdirTemp("", "sptflow-bench-batch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(dir)
	if err != nil {
		return err
	}
	records := st.RecordLog("requests")
	defer records.Close()
	spec, err := llm.ParseModelSpec("sonnet", map[string]any{"provider": "anthropic", "model": "claude-sonnet-4-5",
		"execution": "batch", "max_tokens": 8000, "api_key_env": "BENCH_KEY",
		"prices": map[string]any{"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75, "batch_discount": 0.5}})
	if err != nil {
		return err
	}
	rt, err := llm.NewRuntime(llm.RuntimeConfig{Records: records, Log: zerolog.Nop(), Getenv: func(string) string { return apiKey },
		Batches: store.Batches(dir), BatchPoll: o.poll,
		Connect: func(*llm.ModelSpec, llm.ConnectEnv) (llm.Provider, error) {
			return anthropic.New(anthropic.Config{APIKey: apiKey, BaseURL: url})
		}})
	if err != nil {
		return err
	}
	spend := &spendTotals{}
	rt.SetRun("bench", spend)
	c, err := rt.Client(spec)
	if err != nil {
		return err
	}
	if o.cpuprofile != "" {
		stopProf, err := harness.StartCPUProfile(o.cpuprofile)
		if err != nil {
			return err
		}
		defer stopProf()
	}
	runtime.GC()
	cpu0, t0 := harness.CPUTime(), time.Now()
	rep, err := c.RunBatch(context.Background(), "bench", reqs)
	if err != nil {
		return err
	}
	wall, cpu := time.Since(t0), harness.CPUTime()-cpu0
	if o.memprofile != "" {
		if err := writeHeapProfile(o.memprofile); err != nil {
			return err
		}
	}
	total, _ := llm.Tally(spend.lines, nil)
	online := total.CostUSD - total.BatchCostUSD
	where := "the fake in a child process, not counted"
	if o.inprocess {
		where = "the fake in this process, counted"
	}
	fmt.Printf("machine: %d cores, load average %s\n", runtime.NumCPU(), harness.LoadAvg())
	fmt.Printf("requests: %d stage-3 generations, %.0f MB of prompts (%d KB each), %d batches, %d canary, %d stored, %d failed, %d resubmitted\n",
		rep.Requests, float64(bytes)/1e6, bytes/len(reqs)/1000, rep.Batches, rep.Canaries, rep.Succeeded, len(rep.Failures), rep.Again)
	fmt.Printf("wall %.1fs (polling every %v, each batch %d polls in progress); client CPU %.1fs = %.0f µs/request (%s); peak RSS %.0f MB\n",
		wall.Seconds(), o.poll, o.polls, cpu.Seconds(), float64(cpu.Microseconds())/float64(rep.Requests), where, harness.PeakRSSMB())
	fmt.Printf("cost: $%.2f for %d results at the batch price + $%.4f for the canary online = $%.2f; online the same usage costs $%.2f: saved $%.2f (%.0f%%)\n",
		total.BatchCostUSD, total.BatchResults, online, total.CostUSD, total.BatchListUSD+online,
		total.BatchListUSD-total.BatchCostUSD, 100*(total.BatchListUSD-total.BatchCostUSD)/(total.BatchListUSD+online))
	if rep.Succeeded+rep.Canaries != rep.Requests {
		return fmt.Errorf("%d of %d requests stored", rep.Succeeded+rep.Canaries, rep.Requests)
	}
	return nil
}

// writeHeapProfile writes the live heap (after a GC) to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
