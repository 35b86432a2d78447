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
	bin, err := exec.LookPath("sptflow") // testscript.Main put it on PATH
	if err != nil {
		t.Skip("no sptflow command on PATH:", err)
	}
	dir := ttyProject(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "pipelines/demo.yaml")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERM=xterm", "NO_COLOR=1", "SPTFLOW_HOME=",
		"ANTHROPIC_API_KEY=", "OPENAI_API_KEY=", "OPENROUTER_API_KEY=")
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
		t.Fatalf("sptflow run: %v\n%s", werr, out.String())
	}
	segs := screenSegments(out.String())

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
	final := regexp.MustCompile(`^(\[=+\] )?10/10 partitions  \d+ requests  \$0\.0000  \d+:\d\d`)
	want := []*regexp.Regexp{final,
		regexp.MustCompile(`^executed 10, cached 0, failed 0, skipped 0$`),
		regexp.MustCompile(`^llm calls: \d+ new, 0 cached, 0 failed \(\d+ attempts, [1-9]\d* rate-limited\)`),
		regexp.MustCompile(`^outputs: data/demo$`),
		regexp.MustCompile(`^report: data/demo/stage_3_analysis/report\.html$`),
		regexp.MustCompile(`^training set: \d+ samples? \(\d+ train, 0 validation\) in data/demo/export$`),
		regexp.MustCompile(`^simulated: (\d+) of (\d+) LLM replies came from simulated models`),
	}
	for _, re := range want {
		if !anyMatch(segs, re) {
			t.Errorf("no line matches %s; screen:\n%s", re, strings.Join(segs, "\n"))
		}
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
