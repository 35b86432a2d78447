package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// adversarialPipelines holds broken pipeline files, one problem each
// (several.yaml: many at once). Each file states what sptflow must print
// in "# want: FILE:LINE:COL: message" lines.
const adversarialPipelines = "testdata/adversarial/pipelines"

// TestAdversarialPipelines runs `validate` and `run` on every file of the
// corpus in an empty project: exit code 2, exactly the wanted messages
// with their positions, and nothing written: no store entry, no data
// directory, no lock file. (A problem found when a node resolves, after the
// store is opened, leaves the empty store skeleton: directories and
// .sptflow/layout.)
func TestAdversarialPipelines(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(adversarialPipelines, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s (%v)", adversarialPipelines, err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := wantLines(string(src))
		if len(want) == 0 {
			t.Fatalf("%s: no '# want:' line", f)
		}
		for _, cmd := range []string{"validate", "run"} {
			t.Run(filepath.Base(f)+"/"+cmd, func(t *testing.T) {
				dir := t.TempDir()
				name := filepath.Base(f)
				if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Chdir(dir)
				t.Setenv("SPTFLOW_HOME", "")
				for _, k := range []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY"} {
					t.Setenv(k, "test-key") // the failure must be the entry's, not a missing key
				}
				code, got := runInProcess(cmd, name)
				if code != exitUsage {
					t.Errorf("exit code: got %d, want %d", code, exitUsage)
				}
				if !slices.Equal(got, want) {
					t.Errorf("messages\ngot:  %q\nwant: %q", got, want)
				}
				if left := filesIn(t, dir); !slices.Equal(left, []string{name}) {
					t.Errorf("files after %s: got %v, want only %s", cmd, left, name)
				}
			})
		}
	}
}

// wantLines returns the messages a corpus file's "# want:" lines name.
func wantLines(src string) []string {
	var want []string
	for line := range strings.Lines(src) {
		if m, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "# want: "); ok {
			want = append(want, m)
		}
	}
	return want
}

// runInProcess runs the command as Main does and returns its exit code
// and the lines it reported (stderr, then the error Main would print).
func runInProcess(args ...string) (int, []string) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	out := stderr.String()
	if err != nil {
		out += err.Error()
	}
	var lines []string
	for line := range strings.Lines(out) {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	return exitCode(err), lines
}

// filesIn lists what dir holds, relative and sorted: every file and
// directory but the store's directories and its layout file, which an
// empty store holds.
func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		inStore := rel == ".sptflow" || strings.HasPrefix(rel, ".sptflow"+string(filepath.Separator))
		if !(inStore && d.IsDir()) && rel != filepath.Join(".sptflow", "layout") {
			names = append(names, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}
