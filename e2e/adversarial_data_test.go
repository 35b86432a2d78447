package e2e

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// expectation is one line of testdata/adversarial/data/outcomes.txt.
type expectation struct {
	exit  int
	where string // output, tagged or train
	re    *regexp.Regexp
}

// readOutcomes reads the table of expected outcomes, by file.
func readOutcomes(t *testing.T, path string) map[string][]expectation {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]expectation{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.SplitN(line, "\t", 4)
		if len(cols) != 4 {
			t.Fatalf("%s:%d: want 4 tab-separated columns", path, n)
		}
		exit, err := strconv.Atoi(cols[1])
		if err != nil {
			t.Fatalf("%s:%d: exit code: %v", path, n, err)
		}
		re, err := regexp.Compile(cols[3])
		if err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out[cols[0]] = append(out[cols[0]], expectation{exit: exit, where: cols[2], re: re})
	}
	return out
}

// TestAdversarialData runs the reference pipeline's load, tag, analyze and
// export on each malformed data file of testdata/adversarial/data (as the
// only batch file of one topic) and checks the outcome its table states:
// a wrong JSON type or invalid UTF-8 fails the topic's tag partition with
// the file and the JSON path or byte offset, and nothing is written for the
// topic; lone surrogates and numbers beyond float64 come out as Python's
// json writes them.
func TestAdversarialData(t *testing.T) {
	dir := filepath.Join(repoRoot(), "testdata", "adversarial", "data")
	outcomes := readOutcomes(t, filepath.Join(dir, "outcomes.txt"))
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in %s (%v)", dir, err)
	}
	const batch = "batch_sycophancy_20250822_140536_batch_001.json"
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			want := outcomes[name]
			if len(want) == 0 {
				t.Fatalf("%s has no line in outcomes.txt", name)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p := newProject(t)
			p.write("src/sycophancy/"+batch, string(data))
			p.write("evals/README", "")
			out, err := p.try("run", "pipelines/reference.yaml", "analyze", "export",
				"--set", "source=src", "--set", "eval_results=evals", "--set", "topics=[sycophancy]", "--data", "data")
			exit := 0
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != want[0].exit {
				t.Fatalf("exit %d, want %d\n%s", exit, want[0].exit, tail(out, 20))
			}
			dataDir := filepath.Join(p.dir, "data") // --data data
			tagged := filepath.Join(dataDir, "stage_3_tagged", "sycophancy", batch)
			if exit != 0 {
				for _, gone := range []string{filepath.Dir(tagged), filepath.Join(dataDir, "export"), filepath.Join(dataDir, "stage_3_analysis")} {
					if _, err := os.Stat(gone); err == nil {
						t.Errorf("%s written by a failed run", gone)
					}
				}
			}
			where := map[string]string{"output": out, "tagged": readOr(tagged), "train": readOr(filepath.Join(dataDir, "export", "train.jsonl"))}
			for _, w := range want {
				text, ok := where[w.where]
				if !ok {
					t.Fatalf("outcomes.txt: unknown place %q", w.where)
				}
				if !w.re.MatchString(text) {
					t.Errorf("%s does not match %s\n%s", w.where, w.re, tail(text, 20))
				}
			}
		})
	}
}

// readOr returns the file's text, or "" when it cannot be read.
func readOr(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
