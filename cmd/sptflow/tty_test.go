//go:build linux || darwin

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/creack/pty"
)

// TestProgressOnTerminal runs `sptflow run` on a pseudo-terminal 80 columns
// wide, on the demo pipeline with two topics and simulated models that take
// 200ms per call (qwen32 also answers a fifth of its attempts with a 429
// and a 1s Retry-After), and checks what the user sees: an overall line
// with partitions done/total, requests, cost and elapsed time, a line per
// running partition with its rows, the rate-limit wait, every progress line
// within 80 columns and none cut to "…", and the final summary.
func TestProgressOnTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a pipeline for a few seconds")
	}
	bin := ttyBin(t)
	dir := ttyProject(t)
	segs := runOnTerminal(t, bin, dir, nil, "run", "pipelines/demo.yaml")
	checkProgressScreen(t, segs, `\$0\.0000`, "data/demo")
}

// TestProgressOnTerminalFake is TestProgressOnTerminal over real HTTP: the
// run is pipelines/experiments/fake.yaml against a background `sptflow
// fake` that answers in 200ms and enforces 300 requests a minute per model
// with 429s, so the display shows the rate-limit wait; the summary says
// every reply was simulated.
func TestProgressOnTerminalFake(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a pipeline for a few seconds")
	}
	bin := ttyBin(t)
	dir := ttyFakeProject(t)
	keys := []string{"FAKE_ANTHROPIC_KEY=dummy-anthropic-key", "FAKE_OPENAI_KEY=dummy-openai-key",
		"FAKE_OPENROUTER_KEY=dummy-openrouter-key"}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	urlFile := filepath.Join(t.TempDir(), "url.txt")
	fake := exec.CommandContext(ctx, bin, "fake", "--addr", "127.0.0.1:0", "--url-file", urlFile,
		"--latency", "200ms", "--rpm", "300")
	fake.Env = ttyEnv(keys)
	var fakeOut, fakeErr bytes.Buffer
	fake.Stdout, fake.Stderr = &fakeOut, &fakeErr
	if err := fake.Start(); err != nil {
		t.Fatalf("start sptflow fake: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- fake.Wait() }()
	stopped := false
	stop := func() error { // Ctrl-C: the fake prints its counts and exits
		if stopped {
			return nil
		}
		stopped = true
		if err := fake.Process.Signal(os.Interrupt); err != nil {
			return err
		}
		select {
		case err := <-exited:
			return err
		case <-time.After(30 * time.Second):
			fake.Process.Kill()
			<-exited
			return errors.New("sptflow fake did not stop on SIGINT")
		}
	}
	defer stop()

	deadline := time.Now().Add(waitFileTimeout)
	for !fileMatches(urlFile, regexp.MustCompile(`^http://\S+\n$`)) {
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("sptflow fake exited before listening: %v\n%s%s", err, fakeOut.String(), fakeErr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sptflow fake wrote no URL to %s within %s", urlFile, waitFileTimeout)
		}
		time.Sleep(5 * time.Millisecond) // polling the file system, not timing the fake
	}
	b, err := os.ReadFile(urlFile)
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(string(b))

	segs := runOnTerminal(t, bin, dir, keys, "run", "pipelines/experiments/fake.yaml", "--set", "fake_url="+url)
	checkProgressScreen(t, segs, `\$\d+\.\d{4}`, "data/spt-fake")

	if err := stop(); err != nil {
		t.Fatalf("sptflow fake: %v\n%s%s", err, fakeOut.String(), fakeErr.String())
	}
	if re := regexp.MustCompile(`(?m)^served \d+ requests in .*: [1-9]\d* rate-limited \(--rpm/--tpm\)`); !re.Match(fakeOut.Bytes()) {
		t.Errorf("the fake's counts match no %s:\n%s", re, fakeOut.String())
	}
}

func ttyBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("sptflow") // testscript.Main put it on PATH
	if err != nil {
		t.Skip("no sptflow command on PATH:", err)
	}
	return bin
}

// ttyEnv is the environment of the commands the terminal tests start: no
// colour, no user home, no real keys; extra is added.
func ttyEnv(extra []string) []string {
	env := append(os.Environ(), "TERM=xterm", "NO_COLOR=1", "SPTFLOW_HOME=",
		"ANTHROPIC_API_KEY=", "OPENAI_API_KEY=", "OPENROUTER_API_KEY=",
		"SPTFLOW_TEST_BASE_URL_ANTHROPIC=", "SPTFLOW_TEST_BASE_URL_OPENROUTER=")
	return append(env, extra...)
}

// runOnTerminal runs bin with args in dir on an 80×24 pseudo-terminal
// (environment ttyEnv(env)), fails the test if it fails, and returns the
// segments of what it wrote (screenSegments).
func runOnTerminal(t *testing.T, bin, dir string, env []string, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = ttyEnv(env)
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 80, Rows: 24})
	if err != nil {
		t.Skip("no pseudo-terminal:", err)
	}
	defer ptmx.Close()
	var out bytes.Buffer
	copied := make(chan error, 1)
	go func() { _, err := io.Copy(&out, ptmx); copied <- err }()
	werr := cmd.Wait()
	if err := <-copied; err != nil && !errors.Is(err, os.ErrClosed) && !strings.Contains(err.Error(), "input/output error") {
		t.Fatalf("read terminal: %v", err)
	}
	if werr != nil {
		t.Fatalf("sptflow %s: %v\n%s", strings.Join(args, " "), werr, out.String())
	}
	return screenSegments(out.String())
}

// checkProgressScreen checks what a run of the 10 partitions of the SPT
// pipeline (generate, infer, intervene, tag on two topics, analyze,
// export) showed on an 80-column terminal: overall and per-partition
// progress lines, at least one showing the rate-limit wait, none wider than
// 80 columns or cut to "…", and the final summary with its cost (cost, a
// regexp), rate-limited attempts, outputs under outDir, and every LLM
// reply labelled simulated.
func checkProgressScreen(t *testing.T, segs []string, cost, outDir string) {
	t.Helper()
	overall := regexp.MustCompile(`^(\[[=>-]+\] )?\d+/10 partitions  \d+ requests  \$\d+\.\d{4}  \d+:\d\d`)
	part := regexp.MustCompile(`^  (generate|infer|intervene|tag)@\S+ .*\d+/\d+ rows`)
	var nOverall, nPart, nWait int
	for _, s := range segs {
		isOverall, isPart := overall.MatchString(s), part.MatchString(s)
		if isOverall {
			nOverall++
		}
		if isPart {
			nPart++
		}
		if (isOverall || isPart) && strings.Contains(s, "waiting: rate limit") {
			nWait++
		}
		if (isOverall || isPart) && utf8.RuneCountInString(strings.TrimRight(s, " ")) > 80 {
			t.Errorf("progress line of %d columns, want at most 80: %q", utf8.RuneCountInString(s), s)
		}
		if strings.Contains(s, "…") {
			t.Errorf("line cut to …: %q", s)
		}
	}
	if nOverall == 0 || nPart == 0 || nWait == 0 {
		t.Errorf("got %d overall lines, %d partition lines, %d showing the rate-limit wait; want each at least 1; screen:\n%s",
			nOverall, nPart, nWait, strings.Join(segs, "\n"))
	}
	out := regexp.QuoteMeta(outDir)
	final := regexp.MustCompile(`^(\[=+\] )?10/10 partitions  \d+ requests  ` + cost + `  \d+:\d\d`)
	want := []*regexp.Regexp{final,
		regexp.MustCompile(`^executed 10, cached 0, failed 0, skipped 0$`),
		regexp.MustCompile(`^llm calls: \d+ new, 0 cached, 0 failed \(\d+ attempts, [1-9]\d* rate-limited\)`),
		regexp.MustCompile(`^outputs: ` + out + `$`),
		regexp.MustCompile(`^report: ` + out + `/stage_3_analysis/report\.html$`),
		regexp.MustCompile(`^training set: \d+ samples? \(\d+ train, 0 validation\) in ` + out + `/export$`),
	}
	for _, re := range want {
		if !anyMatch(segs, re) {
			t.Errorf("no line matches %s; screen:\n%s", re, strings.Join(segs, "\n"))
		}
	}
	simulated := regexp.MustCompile(`^simulated: (\d+) of (\d+) LLM replies came from simulated models`)
	var m []string
	for _, s := range segs {
		if m = simulated.FindStringSubmatch(s); m != nil {
			break
		}
	}
	if m == nil || m[1] != m[2] || m[1] == "0" {
		t.Errorf("want a line saying every LLM reply was simulated (%s, both counts equal and not 0), got %q; screen:\n%s",
			simulated, m, strings.Join(segs, "\n"))
	}
}

// ttyProject writes a project with the demo pipeline on two topics whose
// sim models answer in 200ms, qwen32 with 429s.
func ttyProject(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(repo, "pipelines", "demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := string(src)
	for _, r := range [][2]string{
		{"topics: [sycophancy, reward_hacks, specification_gaming]", "topics: [sycophancy, reward_hacks]"},
		{"max_tokens: 8000}", "max_tokens: 8000, sim: {latency: 200ms}}"},
		{"max_tokens: 2048, ", "max_tokens: 2048, sim: {latency: 200ms, rate_limit_rate: 0.2, retry_after: 1s}, "},
		{"sim: {review_rejection_rate: 0.15}", "sim: {review_rejection_rate: 0.15, latency: 200ms}"},
	} {
		if !strings.Contains(p, r[0]) {
			t.Fatalf("pipelines/demo.yaml has no %q", r[0])
		}
		p = strings.Replace(p, r[0], r[1], 1)
	}
	for _, d := range []string{".sptflow", "pipelines", "config"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "pipelines", "demo.yaml"), []byte(p), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(repo, "config", "training_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config", "training_config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "prompts"), os.DirFS(filepath.Join(repo, "prompts"))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ttyFakeProject writes a project with pipelines/experiments/fake.yaml and
// what it needs, as testdata/script/fake.txtar does.
func ttyFakeProject(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, d := range []string{".sptflow", "pipelines/experiments", "config"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"pipelines/full.yaml", "pipelines/experiments/fake.yaml", "config/training_config.json"} {
		b, err := os.ReadFile(filepath.Join(repo, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(dir, "prompts"), os.DirFS(filepath.Join(repo, "prompts"))); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ansi matches the terminal control sequences mpb writes (cursor moves,
// line clears).
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// screenSegments splits terminal output into the texts written between
// control sequences and line breaks: each progress line mpb draws is one.
func screenSegments(s string) []string {
	s = ansi.ReplaceAllString(s, "\n")
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func anyMatch(segs []string, re *regexp.Regexp) bool {
	for _, s := range segs {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
