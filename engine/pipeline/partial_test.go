package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sptflow/sptflow/engine"
)

// TestPartialLoad: a Partial load that fails returns the pipeline with its
// problems, and Resolvable is the part whose declarations had none.
func TestPartialLoad(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // partitions of Resolvable; nil for none
		needs      map[string][]string
	}{
		{"a broken node is left out, and needs on it", `version: 1
name: t
vars: {topics: [a, b]}
nodes:
  src: {kind: load, foreach: {topic: ${topics}}, with: {dir: x}}
  tag: {kind: tag, foreach: {topic: ${topicz}}, needs: [src]}
  sink: {kind: tag, needs: [src]}
`, []string{"src@a", "src@b", "sink"}, map[string][]string{"sink": {"src@a", "src@b"}}},
		{"needs in question (a cycle): each sound node is resolved alone", `version: 1
name: t
nodes:
  a: {kind: load, needs: [b]}
  b: {kind: load, needs: [a]}
`, []string{"a", "b"}, map[string][]string{"a": nil, "b": nil}},
		{"a broken structure leaves nothing to resolve", `version: 1
name: t
nodes: [a, b]
`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := Load(path, Options{Kinds: testKinds, Partial: true})
			if !errors.Is(err, ErrInvalid) || p == nil {
				t.Fatalf("Load: got %v, %v; want a pipeline and ErrInvalid", p, err)
			}
			g := p.Resolvable()
			if tt.want == nil {
				if g != nil {
					t.Errorf("Resolvable: got %d partitions, want none", len(g.Partitions))
				}
				return
			}
			if !g.Partial {
				t.Error("Resolvable's graph is not marked Partial")
			}
			var got []string
			for _, s := range g.Partitions {
				got = append(got, string(s.ID))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("partitions: got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("partitions: got %v, want %v", got, tt.want)
				}
			}
			for id, want := range tt.needs {
				var ups []string
				for _, u := range g.Needs[engine.PartitionID(id)] {
					ups = append(ups, string(u))
				}
				if len(ups) != len(want) {
					t.Errorf("needs of %s: got %v, want %v", id, ups, want)
				}
			}
			if _, err := Load(path, Options{Kinds: testKinds}); err == nil {
				t.Error("a load that is not Partial succeeded")
			}
		})
	}
}
