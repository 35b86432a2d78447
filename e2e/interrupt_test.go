package e2e

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// TestInterruptFinishesRequestsInFlight interrupts a run (SIGINT) while the
// fake server holds two of its four stage-1 requests (the model's
// concurrency is 2), lets the server answer them only once the run says it
// is stopping, and checks that the run waited for them and stored them:
// every request received was answered, none was sent after the stop, the
// run exits 130 saying how to continue, its partitions are "interrupted"
// (summary, journal, log), and the next run sends no request a second time.
func TestInterruptFinishesRequestsInFlight(t *testing.T) {
	t.Parallel()
	const batches, inFlight = 4, 2
	p := newProject(t)
	p.write(e2ePipeline, strings.Replace(experiment("[sycophancy]", batches, 2),
		"opus: {rpm: 0,", "opus: {concurrency: "+strconv.Itoa(inFlight)+", rpm: 0,", 1))
	f := newFakes(t, p, fakeOptions{})
	f.anthropic.hold()
	cmd := p.command("run", e2ePipeline)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitFor(t, "the stage-1 requests to be held", func() bool { held, _ := f.anthropic.busy(); return held == inFlight })
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the run to say it is stopping", func() bool { return strings.Contains(out.String(), "received interrupt: stopping") })
	f.anthropic.releaseHeld()
	var err error
	select {
	case err = <-exited:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the run did not end after the interrupt\n%s", tail(out.String(), 20))
	}
	text := out.String()
	if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit: %v; want exit status 130\n%s", err, tail(text, 20))
	}
	for _, want := range []string{"interrupted — run the same command to continue", "failed 0, skipped 0, interrupted "} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q\n%s", want, tail(text, 20))
		}
	}
	all := f.all()
	for _, r := range all {
		if !r.answered {
			t.Errorf("a %s request was not answered: the interrupt cut it off", r.kind)
		}
	}
	if len(all) != inFlight {
		t.Errorf("the servers received %d requests; want the %d in flight at the interrupt, none after it", len(all), inFlight)
	}
	spent, _ := ledger(t, p)
	if spent.Stored != inFlight || spent.InFlight != 0 || spent.FailedCalls != 0 {
		t.Errorf("ledger: %d stored, %d in flight, %d failed; want %d stored", spent.Stored, spent.InFlight, spent.FailedCalls, inFlight)
	}
	if log := p.run("log"); !regexp.MustCompile(`interrupted: executed \d+, cached \d+, failed 0, skipped 0, interrupted [1-9]`).MatchString(log) ||
		!strings.Contains(log, "interrupted generate@sycophancy") {
		t.Errorf("sptflow log does not report the interrupted run:\n%s", log)
	}

	if again := p.run("run", e2ePipeline); !strings.Contains(again, "llm served ") {
		t.Errorf("the next run does not serve the 2 requests stored at the interrupt\n%s", tail(again, 10))
	}
	sent := sentPerKey(t, p)
	for key, n := range sent {
		if n != 1 {
			t.Errorf("request %.12s sent %d times over both runs; want once", key, n)
		}
	}
	if got := len(f.all()); got != len(sent) {
		t.Errorf("the servers received %d requests over both runs; want %d, the distinct requests", got, len(sent))
	}
}

// sentPerKey counts the requests sent per request key over all of the
// project's runs, from their spend ledgers.
func sentPerKey(t *testing.T, p *project) map[string]int {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(p.dir, ".sptflow", "runs", "*", "spend.jsonl"))
	n := map[string]int{}
	for _, path := range paths {
		lines, err := llm.ReadLedger(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if l.Event == llm.SpendSent {
				n[l.Key]++
			}
		}
	}
	return n
}

// TestUnreachableServerStopsModel runs the pipeline with its providers
// pointed at a closed port: the run stops the model after a few connection
// failures, well before the retries would run out, says why in its
// summary, and records no request as failed: a later run against a live
// server sends every request once.
func TestUnreachableServerStopsModel(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := newProject(t)
	p.write(e2ePipeline, experiment("[sycophancy, reward_hacks]", 2, 2))
	live := p.env
	p.env = append(p.env, "SPTFLOW_TEST_BASE_URL_ANTHROPIC=http://"+addr+"/v1", "ANTHROPIC_API_KEY=k",
		"SPTFLOW_TEST_BASE_URL_OPENROUTER=http://"+addr+"/v1", "OPENROUTER_API_KEY=k")
	start := time.Now()
	out, err := p.try("run", e2ePipeline)
	took := time.Since(start)
	if err == nil {
		t.Fatalf("the run succeeded against a closed port\n%s", tail(out, 20))
	}
	if took > 45*time.Second {
		t.Errorf("the run took %s to give up on an unreachable server; want well under 45s", took.Round(time.Second))
	}
	want := regexp.MustCompile(`model anthropic/\S+: server unreachable at http://` + regexp.QuoteMeta(addr) +
		`: connection refused \(\d+ connection failures in a row over [0-9.]+s\); 4 rows not done stay pending for the next run`)
	if !want.MatchString(out) {
		t.Errorf("the summary does not say why the run stopped: want %q\n%s", want, tail(out, 20))
	}
	t.Logf("gave up after %s: %s", took.Round(100*time.Millisecond), want.FindString(out))

	p.env = live
	f := newFakes(t, p, fakeOptions{})
	p.run("run", e2ePipeline)
	if failed := p.run("gc", "--failed-requests", "--dry-run"); regexp.MustCompile(`[1-9]\d* (failed|request)`).MatchString(failed) {
		t.Logf("gc --failed-requests --dry-run: %s", failed)
	}
	sent := sentPerKey(t, p)
	if got := len(f.all()); got != len(sent) {
		t.Errorf("the live servers received %d requests; want %d, one per distinct request", got, len(sent))
	}
}

// syncBuffer is a bytes.Buffer safe for a process's writers and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
