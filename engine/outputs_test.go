package engine

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/store"
)

func TestOverlaps(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"stage_3/x", "stage_3/x", true},
		{"stage_3", "stage_3/x", true},
		{"stage_3/x/f.json", "stage_3/x", true},
		{"stage_3/x", "stage_3/xy", false},
		{"stage_3/x", "stage_3_reviews/x", false},
		{"", "anything", true},
	}
	for _, tt := range tests {
		if got := overlaps(tt.a, tt.b); got != tt.want {
			t.Errorf("overlaps(%q, %q) got: %v want: %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestWriteOutsideDeclaredOutputs: Plan.Outputs are authoritative.
func TestWriteOutsideDeclaredOutputs(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), ".sptflow"))
	if err != nil {
		t.Fatal(err)
	}
	out := newStoreOutput(st, []string{"stage_3/x", "reviews/x.jsonl"})
	for _, rel := range []string{"stage_3/x/a.json", "reviews/x.jsonl"} {
		if err := out.WriteFile(rel, []byte("ok")); err != nil {
			t.Errorf("write %s: %v", rel, err)
		}
	}
	for _, rel := range []string{"stage_3/y/a.json", "stage_3/xa.json", "reviews/x.jsonl2", "other"} {
		if err := out.WriteFile(rel, []byte("no")); err == nil || !strings.Contains(err.Error(), "outside the outputs") {
			t.Errorf("write %s got: %v want: outside the outputs error", rel, err)
		}
	}
}

// TestCollisionsNameBothPositions: two nodes claiming one path are a
// configuration error naming both positions; other partitions are fine.
func TestCollisionsNameBothPositions(t *testing.T) {
	f := newFixture(t)
	g := f.graph()
	dup := *g.Partitions[0]
	dup.ID, dup.Node, dup.NodePos = "dup", "dup", "p.yaml:9:3"
	g.Partitions = append(g.Partitions, &dup)
	orig := g.Partitions[0]
	_, err := New(g, Options{Steps: map[string]Step{"fake": &outputsStep{newFake(), "same/dir"}}, Store: f.st})
	if err == nil {
		t.Fatal("got no error for two partitions writing same/dir")
	}
	want := orig.NodePos + ": " + string(orig.ID) + " and dup (p.yaml:9:3) would both write same/dir; give one of them another output"
	if got := strings.TrimSpace(strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")); got != want {
		t.Errorf("got: %s\nwant: %s", got, want)
	}
}

// outputsStep is fakeStep with src@a and node dup claiming one path.
type outputsStep struct {
	*fakeStep
	path string
}

func (s *outputsStep) Resolve(spec *PartitionSpec) (*Plan, error) {
	p, err := s.fakeStep.Resolve(spec)
	if err == nil && (spec.Node == "dup" || spec.ID == "src@a") {
		p.Outputs = []string{s.path}
	}
	return p, err
}
