//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileTimeout bounds every command of the hostile-input tests: none may
// block on a FIFO or read a huge file, so each ends in well under it.
const hostileTimeout = 60 * time.Second

// result is one finished sptflow process.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// sptflowIn runs the sptflow binary (testscript.Main puts it on $PATH) in
// dir, failing the test if it does not end within hostileTimeout.
func sptflowIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sptflow", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"SPTFLOW_HOME=", "ANTHROPIC_API_KEY=", "OPENAI_API_KEY=", "OPENROUTER_API_KEY="}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("sptflow %v did not end within %v (blocked?)\nstdout:\n%s\nstderr:\n%s", args, hostileTimeout, r.stdout, lastLines(r.stderr, 20))
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("sptflow %v: %v", args, err)
	}
	return r
}

// hostileProject writes a project whose load/tag pipeline has two good
// topics (sycophancy, jailbreak_attempts, from
// testdata/adversarial/inputs) and one topic per kind of bad input file.
// It returns the project directory and the bad topics with the reason
// each partition must fail with.
func hostileProject(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	good := []string{"sycophancy", "jailbreak_attempts"}
	for _, topic := range good {
		name := "batch_" + topic + "_20250822_140536_batch_001.json"
		b, err := os.ReadFile(filepath.Join("testdata/adversarial/inputs", name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "src", topic, name), string(b))
	}
	bad := map[string]string{
		"fifo":     "not a regular file (a named pipe)",
		"dangling": "no such file or directory",
		"loop":     "too many levels of symbolic links",
		"linkdir":  "not a regular file (a directory)",
		"big":      "file is 2 GiB, over the limit of 256 MiB",
	}
	mk := func(topic string) string {
		d := filepath.Join(dir, "src", topic)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(d, "batch_"+topic+"_001.json")
	}
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(syscall.Mkfifo(mk("fifo"), 0o644))
	check(os.Symlink("nothere.json", mk("dangling")))
	loop := mk("loop")
	check(os.Symlink(filepath.Base(loop), loop))
	check(os.Symlink("..", mk("linkdir")))
	big := mk("big")
	check(os.WriteFile(big, nil, 0o644))
	check(os.Truncate(big, 2<<30)) // sparse: no disk
	if os.Geteuid() != 0 {         // root reads a mode-000 file
		unreadable := mk("unreadable")
		check(os.WriteFile(unreadable, []byte("{}"), 0o000))
		bad["unreadable"] = "permission denied"
	}
	topics := append([]string{}, good...)
	for topic := range bad {
		topics = append(topics, topic)
	}
	writeFile(t, filepath.Join(dir, "p.yaml"), `version: 1
name: hostile
data: data
vars:
  topics: [`+strings.Join(topics, ", ")+`]
nodes:
  load:
    kind: load
    foreach: {topic: ${topics}}
    with: {dir: src, pattern: 'batch_*.json'}
  tag:
    kind: tag
    foreach: {topic: ${topics}}
    needs: [load]
`)
	return dir, bad
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBadInputFailsOnlyItsTopic: a FIFO, a dangling link, a link loop, a
// link to a directory, an unreadable and an oversize file, each in one
// topic's input directory, fail that topic's partitions at run time with
// the file and the reason; validate warns about them; the good topics run.
func TestBadInputFailsOnlyItsTopic(t *testing.T) {
	dir, bad := hostileProject(t)

	v := sptflowIn(t, dir, nil, "validate", "p.yaml")
	if v.code != 0 {
		t.Fatalf("validate: got exit %d\nwant: 0\n%s%s", v.code, v.stdout, v.stderr)
	}
	for topic, reason := range bad {
		want := "load@" + topic + " will fail (the other partitions run): input src/" + topic + "/batch_" + topic + "_001.json: " + reason
		if !strings.Contains(v.stdout, want) {
			t.Errorf("validate stdout got:\n%s\nwant a line containing: %s", v.stdout, want)
		}
	}

	r := sptflowIn(t, dir, nil, "run", "p.yaml", "--log-format", "json")
	if r.code != 1 {
		t.Fatalf("run: got exit %d\nwant: 1\n%s%s", r.code, r.stdout, lastLines(r.stderr, 20))
	}
	out := r.stdout + r.stderr
	for topic, reason := range bad {
		want := "input src/" + topic + "/batch_" + topic + "_001.json: " + reason
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}
	for _, topic := range []string{"sycophancy", "jailbreak_attempts"} {
		p := filepath.Join(dir, "data/stage_3_tagged", topic, "batch_"+topic+"_20250822_140536_batch_001.json")
		if _, err := os.Stat(p); err != nil {
			t.Errorf("good topic %s did not run: %v", topic, err)
		}
	}
	wantSummary := "executed 4, cached 0, failed " + itoa(len(bad)) + ", skipped " + itoa(len(bad))
	if !strings.Contains(r.stdout, wantSummary) {
		t.Errorf("run stdout got:\n%s\nwant: %s", r.stdout, wantSummary)
	}

	for _, args := range [][]string{{"status", "p.yaml", "--why"}, {"status", "p.yaml"}} { // the problem with or without --why
		s := sptflowIn(t, dir, nil, args...)
		for topic, reason := range bad {
			want := "load@" + topic + "\n    input src/" + topic + "/batch_" + topic + "_001.json: " + reason
			if !strings.Contains(s.stdout, want) {
				t.Errorf("%s stdout got:\n%s\nwant: %s", strings.Join(args, " "), s.stdout, want)
			}
		}
	}
	s := sptflowIn(t, dir, nil, "status", "p.yaml")
	if !strings.Contains(s.stdout, "up-to-date   tag@sycophancy") {
		t.Errorf("status stdout got:\n%s\nwant tag@sycophancy up to date", s.stdout)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestHostileConfigFiles: a pipeline file, a file it extends, a .env, a
// prompt file or a lock file that is a FIFO, a device, a directory or over
// its size limit is refused at once, naming the file and the reason.
func TestHostileConfigFiles(t *testing.T) {
	type tc struct {
		name  string
		setup func(t *testing.T, dir string) // writes p.yaml and the hostile file
		args  []string
		code  int
		want  []string
		env   []string
	}
	okPipeline := "version: 1\nname: ok\ndata: data\nnodes:\n  load:\n    kind: load\n    foreach: {topic: [a]}\n    with: {dir: src}\n"
	withSrc := func(t *testing.T, dir string) {
		writeFile(t, filepath.Join(dir, "src", "a", "batch_1.json"), "{}")
	}
	tests := []tc{
		{"pipeline FIFO", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "p.yaml"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"validate", "p.yaml"}, 2, []string{"read pipeline: open p.yaml: not a regular file (a named pipe)"}, nil},
		{"pipeline device", func(t *testing.T, dir string) {}, []string{"validate", "/dev/zero"}, 2,
			[]string{"read pipeline: open /dev/zero: not a regular file (a character device)"}, nil},
		{"pipeline directory", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "p.yaml"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, []string{"validate", "p.yaml"}, 2, []string{"open p.yaml: not a regular file (a directory)"}, nil},
		{"pipeline 2 GiB", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "p.yaml"), okPipeline)
			if err := os.Truncate(filepath.Join(dir, "p.yaml"), 2<<30); err != nil {
				t.Fatal(err)
			}
		}, []string{"validate", "p.yaml"}, 2, []string{"open p.yaml: file is 2 GiB, over the limit of 16 MiB"}, nil},
		{"extends FIFO", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "p.yaml"), "extends: base.yaml\n"+okPipeline)
			if err := syscall.Mkfifo(filepath.Join(dir, "base.yaml"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"validate", "p.yaml"}, 2, []string{"p.yaml:1:10: read pipeline: open base.yaml: not a regular file (a named pipe)"}, nil},
		{".env FIFO", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "p.yaml"), okPipeline)
			withSrc(t, dir)
			if err := syscall.Mkfifo(filepath.Join(dir, ".env"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"validate", "p.yaml"}, 2, []string{"read .env: open ", ".env: not a regular file (a named pipe)"}, nil},
		{"lock file FIFO", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "p.yaml"), okPipeline)
			withSrc(t, dir)
			if err := syscall.Mkfifo(filepath.Join(dir, "sptflow.lock"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"status", "p.yaml"}, 1, []string{"sptflow.lock: not a regular file (a named pipe)"}, nil},
		{"prompt FIFO", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "p.yaml"), "version: 1\nname: gen\ndata: data\nprompts: prompts\nnodes:\n  generate:\n    kind: generate\n    foreach: {topic: [sycophancy]}\n    with: {model: m}\nmodels:\n  m: {provider: sim, model: sim-1}\n")
			if err := os.MkdirAll(filepath.Join(dir, "prompts"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(filepath.Join(dir, "prompts", "base_prompt.md"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"validate", "p.yaml"}, 2, []string{"base_prompt.md: not a regular file (a named pipe)"}, nil},
		{"diff FIFO", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "p.yaml"), okPipeline)
			withSrc(t, dir)
			if err := syscall.Mkfifo(filepath.Join(dir, "other"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"diff", "p.yaml", "other"}, 2, []string{"open other: not a regular file (a named pipe)"}, nil},
		{"lock file 2 GiB", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "p.yaml"), okPipeline)
			withSrc(t, dir)
			writeFile(t, filepath.Join(dir, "sptflow.lock"), "")
			if err := os.Truncate(filepath.Join(dir, "sptflow.lock"), 2<<30); err != nil {
				t.Fatal(err)
			}
		}, []string{"status", "p.yaml"}, 1, []string{"sptflow.lock: file is 2 GiB, over the limit of 256 MiB"}, nil},
		{"output layout file FIFO", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "p.yaml"), okPipeline)
			withSrc(t, dir)
			if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(filepath.Join(dir, "data", ".sptflow-outputs.json"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"validate", "p.yaml"}, 1, []string{".sptflow-outputs.json: not a regular file (a named pipe)"}, nil},
		{"bad SPTFLOW_MAX_DATA_FILE", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "p.yaml"), okPipeline)
			withSrc(t, dir)
		}, []string{"validate", "p.yaml"}, 2, []string{"SPTFLOW_MAX_DATA_FILE: invalid size \"lots\""}, []string{"SPTFLOW_MAX_DATA_FILE=lots"}},
		{"data file over a lowered limit", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "p.yaml"), okPipeline)
			withSrc(t, dir)
		}, []string{"run", "p.yaml"}, 1, []string{"input src/a/batch_1.json: file is 2 B, over the limit of 1 B"}, []string{"SPTFLOW_MAX_DATA_FILE=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			r := sptflowIn(t, dir, tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("got exit %d\nwant: %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, lastLines(r.stderr, 10))
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr got:\n%s\nwant: %s", lastLines(r.stderr, 10), w)
				}
			}
			if strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("stderr holds a Go stack trace:\n%s", lastLines(r.stderr, 10))
			}
		})
	}
}

// TestFirstSignalEndsRun: with a run blocked in a step (one that stops when
// its context is cancelled), the first SIGTERM ends the process within a
// few seconds of the interrupt grace (SPTFLOW_INTERRUPT_GRACE, which lets
// requests in flight finish), reporting the interruption. The signal is
// sent once the log says the step started (no sleep).
func TestFirstSignalEndsRun(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "src", "a", "batch_1.json"), `{"topic": "a", "batch": 1}`)
	writeFile(t, filepath.Join(dir, "p.yaml"), `version: 1
name: blocked
data: data
nodes:
  load:
    kind: testload
    foreach: {topic: [a]}
    with: {source: src}
  tag:
    kind: testtag
    foreach: {topic: [a]}
    needs: [load]
    with: {delay_ms: 600000}
`)
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sptflow", "run", "p.yaml", "--log-format", "json")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SPTFLOW_HOME=", "SPTFLOW_INTERRUPT_GRACE=1s")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), `"partition":"tag@a"`) && strings.Contains(sc.Text(), `"message":"started"`) {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	for sc.Scan() { // until the process closes its output
		log.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	took := time.Since(sent)
	if ctx.Err() != nil {
		t.Fatalf("run did not end after SIGTERM within %v\n%s", hostileTimeout, log.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Errorf("got: %v\nwant: a non-zero exit", err)
	}
	if took > 6*time.Second {
		t.Errorf("run ended %v after SIGTERM\nwant: within a few seconds of the 1s grace", took)
	}
}
