package evalreport

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/store"
)

// observeProject writes three result files large enough to be mapped and
// returns the project directory and its engine (observing as a run does,
// or not).
func observeProject(t *testing.T, observe bool) (string, *engine.Engine) {
	t.Helper()
	dir := t.TempDir()
	q := filepath.Join(dir, "evals", "quantitative")
	if err := os.MkdirAll(q, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []runFile{
		{name: "results_a.json", meta: spt("a_lora", true, "hp"), cond: TrainedActual, entries: flags(1000, 1500, 10)},
		{name: "results_b.json", meta: spt("a_lora", true, "hp"), cond: OriginalActual, entries: flags(1500, 1000, 10)},
		{name: "results_c.json", meta: spt("b_nolora", false, "hp"), cond: TrainedActual, entries: flags(2000, 1000, 0)},
	} {
		doc := f.bytes(t)
		if len(doc) < 2*windowSize {
			t.Fatalf("%s: %d bytes, too small to be mapped", f.name, len(doc))
		}
		if err := os.WriteFile(filepath.Join(q, f.name), doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(filepath.Join(dir, ".sptflow"))
	if err != nil {
		t.Fatal(err)
	}
	spec := &engine.PartitionSpec{ID: "evaluation", Node: "evaluation", Kind: Kind, With: map[string]any{"dir": "evals"},
		NodePos: "test.yaml:1:1", ProjectRoot: dir, DataDir: filepath.Join(dir, "data")}
	g := &engine.Graph{Name: "test", Path: "test.yaml", Partitions: []*engine.PartitionSpec{spec}, Needs: map[engine.PartitionID][]engine.PartitionID{}}
	e, err := engine.New(g, engine.Options{Steps: map[string]engine.Step{Kind: New()}, Store: st, Log: zerolog.Nop(), ObserveInputs: observe})
	if err != nil {
		t.Fatal(err)
	}
	return dir, e
}

// A run parses each new result file in the read that digests it: the
// files are not read again, so a file edited between the run's status
// (its digest) and the step gives the output of the bytes its key holds,
// where a step reading the file again would give the new bytes' output
// under the old key.
func TestObservedResultsAreTheKeyedBytes(t *testing.T) {
	summary := func(observe bool) []byte {
		dir, e := observeProject(t, observe)
		if _, err := e.Status(context.Background()); err != nil { // digests the inputs, as run's plan does
			t.Fatal(err)
		}
		p := filepath.Join(dir, "evals", "quantitative", "results_b.json")
		doc, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		edited := bytes.ReplaceAll(doc, []byte(`"parsed_flag": "PASS"`), []byte(`"parsed_flag": "FAIL"`)) // the same size
		if err := os.WriteFile(p, edited, 0o644); err != nil {
			t.Fatal(err)
		}
		sum, err := e.Run(context.Background(), engine.RunConfig{})
		if err != nil || sum.Failed > 0 {
			t.Fatalf("run: %v %+v", err, sum)
		}
		out, err := os.ReadFile(filepath.Join(dir, "data", DefaultOutputDir, SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	observed, reread := summary(true), summary(false)
	if bytes.Equal(observed, reread) {
		t.Fatal("the edit changed nothing: the test proves nothing")
	}
	dir, e2 := observeProject(t, true)
	if _, err := e2.Run(context.Background(), engine.RunConfig{}); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "data", DefaultOutputDir, SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(observed, want) {
		t.Errorf("observing run: the output is not that of the bytes digested\ngot:  %.300s\nwant: %.300s", observed, want)
	}
}
