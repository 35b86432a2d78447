// Command pipeline benchmarks whole pipeline runs through the sptflow
// binary, each in a fresh temporary project (copies of pipelines/, prompts/
// and config/, its own store): the first run's wall time and the child's
// peak RSS, then the time of a no-op rerun.
//
//	go run ./bench/pipeline                       # the offline demo
//	go run ./bench/pipeline -full                 # full.yaml on all 14 topics against fake servers
//	go run ./bench/pipeline -full -batches 2 -items 10 -rpm 600 -latency 100ms
//
// With -full, full.yaml runs against in-process fake Anthropic (stages 1
// and 3) and OpenRouter (stage 2) servers that answer through the sptsim
// responders after -latency and enforce -rpm per model (the Anthropic
// server serves two models, so it enforces twice that); the model entries
// carry the same rpm, so sptflow paces itself. It reports, per model, the
// requests sent and the achieved requests per minute against the limit;
// the run summary counts the attempts that got a 429.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/sptflow/sptflow/llm/llmtest"
	"github.com/sptflow/sptflow/steps/spt/sptsim/sptfake"
)

type config struct {
	pipeline       string
	sets           multi
	full           bool
	batches, items int
	rpm            int
	latency        time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.pipeline, "pipeline", "pipelines/demo.yaml", "pipeline file (relative to the project root; without -full)")
	flag.Var(&c.sets, "set", "NAME=VALUE passed to sptflow --set (repeatable)")
	flag.BoolVar(&c.full, "full", false, "run pipelines/full.yaml on every topic against fake servers")
	flag.IntVar(&c.batches, "batches", 2, "stage-1 batches per topic (-full)")
	flag.IntVar(&c.items, "items", 10, "items per batch (-full)")
	flag.IntVar(&c.rpm, "rpm", 600, "requests per minute per model, in the model entries and enforced by the fakes (-full)")
	flag.DurationVar(&c.latency, "latency", 100*time.Millisecond, "fake server latency (-full)")
	flag.Parse()
	if err := run(&c); err != nil {
		fmt.Fprintln(os.Stderr, "bench/pipeline:", err)
		os.Exit(1)
	}
}

type multi []string

func (m *multi) String() string     { return fmt.Sprint(*m) }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func run(c *config) error {
	tmp, err := os.MkdirTemp("", "bench-pipeline")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "sptflow")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/sptflow").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	proj := filepath.Join(tmp, "project")
	if err := newProject(proj); err != nil {
		return err
	}
	pipeline, env := c.pipeline, []string{}
	var servers []*llmtest.Server
	if c.full {
		pipeline = "pipelines/experiments/bench.yaml"
		if err := os.WriteFile(filepath.Join(proj, pipeline), []byte(experiment(c)), 0o644); err != nil {
			return err
		}
		var anth, or *llmtest.Server
		anth, or, env = startFakes(c)
		servers = []*llmtest.Server{anth, or}
		defer anth.Close()
		defer or.Close()
		fmt.Printf("full.yaml: 14 topics x %d batches x %d items; fake latency %s; %d rpm per model\n", c.batches, c.items, c.latency, c.rpm)
	}
	args := []string{"run", pipeline, "--log-format", "json"}
	for _, s := range c.sets {
		args = append(args, "--set", s)
	}
	for _, label := range []string{"first run (fresh store)", "no-op rerun"} {
		start := time.Now()
		out, rss, err := runChild(bin, proj, args, env)
		wall := time.Since(start)
		status := "ok"
		if err != nil {
			status = "exit " + err.Error()
		}
		fmt.Printf("%-26s wall %8.3fs  peak RSS %6.1f MiB  (%s)\n    %s\n", label, wall.Seconds(), float64(rss)/1024, status, summary(out))
		if label == "first run (fresh store)" && servers != nil {
			rates(servers, c.rpm)
		}
	}
	return nil
}

// newProject copies the project's pipelines, prompts and training config
// to dir and gives it its own store.
func newProject(dir string) error {
	for _, sub := range []string{"pipelines", "prompts", "config"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(sub)); err != nil {
			return fmt.Errorf("copy %s (run from the repository root): %w", sub, err)
		}
	}
	return os.Mkdir(filepath.Join(dir, ".sptflow"), 0o755)
}

// experiment extends full.yaml with the benchmark's size and rate limits
// (rpm only: the fakes enforce no token budgets).
func experiment(c *config) string {
	lim := fmt.Sprintf("{rpm: %d, input_tpm: 0, output_tpm: 0}", c.rpm)
	return fmt.Sprintf(`extends: ../full.yaml
name: spt-bench
vars:
  batches: %d
  items_per_batch: %d
models:
  opus: %s
  sonnet: %s
  qwen32: {rpm: %d}
`, c.batches, c.items, lim, lim, c.rpm)
}

func startFakes(c *config) (anth, or *llmtest.Server, env []string) {
	anth = llmtest.NewAnthropic(llmtest.Options{APIKey: "bench-key", Latency: c.latency, RPM: 2 * c.rpm,
		Script: (&sptfake.Script{VaryRepeats: true}).Anthropic})
	or = llmtest.NewOpenAI(llmtest.Options{APIKey: "bench-key", Flavor: "openrouter", Latency: c.latency, RPM: c.rpm,
		Script: (&sptfake.Script{VaryRepeats: true}).OpenAI})
	env = []string{"SPTFLOW_TEST_BASE_URL_ANTHROPIC=" + anth.URL, "ANTHROPIC_API_KEY=bench-key",
		"SPTFLOW_TEST_BASE_URL_OPENROUTER=" + or.URL, "OPENROUTER_API_KEY=bench-key"}
	return anth, or, env
}

func runChild(bin, dir string, args, env []string) (string, int64, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "SPTFLOW_HOME="), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	rss := int64(0)
	if cmd.ProcessState != nil {
		if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = u.Maxrss
		}
	}
	return out.String(), rss, err
}

// rates prints, per model, the requests the fakes received and the rate
// achieved while that model was busy (first to last request).
func rates(servers []*llmtest.Server, rpm int) {
	type span struct {
		n           int
		first, last time.Time
	}
	by := map[string]*span{}
	for _, s := range servers {
		for _, r := range s.Requests() {
			m := sptfake.Request(r.Body).Model
			sp := by[m]
			if sp == nil {
				sp = &span{first: r.Time}
				by[m] = sp
			}
			sp.n++
			sp.last = r.Time
		}
	}
	models := make([]string, 0, len(by))
	for m := range by {
		models = append(models, m)
	}
	sort.Strings(models)
	for _, m := range models {
		sp := by[m]
		d := sp.last.Sub(sp.first)
		rate := 0.0
		if d > 0 {
			rate = float64(sp.n-1) / d.Minutes()
		}
		fmt.Printf("    %-28s %5d requests over %6.1fs: %6.1f req/min (%.0f%% of %d)\n", m, sp.n, d.Seconds(), rate, 100*rate/float64(rpm), rpm)
	}
}

// summary returns the run summary lines of sptflow's output (the llm line
// counts the attempts that were rate-limited).
func summary(out string) string {
	var lines []string
	for l := range strings.Lines(out) {
		for _, p := range []string{"executed ", "llm calls:", "nothing to do", "sptflow:"} {
			if strings.HasPrefix(l, p) {
				lines = append(lines, strings.TrimSpace(l))
			}
		}
	}
	return strings.Join(lines, "\n    ")
}
