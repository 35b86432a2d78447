package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/llmtest"
)

// costExperiment is a priced experiment over full.yaml (its models keep
// full.yaml's prices) in which one request at a time is in flight: one
// partition at a time (--jobs 1) and concurrency 1 per model, so once the
// fake servers hold a request the run stands still and its accounts can be
// compared with the servers' at a known point.
func costExperiment(topics string, batches, items int) string {
	return `extends: ../full.yaml
name: spt-e2e
data: data
vars:
  topics: ` + topics + `
  batches: ` + strconv.Itoa(batches) + `
  items_per_batch: ` + strconv.Itoa(items) + `
models:
  opus: {rpm: 0, input_tpm: 0, output_tpm: 0, concurrency: 1}
  sonnet: {rpm: 0, input_tpm: 0, output_tpm: 0, concurrency: 1}
  qwen32: {rpm: 0, concurrency: 1}
`
}

// TestCostsAfterKillAndInterrupt stops a priced run with SIGKILL or SIGINT
// while a request is in flight (held by the fake servers after the n-th
// request of a kind), once every answered request is in the run's spend
// ledger, then checks that `sptflow log --json` equals what the servers
// received and billed: HTTP requests, tokens, and cost = tokens × the
// pipeline's prices. Killed during stage 1, the resumed run reports the
// calls it served from the request store and what they had cost.
func TestCostsAfterKillAndInterrupt(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		sig    os.Signal
		kind   kind
		n      int
		resume bool
	}{
		{"kill-9 in stage 1", os.Kill, stage1, 3, true},
		{"kill-9 in review", os.Kill, review, 2, false},
		{"Ctrl-C in stage 3", os.Interrupt, stage3, 2, false},
		{"Ctrl-C in stage 2", os.Interrupt, stage2, 3, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newProject(t)
			p.write(e2ePipeline, costExperiment("[sycophancy]", 3, 2))
			f := newFakes(t, p, fakeOptions{varyRepeats: true})
			if c.sig == os.Interrupt {
				// The held request is never answered: the run waits for it
				// until the grace period ends, then cuts it off.
				p.env = append(p.env, "SPTFLOW_INTERRUPT_GRACE=1s")
			}
			out := stopRun(t, p, f, c.kind, c.n, c.sig)
			run := lastRun(t, p)
			checkAgainstServers(t, p, f, run)
			inFlight := int64(1)
			if c.sig == os.Interrupt {
				inFlight = 0 // the held request was cut off after the grace period: its call ended
				checkSummaryAttempts(t, out, f)
				if run.LLM.CutOff != 1 {
					t.Errorf("log: %d calls cut off by the interrupt (%d failed); want the held one, apart from failed calls", run.LLM.CutOff, run.LLM.FailedCalls)
				}
			}
			if run.LLM.InFlight != inFlight || run.Finished != (c.sig == os.Interrupt) {
				t.Errorf("log: %d calls in flight, finished %v; want %d and %v", run.LLM.InFlight, run.Finished, inFlight, c.sig == os.Interrupt)
			}
			if !c.resume {
				return
			}
			// Killed while generating the only topic's third batch: the
			// resumed run serves the two stored batches from the store.
			f.anthropic.thaw()
			f.openrouter.thaw()
			out = p.run("run", e2ePipeline, "--jobs", "1")
			want := fmt.Sprintf("llm served %d from the store, saved $%.4f", c.n-1, run.LLM.CostUSD)
			if !strings.Contains(out, want) {
				t.Errorf("resumed run: want %q in its summary\n%s", want, tail(out, 10))
			}
			resumed := lastRun(t, p)
			if resumed.LLM.Served != int64(c.n-1) || !near(resumed.LLM.SavedUSD, run.LLM.CostUSD) || resumed.LLM.Stored == 0 {
				t.Errorf("log of the resumed run: served %d saving $%g, %d new; want %d saving $%g (the killed run's cost) and new calls",
					resumed.LLM.Served, resumed.LLM.SavedUSD, resumed.LLM.Stored, c.n-1, run.LLM.CostUSD)
			}
			if text := p.run("log"); !strings.Contains(text, fmt.Sprintf("served %d from the store, saved $%.4f", c.n-1, run.LLM.CostUSD)) {
				t.Errorf("sptflow log does not say what the store saved:\n%s", text)
			}
		})
	}
}

// TestCostsOfFailedRun runs a priced pipeline against servers that refuse
// one stage-1 request (400: its partition fails, the run exits 1) and serve
// stage 3 a 500, malformed tool JSON and a max-tokens stop before good
// replies: the summary's attempts are the HTTP requests the servers
// received, and `log` accounts every billed reply, the unusable ones
// included (apart, as paid for and not stored).
func TestCostsOfFailedRun(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	p.write(e2ePipeline, costExperiment("[sycophancy, reward_hacks]", 2, 2))
	f := newFakes(t, p, fakeOptions{varyRepeats: true, faults: map[kind][]llmtest.Fault{
		stage1: {{Status: 400, Message: "refused"}},
		stage3: {llmtest.ServerError(500), {ToolArgs: `{"batch_thinking": "x", "batch_interventions": [`},
			{ToolArgs: `{"batch_thinking": "cut`, Truncate: true}, {ToolArgs: `{"batch_thinking": 1}`}},
	}})
	out, err := p.try("run", e2ePipeline, "--jobs", "1")
	if err == nil {
		t.Fatalf("the run succeeded; want a failed generate partition\n%s", tail(out, 20))
	}
	checkSummaryAttempts(t, out, f)
	run := lastRun(t, p)
	checkAgainstServers(t, p, f, run)
	if run.Partitions.Failed == 0 || !run.Finished {
		t.Errorf("log: partitions %+v, finished %v; want a failed partition in a finished run", run.Partitions, run.Finished)
	}
	if run.LLM.FailedCalls < 4 || run.LLM.FailedUsage.OutputTokens == 0 || run.LLM.FailedCostUSD <= 0 {
		t.Errorf("log: %d failed calls, failed usage %+v, $%g; want the 4 stage-3 faults and stage 1's refusal, the unusable replies paid for",
			run.LLM.FailedCalls, run.LLM.FailedUsage, run.LLM.FailedCostUSD)
	}
}

// stopRun starts a run, lets the servers hold the n-th request of kind k
// and every later one, waits until the run's ledger accounts for every
// request the servers received and every reply they finished, and says
// that every good reply is in the request store, then sends sig and waits
// for the process to end. It returns the run's output.
func stopRun(t *testing.T, p *project, f *fakes, k kind, n int, sig os.Signal) string {
	t.Helper()
	cmd, out, exited := runFrozenAt(t, p, f, k, n, "run", e2ePipeline, "--jobs", "1")
	waitFor(t, "the ledger to account for every request received and every reply sent", func() bool {
		spent, replies := ledger(t, p)
		received, answered := 0, 0
		for _, r := range f.all() {
			received++
			if r.answered {
				answered++
			}
		}
		return spent.Requests == int64(received) && replies == answered && answered == received-1 && spent.Lost == 0
	})
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the run did not end after %v\n%s", sig, tail(out.String(), 20))
	}
	return out.String()
}

// waitFor polls cond until it holds (at most 2 minutes: generous, for a
// loaded machine; a passing test never waits that long).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// ledger adds up the spend ledger of the project's only run and counts its
// reply lines (provider calls ended).
func ledger(t *testing.T, p *project) (llm.Spent, int) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(p.dir, ".sptflow", "runs", "*", "spend.jsonl"))
	if len(paths) != 1 {
		return llm.Spent{Requests: -1}, -1
	}
	lines, err := llm.ReadLedger(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	replies := 0
	for _, l := range lines {
		if l.Event == llm.SpendReply {
			replies++
		}
	}
	total, _ := llm.Tally(lines, nil)
	return total, replies
}

// loggedRun is one run of `sptflow log --json`.
type loggedRun struct {
	ID         string
	Finished   bool
	Partitions struct{ Executed, Cached, Failed, Skipped int }
	LLM        llm.Spent
	Models     map[string]llm.Spent
}

// lastRun is the last run `sptflow log --json` reports.
func lastRun(t *testing.T, p *project) loggedRun {
	t.Helper()
	cmd := p.command("log", "--json")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sptflow log --json: %v", err)
	}
	var runs []loggedRun
	if err := json.Unmarshal(out, &runs); err != nil || len(runs) == 0 {
		t.Fatalf("sptflow log --json: %v, %d runs\n%s", err, len(runs), out)
	}
	return runs[len(runs)-1]
}

// checkAgainstServers compares a logged run (the project's first, and the
// servers' only client so far) with what the servers received and billed:
// requests, tokens per model, and cost = tokens × full.yaml's prices.
func checkAgainstServers(t *testing.T, p *project, f *fakes, run loggedRun) {
	t.Helper()
	received := len(f.all())
	if run.LLM.Requests != int64(received) {
		t.Errorf("log: %d requests sent; the servers received %d", run.LLM.Requests, received)
	}
	billed := map[string]llmtest.Billed{}
	for _, tr := range []*tracker{f.anthropic, f.openrouter} {
		for m, b := range tr.h.(*llmtest.Fake).Stats().Billed {
			billed[m] = b
		}
	}
	models := pipelineModels(t, p)
	var cost float64
	var tokens llm.Usage
	for name, m := range models {
		b := billed[m.Model]
		want := llm.Usage{InputTokens: b.InputTokens, OutputTokens: b.OutputTokens,
			CacheReadTokens: b.CacheReadTokens, CacheWriteTokens: b.CacheWriteTokens}
		got := run.Models[name]
		if got.Usage != want {
			t.Errorf("log, model %s: tokens %+v; %s billed %+v", name, got.Usage, m.Model, want)
		}
		c := (float64(want.InputTokens)*m.Prices["input"] + float64(want.OutputTokens)*m.Prices["output"] +
			float64(want.CacheReadTokens)*m.Prices["cache_read"] + float64(want.CacheWriteTokens)*m.Prices["cache_write"]) / 1e6
		if !near(got.CostUSD, c) {
			t.Errorf("log, model %s: $%g; tokens × prices = $%g", name, got.CostUSD, c)
		}
		cost += c
		tokens.InputTokens += want.InputTokens
		tokens.OutputTokens += want.OutputTokens
		tokens.CacheReadTokens += want.CacheReadTokens
		tokens.CacheWriteTokens += want.CacheWriteTokens
	}
	if run.LLM.Usage != tokens || !near(run.LLM.CostUSD, cost) || cost == 0 {
		t.Errorf("log: tokens %+v, $%g; the servers billed %+v, $%g at the pipeline's prices", run.LLM.Usage, run.LLM.CostUSD, tokens, cost)
	}
	t.Logf("log: %d requests, %d in flight, %d stored, %d failed calls, tokens %+v, $%.6f", run.LLM.Requests,
		run.LLM.InFlight, run.LLM.Stored, run.LLM.FailedCalls, run.LLM.Usage, run.LLM.CostUSD)
}

var attemptsRE = regexp.MustCompile(`llm calls: \d+ new, \d+ cached, \d+ failed \((\d+) attempts`)

// checkSummaryAttempts checks that the run summary's attempts are the
// HTTP requests the servers received.
func checkSummaryAttempts(t *testing.T, out string, f *fakes) {
	t.Helper()
	m := attemptsRE.FindStringSubmatch(out)
	if m == nil {
		t.Errorf("no llm summary in the output:\n%s", tail(out, 20))
		return
	}
	if n, _ := strconv.Atoi(m[1]); n != len(f.all()) {
		t.Errorf("summary: %d attempts; the servers received %d requests", n, len(f.all()))
	}
}

// pipelineModel is a model entry of pipelines/full.yaml.
type pipelineModel struct {
	Model  string             `yaml:"model"`
	Prices map[string]float64 `yaml:"prices"`
}

// pipelineModels reads the model entries (and prices) of the project's
// full.yaml, which the experiment extends without changing them.
func pipelineModels(t *testing.T, p *project) map[string]pipelineModel {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, "pipelines", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Only the models section: the nodes use ${var} in flow mappings,
	// which are the pipeline loader's syntax, not YAML's.
	text := string(b)
	i, j := strings.Index(text, "\nmodels:\n"), strings.Index(text, "\nnodes:\n")
	if i < 0 || j < i {
		t.Fatal("full.yaml: no models section before nodes")
	}
	var doc struct {
		Models map[string]pipelineModel `yaml:"models"`
	}
	if err := yaml.Unmarshal([]byte(text[i:j]), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Models
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
