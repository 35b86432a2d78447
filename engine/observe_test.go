package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/store"
)

// observingStep reads every *.txt file of its directory input, using what
// its Plan.Observe saw of a file when the engine hands it one.
type observingStep struct {
	mu       sync.Mutex
	observed []string // Observe's calls, by base name
}

func (*observingStep) Kind() string    { return "observing" }
func (*observingStep) Version() string { return "1" }

func (s *observingStep) Resolve(spec *PartitionSpec) (*Plan, error) {
	return &Plan{Params: spec.With, OutputDir: spec.Node, Inputs: []InputSpec{{Path: "in", Pattern: "*.txt"}},
		Observe: func(f InputFile, data []byte) any {
			s.mu.Lock()
			s.observed = append(s.observed, f.Rel)
			s.mu.Unlock()
			return store.DigestOf(data)
		}}, nil
}

// Run writes, for each input, whether it came observed; an observed
// value that is not the digest of the file's bytes as keyed fails it.
func (s *observingStep) Run(_ context.Context, t *Task) error {
	var b strings.Builder
	for _, in := range t.Inputs {
		v, ok := in.Observed()
		if ok && v.(Digest) != in.Digest {
			return fmt.Errorf("%s: observed bytes of digest %s, keyed as %s", in.Rel, v.(Digest).Short(), in.Digest.Short())
		}
		if !ok {
			if _, err := os.ReadFile(in.Abs); err != nil {
				return err
			}
		}
		fmt.Fprintf(&b, "%s observed=%v\n", in.Rel, ok)
	}
	return t.Out.WriteFile(t.Spec.Node+"/inputs.txt", []byte(b.String()))
}

func (s *observingStep) calls() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]string(nil), s.observed...)
	sort.Strings(out)
	s.observed = nil
	return strings.Join(out, " ")
}

// With Options.ObserveInputs, a partition's new input files are handed to
// its Plan.Observe in the read that digests them, paired or alone, and Run
// gets what it returned; files too small to be mapped are read by the
// step. Without it nothing is observed.
func TestObservedInputs(t *testing.T) {
	for _, observe := range []bool{true, false} {
		t.Run(fmt.Sprintf("observe=%v", observe), func(t *testing.T) {
			dir := t.TempDir()
			sizes := map[string]int{"a.txt": 300 << 10, "b.txt": 400 << 10, "c.txt": 350 << 10, "small.txt": 10}
			for name, size := range sizes {
				p := filepath.Join(dir, "in", name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(strings.Repeat(name[:1], size)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			st, err := store.Open(filepath.Join(dir, ".sptflow"))
			if err != nil {
				t.Fatal(err)
			}
			step := &observingStep{}
			g := &Graph{Name: "test", Path: "test.yaml", Needs: map[PartitionID][]PartitionID{},
				Partitions: []*PartitionSpec{{ID: "read", Node: "read", Kind: "observing", NodePos: "test.yaml:1:1",
					ProjectRoot: dir, DataDir: filepath.Join(dir, "data")}}}
			e, err := New(g, Options{Steps: map[string]Step{"observing": step}, Store: st, Log: zerolog.Nop(), ObserveInputs: observe})
			if err != nil {
				t.Fatal(err)
			}
			sum, err := e.Run(context.Background(), RunConfig{})
			if err != nil || sum.Failed > 0 {
				t.Fatalf("run: %v, %+v", err, sum.Results)
			}
			got, err := os.ReadFile(filepath.Join(dir, "data", "read", "inputs.txt"))
			if err != nil {
				t.Fatal(err)
			}
			want := "a.txt observed=true\nb.txt observed=true\nc.txt observed=true\nsmall.txt observed=false\n"
			calls := "a.txt b.txt c.txt"
			if !observe {
				want, calls = strings.ReplaceAll(want, "=true", "=false"), ""
			}
			if string(got) != want {
				t.Errorf("Run got:\n%swant:\n%s", got, want)
			}
			if got := step.calls(); got != calls {
				t.Errorf("Observe called for %q, want %q (once each)", got, calls)
			}
		})
	}
}
