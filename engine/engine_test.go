package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/store"
)

// fakeStep is a node kind that counts executions. Its output is one file,
// "<node>/<partition>.txt", holding its params, its input files and its
// upstream files, or with["const"] when set (to test early cutoff).
type fakeStep struct {
	mu    sync.Mutex
	calls map[PartitionID]int
	fail  map[PartitionID]bool
	block map[PartitionID]chan struct{} // closed when the step started; it then waits for ctx
	salt  string                        // written into every output when set
}

func newFake() *fakeStep {
	return &fakeStep{calls: map[PartitionID]int{}, fail: map[PartitionID]bool{}, block: map[PartitionID]chan struct{}{}}
}

func (f *fakeStep) Kind() string    { return "fake" }
func (f *fakeStep) Version() string { return "1" }

func (f *fakeStep) Resolve(spec *PartitionSpec) (*Plan, error) {
	if _, bad := spec.With["bad"]; bad {
		return nil, fmt.Errorf("%s: bad parameter", spec.WithPos["bad"])
	}
	p := &Plan{Params: spec.With, OutputDir: spec.Node, Outputs: []string{spec.Node + "/" + string(spec.ID) + ".txt"}}
	if in, ok := spec.With["input"].(string); ok {
		p.Inputs = append(p.Inputs, InputSpec{Path: in})
	}
	return p, nil
}

func (f *fakeStep) Run(ctx context.Context, t *Task) error {
	f.mu.Lock()
	f.calls[t.ID()]++
	fail, block := f.fail[t.ID()], f.block[t.ID()]
	f.mu.Unlock()
	if block != nil {
		close(block)
		<-ctx.Done()
		return context.Cause(ctx)
	}
	if fail {
		return errors.New("fake failure")
	}
	var b strings.Builder
	if c, ok := t.Spec.With["const"].(string); ok {
		b.WriteString(c)
	} else {
		fmt.Fprintf(&b, "params %v\n", t.Params)
		for _, in := range t.Inputs {
			data, err := os.ReadFile(in.Abs)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "input %s: %s\n", in.Rel, data)
		}
		for _, u := range t.Upstream {
			for _, file := range u.Files {
				rc, err := file.Open()
				if err != nil {
					return err
				}
				data, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					return err
				}
				fmt.Fprintf(&b, "upstream %s %s: %s\n", u.ID, file.Path, data)
			}
		}
	}
	b.WriteString(f.salt)
	if m, ok := t.Spec.With["served"].(string); ok {
		t.Usage.Add(Usage{Requests: 1, ServedModels: []string{m}})
	}
	t.Progress.SetTotal(1)
	t.Progress.Done(1, 0, 0)
	return t.Out.WriteFile(t.Spec.Node+"/"+string(t.ID())+".txt", []byte(b.String()))
}

func (f *fakeStep) executed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for id, n := range f.calls {
		for range n {
			out = append(out, string(id))
		}
	}
	sort.Strings(out)
	f.calls = map[PartitionID]int{}
	return out
}

// fixture is a project: src@a, src@b (reading in/a.txt, in/b.txt) →
// mid@a, mid@b → sink (fan-in).
type fixture struct {
	t    *testing.T
	dir  string
	st   *store.Store
	step *fakeStep
	with map[PartitionID]map[string]any
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, ".sptflow"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, st: st, step: newFake(), with: map[PartitionID]map[string]any{
		"src@a": {"input": "in/a.txt"}, "src@b": {"input": "in/b.txt"},
		"mid@a": {}, "mid@b": {}, "sink": {"n": 1},
	}}
	f.write("in/a.txt", "alpha")
	f.write("in/b.txt", "beta")
	return f
}

func (f *fixture) write(rel, data string) {
	f.t.Helper()
	p := filepath.Join(f.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) graph() *Graph {
	g := &Graph{Name: "test", Path: "test.yaml", Needs: map[PartitionID][]PartitionID{
		"mid@a": {"src@a"}, "mid@b": {"src@b"}, "sink": {"mid@a", "mid@b"},
	}}
	add := func(id PartitionID, node string, fe ...KV) {
		g.Partitions = append(g.Partitions, &PartitionSpec{ID: id, Node: node, Kind: "fake", Foreach: fe,
			With: f.with[id], WithPos: map[string]string{"bad": "test.yaml:9:9"}, NodePos: "test.yaml:1:1",
			ProjectRoot: f.dir, DataDir: filepath.Join(f.dir, "data")})
	}
	add("src@a", "src", KV{"topic", "a"})
	add("src@b", "src", KV{"topic", "b"})
	add("mid@a", "mid", KV{"topic", "a"})
	add("mid@b", "mid", KV{"topic", "b"})
	add("sink", "sink")
	return g
}

func (f *fixture) engine() *Engine {
	f.t.Helper()
	e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": f.step}, Store: f.st,
		LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	return e
}

func (f *fixture) run(cfg RunConfig) *Summary {
	f.t.Helper()
	sum, err := f.engine().Run(context.Background(), cfg)
	if err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	return sum
}

// expectExecuted runs and checks exactly which partitions executed.
func (f *fixture) expectExecuted(cfg RunConfig, want ...string) *Summary {
	f.t.Helper()
	sum := f.run(cfg)
	got := f.step.executed()
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		f.t.Errorf("executed:\ngot:  %v\nwant: %v", got, want)
	}
	return sum
}

func (f *fixture) read(rel string) string {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "data", rel))
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

var all = []string{"mid@a", "mid@b", "sink", "src@a", "src@b"}

func TestSecondRunExecutesNothing(t *testing.T) {
	f := newFixture(t)
	sum := f.expectExecuted(RunConfig{}, all...)
	if sum.Executed != 5 || sum.Cached != 0 || sum.Err() != nil {
		t.Fatalf("first run: got %+v, want 5 executed", sum)
	}
	first := f.read("sink/sink.txt")
	if !strings.Contains(first, "input a.txt: alpha") || !strings.Contains(first, "input b.txt: beta") {
		t.Errorf("sink output lacks its transitive inputs:\n%s", first)
	}
	sum = f.expectExecuted(RunConfig{})
	if sum.Executed != 0 || sum.Cached != 5 {
		t.Fatalf("second run: got executed %d cached %d, want 0 and 5", sum.Executed, sum.Cached)
	}
	if got := f.read("sink/sink.txt"); got != first {
		t.Errorf("output changed on a cached run:\ngot:  %q\nwant: %q", got, first)
	}
}

func TestChangesRerunExactlyTheAffectedPartitions(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *fixture)
		want   []string
	}{
		{"input file", func(f *fixture) { f.write("in/a.txt", "ALPHA") }, []string{"src@a", "mid@a", "sink"}},
		{"param", func(f *fixture) { f.with["mid@b"] = map[string]any{"salt": 2} }, []string{"mid@b", "sink"}},
		{"fan-in param", func(f *fixture) { f.with["sink"] = map[string]any{"n": 2} }, []string{"sink"}},
		{"nothing", func(f *fixture) {}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.expectExecuted(RunConfig{}, all...)
			tt.change(f)
			f.expectExecuted(RunConfig{}, tt.want...)
		})
	}
}

func TestIdenticalUpstreamOutputKeepsDownstreamCached(t *testing.T) {
	f := newFixture(t)
	f.with["mid@a"] = map[string]any{"const": "same bytes"}
	f.expectExecuted(RunConfig{}, all...)
	f.write("in/a.txt", "changed")
	// src@a and mid@a rerun; mid@a's output is byte-identical, so sink is cached.
	f.expectExecuted(RunConfig{}, "src@a", "mid@a")
}

func TestFailureStopsOnlyDependents(t *testing.T) {
	f := newFixture(t)
	f.step.fail["mid@a"] = true
	sum := f.expectExecuted(RunConfig{Jobs: 2}, "src@a", "src@b", "mid@a", "mid@b")
	if sum.Failed != 1 || sum.Skipped != 1 || sum.Executed != 3 {
		t.Fatalf("got executed %d failed %d skipped %d, want 3 1 1", sum.Executed, sum.Failed, sum.Skipped)
	}
	err := sum.Err()
	if !errors.Is(err, ErrRunFailed) || !strings.Contains(err.Error(), "mid@a") || strings.Contains(err.Error(), "sink") {
		t.Errorf("Err() = %v, want ErrRunFailed naming mid@a only", err)
	}
	for _, r := range sum.Results {
		var skip *SkippedError
		if r.ID == "sink" && (!errors.As(r.Err, &skip) || skip.Upstream != "mid@a") {
			t.Errorf("sink: got %v, want skipped because of mid@a", r.Err)
		}
	}
	f.step.fail["mid@a"] = false
	f.expectExecuted(RunConfig{}, "mid@a", "sink")
}

func TestCancellationSealsNothingAndResumes(t *testing.T) {
	f := newFixture(t)
	started := make(chan struct{})
	f.step.block["mid@a"] = started
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() { <-started; cancel(errors.New("interrupted by test")) }()
	sum, err := f.engine().Run(ctx, RunConfig{Jobs: 1})
	if err == nil || !strings.Contains(err.Error(), "interrupted by test") {
		t.Fatalf("Run error = %v, want the cancellation cause", err)
	}
	if sum.Executed+sum.Cached == 5 {
		t.Fatalf("every partition finished despite cancellation: %+v", sum)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "data/mid/mid@a.txt")); !os.IsNotExist(err) {
		t.Errorf("interrupted partition materialized output (stat err %v)", err)
	}
	// Done are the partitions the cancelled run sealed: a step that
	// finished while the cancellation arrived is not sealed, by design.
	f.step.executed() // forget the cancelled run's calls
	done := map[string]bool{}
	for _, r := range sum.Results {
		if r.Outcome == Executed {
			done[string(r.ID)] = true
		}
	}
	delete(f.step.block, "mid@a")
	var want []string
	for _, id := range all {
		if !done[id] || id == "mid@a" {
			want = append(want, id)
		}
	}
	f.expectExecuted(RunConfig{}, want...)
}

func TestCorruptStoreEntryIsAMiss(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{}, all...)
	want := f.read("sink/sink.txt")
	objs := filepath.Join(f.dir, ".sptflow", "objects")
	err := filepath.WalkDir(objs, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return os.WriteFile(p, []byte("garbage"), 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	f.expectExecuted(RunConfig{}, all...)
	if got := f.read("sink/sink.txt"); got != want {
		t.Errorf("output after corrupt-store rerun:\ngot:  %q\nwant: %q", got, want)
	}
}

func TestTargetsForceOnly(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{Selection: Selection{Targets: []string{"mid@a"}}}, "src@a", "mid@a")
	f.expectExecuted(RunConfig{Selection: Selection{Targets: []string{"mid"}}}, "src@b", "mid@b")
	f.expectExecuted(RunConfig{Selection: Selection{Targets: []string{"mid@a"}}, Force: true}, "mid@a")
	f.expectExecuted(RunConfig{Selection: Selection{Topic: "b"}, Force: true}, "src@b", "mid@b")
	f.write("in/a.txt", "changed")
	_, err := f.engine().Run(context.Background(), RunConfig{Selection: Selection{Targets: []string{"mid@a"}}, Only: true})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "upstream src@a is stale") {
		t.Errorf("--only with a stale upstream: got %v, want ErrInvalid naming src@a", err)
	}
	f.expectExecuted(RunConfig{Selection: Selection{Targets: []string{"src@a"}}, Only: true}, "src@a")
	f.expectExecuted(RunConfig{Selection: Selection{Targets: []string{"mid@a"}}, Only: true}, "mid@a")
	f.expectExecuted(RunConfig{Selection: Selection{Targets: []string{"sink"}}, Only: true}, "sink")
}

func TestStatusNamesTheChange(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{Selection: Selection{Targets: []string{"mid"}}}, "src@a", "src@b", "mid@a", "mid@b")
	f.with["mid@b"] = map[string]any{"salt": "x"}
	f.write("in/a.txt", "changed")
	sts, err := f.engine().Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[PartitionID]string{}
	for _, st := range sts {
		got[st.ID] = string(st.State) + ": " + strings.Join(st.Reasons, "; ")
	}
	want := map[PartitionID]string{
		"src@a": "stale: input file in/a.txt changed",
		"src@b": "up-to-date: ",
		"mid@a": "stale: upstream src@a is stale",
		"mid@b": `stale: with.salt added`,
		"sink":  "missing: upstream mid@a is stale; upstream mid@b is stale",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s:\ngot:  %s\nwant: %s", id, got[id], w)
		}
	}
}

func TestNewReportsEveryConfigurationError(t *testing.T) {
	f := newFixture(t)
	f.with["mid@a"] = map[string]any{"bad": true}
	f.with["src@b"] = map[string]any{"input": "in/nope.txt"}
	g := f.graph()
	g.Partitions[4].Kind = "nokind"
	_, err := New(g, Options{Steps: map[string]Step{"fake": f.step}, Store: f.st})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	for _, want := range []string{`test.yaml:9:9: bad parameter`, `missing input in/nope.txt`, `unknown kind "nokind"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestCycleIsPrinted(t *testing.T) {
	f := newFixture(t)
	g := f.graph()
	g.Needs["src@a"] = []PartitionID{"sink"}
	_, err := New(g, Options{Steps: map[string]Step{"fake": f.step}, Store: f.st})
	if err == nil || !strings.Contains(err.Error(), "dependency cycle: src@a -> sink -> mid@a -> src@a") {
		t.Errorf("got %v, want the cycle printed", err)
	}
}

func TestLockKeepsServedModelsWhenAnOlderOutputIsReused(t *testing.T) {
	f := newFixture(t)
	f.with["sink"] = map[string]any{"n": 1, "served": "model-v1"}
	f.expectExecuted(RunConfig{}, all...)
	f.with["sink"] = map[string]any{"n": 2, "served": "model-v1"}
	f.expectExecuted(RunConfig{}, "sink")
	f.with["sink"] = map[string]any{"n": 1, "served": "model-v1"}
	f.expectExecuted(RunConfig{}) // the n=1 output is reused from the store
	lf, err := store.ReadLockFile(filepath.Join(f.dir, "sptflow.lock"), lockyaml.Codec{})
	if err != nil {
		t.Fatal(err)
	}
	got := lf.Pipelines["test"]["sink"]
	if got.Key != f.lastKey("sink") || strings.Join(got.ServedModels, ",") != "model-v1" || got.Usage == nil {
		t.Errorf("lock entry of the reused output:\ngot:  key %.12s served %v usage %v\nwant: key %.12s served [model-v1] with usage",
			got.Key, got.ServedModels, got.Usage, f.lastKey("sink"))
	}
}

// lastKey returns the current node key of partition id.
func (f *fixture) lastKey(id PartitionID) string {
	f.t.Helper()
	sts, err := f.engine().Status(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	for _, st := range sts {
		if st.ID == id {
			return st.Key.String()
		}
	}
	f.t.Fatalf("no partition %s", id)
	return ""
}

// TestForceSameBytesKeepsLock: a forced rerun that makes the same bytes
// keeps the output it reproduced (time produced, usage), so the lock file
// does not change; one that makes other bytes seals them.
func TestForceSameBytesKeepsLock(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{}, all...)
	lock := func() string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(f.dir, "sptflow.lock"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := lock() // its output: digests cover the manifests' produced times, to the nanosecond
	f.expectExecuted(RunConfig{Force: true}, all...)
	if got := lock(); got != before {
		t.Errorf("lock after a forced rerun with the same bytes:\n%s\nwant it unchanged:\n%s", got, before)
	}
	f.step.salt = "other bytes"
	f.expectExecuted(RunConfig{Force: true}, all...)
	if lock() == before {
		t.Error("lock unchanged after a forced rerun that made other bytes")
	}
}

// TestStatusSurvivesAnUnreadableEntry: a store entry that cannot be read
// (here a manifest pointer replaced by a link to itself; a permission
// error alike) is its partition's problem, shown with a reason, not an error of
// the whole status.
func TestStatusSurvivesAnUnreadableEntry(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{}, all...)
	ptrs, err := filepath.Glob(filepath.Join(f.dir, ".sptflow", "manifests", "*", "*"))
	if err != nil || len(ptrs) != len(all) {
		t.Fatalf("manifest pointers: %v, %v", ptrs, err)
	}
	if err := os.Remove(ptrs[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(ptrs[0]), ptrs[0]); err != nil { // a loop: ELOOP, not ENOENT
		t.Fatal(err)
	}
	sts, err := f.engine().Status(context.Background())
	if err != nil {
		t.Fatalf("status: %v, want each partition's state", err)
	}
	var notUp []string
	for _, st := range sts {
		if st.State != UpToDate {
			if len(st.Reasons) == 0 {
				t.Errorf("%s is %s with no reason", st.ID, st.State)
			}
			notUp = append(notUp, string(st.ID)+": "+strings.Join(st.Reasons, "; "))
		}
	}
	if len(notUp) == 0 {
		t.Error("every partition up to date with one store entry unreadable")
	}
	t.Log(strings.Join(notUp, "\n"))
}

// TestStatusFreshStore: an output the lock pins that this store never had
// (a fresh clone with its own store) is told apart from one it lost.
func TestStatusFreshStore(t *testing.T) {
	f := newFixture(t)
	f.expectExecuted(RunConfig{}, all...)
	ptrs, err := filepath.Glob(filepath.Join(f.dir, ".sptflow", "manifests", "*", "*"))
	if err != nil || len(ptrs) == 0 {
		t.Fatalf("manifest pointers: %v, %v", ptrs, err)
	}
	for _, p := range ptrs {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	reasons := func() string {
		t.Helper()
		sts, err := f.engine().Status(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return string(sts[0].ID) + ": " + strings.Join(sts[0].Reasons, "; ")
	}
	if got := reasons(); !strings.HasSuffix(got, ": output no longer in the store") {
		t.Errorf("lost: %s", got)
	}
	if err := os.RemoveAll(filepath.Join(f.dir, ".sptflow")); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(f.dir, ".sptflow"))
	if err != nil {
		t.Fatal(err)
	}
	f.st = st
	if got := reasons(); !strings.Contains(got, "the lock pins an output this store never had") {
		t.Errorf("never had: %s", got)
	}
}
