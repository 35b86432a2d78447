// Package e2e runs the sptflow binary on the project's pipelines end to end.
// TestMain builds the binary once; tests skip (with the reason) when the
// command does not know the generation kinds yet.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sptflow-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sptflow")
	build := exec.Command("go", "build", "-o", binary, "../cmd/sptflow")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build sptflow: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// sptflow runs the binary in the project root with its own store and data
// directory and returns its combined output.
func sptflow(t *testing.T, home, data string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, append(args, "--data", data, "--log-format", "json")...)
	cmd.Dir = root()
	cmd.Env = append(os.Environ(), "SPTFLOW_HOME="+home)
	out, err := cmd.CombinedOutput()
	if strings.Contains(string(out), `unknown kind "infer"`) || strings.Contains(string(out), `unknown kind "intervene"`) {
		t.Skip("the sptflow command does not register infer/intervene yet (cmd/sptflow/kinds.go)")
	}
	return string(out), err
}

var callsRE = regexp.MustCompile(`llm calls: (\d+) new, (\d+) cached`)

// newCalls returns the "llm calls: N new" figure of a run's output.
func newCalls(t *testing.T, out string) int {
	t.Helper()
	m := callsRE.FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestDemoPipelineShapes(t *testing.T) {
	home, data := t.TempDir(), t.TempDir()
	out, _ := sptflow(t, home, data, "run", "pipelines/demo.yaml")
	for _, stage := range []string{"stage_1", "stage_2", "stage_3", "stage_3_tagged"} {
		files, _ := filepath.Glob(filepath.Join(data, stage, "sycophancy", "batch_*.json"))
		if len(files) != 2 {
			t.Fatalf("%s/sycophancy: got %d batch files, want 2\n%s", stage, len(files), out)
		}
		doc := readDoc(t, files[0])
		want := []string{"batch_id", "generation_timestamp", "model_used", "stage", "topic", "data", "project_feedback", "simulated"}
		if got := doc.Keys(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s top-level keys: got %v, want %v", stage, got, want)
		}
	}
	verdicts, variants := map[string]int{}, map[string]int{}
	files, _ := filepath.Glob(filepath.Join(data, "stage_3_tagged", "*", "batch_*.json"))
	for _, f := range files {
		data, _ := spt.Data(readDoc(t, f))
		for _, it := range data {
			models, _ := spt.Models(it.(*pyjson.Object))
			for _, m := range models {
				for _, v := range spt.Variants {
					vo, _ := spt.Variant(m.Obj, v)
					if vo == nil {
						continue
					}
					variants[v]++
					recs, _, _ := spt.Interventions(vo)
					for _, r := range recs {
						p, _ := r.Obj.Str("P")
						verdicts[p]++
					}
				}
			}
		}
	}
	if verdicts["PASS"] == 0 || verdicts["FAIL"] == 0 || variants["A"] == 0 || variants["B"] == 0 {
		t.Errorf("degenerate tagged data: verdicts %v, variants %v", verdicts, variants)
	}
	// A second run sends nothing.
	out, _ = sptflow(t, home, data, "run", "pipelines/demo.yaml")
	if n := newCalls(t, out); n != 0 {
		t.Errorf("rerun sent %d requests, want 0\n%s", n, out)
	}
}

func TestRaisingBatchesSendsOnlyTheNewBatch(t *testing.T) {
	home, data := t.TempDir(), t.TempDir()
	args := []string{"run", "pipelines/demo.yaml", "generate", "--set", "topics=[sycophancy]"}
	if out, err := sptflow(t, home, data, append(args, "--set", "batches=2")...); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	out, err := sptflow(t, home, data, append(args, "--set", "batches=3")...)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if n := newCalls(t, out); n != 1 {
		t.Errorf("batches 2 -> 3 sent %d requests, want 1\n%s", n, out)
	}
}

func readDoc(t *testing.T, path string) *pyjson.Object {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := pyjson.ParseObject(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}
