// Package e2e runs the sptflow binary on the project's pipelines end to end:
// the offline demo, and the full pipeline with its providers pointed at
// in-process fake Anthropic and OpenRouter servers (faults injected, kill -9
// and resume, partial reruns). TestMain builds the binary once; every test
// works in its own temporary project (a copy of the pipelines, prompts and
// training config), so tests share no store, data or lock file.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

var sptflowBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sptflow-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sptflowBin = filepath.Join(dir, "sptflow")
	build := exec.Command("go", "build", "-o", sptflowBin, "../cmd/sptflow")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build sptflow: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the repository holding this package.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// project is a temporary sptflow project: copies of pipelines/, prompts/
// and config/, its own .sptflow store, data directory and lock file.
type project struct {
	t   *testing.T
	dir string
	env []string // extra environment (fake server URLs, API keys)
}

func newProject(t *testing.T) *project {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"pipelines", "prompts", "config"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(repoRoot(), sub))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".sptflow"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &project{t: t, dir: dir}
}

// write creates a file of the project.
func (p *project) write(rel, text string) {
	p.t.Helper()
	path := filepath.Join(p.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// command returns the sptflow command for args, run in the project.
func (p *project) command(args ...string) *exec.Cmd {
	cmd := exec.Command(sptflowBin, append(args, "--log-format", "json")...)
	cmd.Dir = p.dir
	env := []string{"SPTFLOW_HOME="}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SPTFLOW_") && !strings.HasSuffix(strings.SplitN(kv, "=", 2)[0], "_API_KEY") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, p.env...)
	return cmd
}

// run runs sptflow and returns its combined output; a non-zero exit fails
// the test.
func (p *project) run(args ...string) string {
	p.t.Helper()
	out, err := p.try(args...)
	if err != nil {
		p.t.Fatalf("sptflow %s: %v\n%s", strings.Join(args, " "), err, tail(out, 40))
	}
	return out
}

// try runs sptflow with a time limit and returns its output and error.
func (p *project) try(args ...string) (string, error) {
	p.t.Helper()
	cmd := p.command(args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return buf.String(), err
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		p.t.Fatalf("sptflow %s: no exit within 3 minutes\n%s", strings.Join(args, " "), tail(buf.String(), 40))
		return "", nil
	}
}

// data is the output tree of the e2e experiment (pipelines/experiments/e2e.yaml,
// named spt-e2e): data/<name>, since it sets no data: of its own.
func (p *project) data() string { return filepath.Join(p.dir, "data", "spt-e2e") }

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var callsRE = regexp.MustCompile(`llm calls: (\d+) new, (\d+) cached`)

// newCalls returns the "llm calls: N new" figure of a run's output (0 when
// the run made no call).
func newCalls(out string) int {
	m := callsRE.FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// files reads every file below dir, by slash-separated relative path.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
