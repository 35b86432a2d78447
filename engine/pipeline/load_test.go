package pipeline

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sptflow/sptflow/engine"
)

// loadOK loads a fixture that must be valid.
func loadOK(t *testing.T, path string, opt Options) *Pipeline {
	t.Helper()
	p, err := Load(path, opt)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return p
}

// spec returns the partition id of p, failing the test when it is missing.
func spec(t *testing.T, p *Pipeline, id engine.PartitionID) *engine.PartitionSpec {
	t.Helper()
	for _, s := range p.Graph.Partitions {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no partition %s", id)
	return nil
}

func ids(specs []*engine.PartitionSpec) []engine.PartitionID {
	out := make([]engine.PartitionID, len(specs))
	for i, s := range specs {
		out[i] = s.ID
	}
	return out
}

func TestPartitionsAndIDs(t *testing.T) {
	p := loadOK(t, "testdata/ok/full.yaml", Options{})
	got := ids(p.Graph.Partitions)
	want := []engine.PartitionID{
		"generate@sycophancy", "generate@reward_hacks",
		"infer@topic=sycophancy,target=qwen32", "infer@topic=sycophancy,target=llama",
		"infer@topic=reward_hacks,target=qwen32", "infer@topic=reward_hacks,target=llama",
		"intervene@sycophancy", "intervene@reward_hacks",
		"analyze",
		"report@qwen32",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("partitions\ngot:  %v\nwant: %v", got, want)
	}
	s := spec(t, p, "infer@topic=reward_hacks,target=llama")
	wantKV := []engine.KV{{Key: "topic", Value: "reward_hacks"}, {Key: "target", Value: "llama"}}
	if !reflect.DeepEqual(s.Foreach, wantKV) {
		t.Errorf("foreach got: %v want: %v", s.Foreach, wantKV)
	}
	if s.Node != "infer" || s.Kind != "infer" {
		t.Errorf("node/kind got: %s/%s want: infer/infer", s.Node, s.Kind)
	}
	var nodes []string
	for _, n := range p.Nodes {
		nodes = append(nodes, n.Name)
	}
	if want := []string{"generate", "infer", "intervene", "analyze", "report"}; !reflect.DeepEqual(nodes, want) {
		t.Errorf("nodes got: %v want: %v", nodes, want)
	}
	if got, want := p.Nodes[1].ForeachKeys, []string{"topic", "target"}; !reflect.DeepEqual(got, want) {
		t.Errorf("foreach keys got: %v want: %v", got, want)
	}
	if got, want := p.Nodes[1].Partitions, want[2:6]; !reflect.DeepEqual(got, want) {
		t.Errorf("node partitions got: %v want: %v", got, want)
	}
}

func TestNeedsWiring(t *testing.T) {
	p := loadOK(t, "testdata/ok/full.yaml", Options{})
	tests := []struct {
		id   engine.PartitionID
		want []engine.PartitionID
	}{
		{"generate@sycophancy", nil},
		// fan-out by an extra key: both targets of a topic need that topic
		{"infer@topic=sycophancy,target=llama", []engine.PartitionID{"generate@sycophancy"}},
		{"infer@topic=reward_hacks,target=qwen32", []engine.PartitionID{"generate@reward_hacks"}},
		// fewer keys: the matching subset (same topic, every target)
		{"intervene@reward_hacks", []engine.PartitionID{"infer@topic=reward_hacks,target=qwen32", "infer@topic=reward_hacks,target=llama"}},
		// fan-in over all topics
		{"analyze", []engine.PartitionID{"intervene@sycophancy", "intervene@reward_hacks"}},
		// matching on a key other than the first, then fan-in, in needs order
		{"report@qwen32", []engine.PartitionID{"infer@topic=sycophancy,target=qwen32", "infer@topic=reward_hacks,target=qwen32", "analyze"}},
	}
	for _, tt := range tests {
		if got := p.Graph.Needs[tt.id]; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("needs of %s\ngot:  %v\nwant: %v", tt.id, got, tt.want)
		}
	}
}

func TestWithAndVars(t *testing.T) {
	p := loadOK(t, "testdata/ok/full.yaml", Options{})
	s := spec(t, p, "generate@reward_hacks")
	want := map[string]any{
		"model":       "opus",
		"batches":     3,
		"temperature": 0.5,
		"topics":      []any{"sycophancy", "reward_hacks"},
		"note":        "t=reward_hacks n=3",
		"literal":     "${topic}",
		"none":        nil,
		"on":          true,
	}
	if !reflect.DeepEqual(s.With, want) {
		t.Errorf("with\ngot:  %#v\nwant: %#v", s.With, want)
	}
	if got, want := s.WithPos["batches"], "testdata/ok/full.yaml:21:25"; got != want {
		t.Errorf("WithPos[batches] got: %s want: %s", got, want)
	}
	if got, want := s.NodePos, "testdata/ok/full.yaml:18:3"; got != want {
		t.Errorf("NodePos got: %s want: %s", got, want)
	}
	// partitions never share substituted lists
	s.With["topics"].([]any)[0] = "changed"
	if other := spec(t, p, "generate@sycophancy"); other.With["topics"].([]any)[0] != "sycophancy" {
		t.Error("partitions share the list substituted from a var")
	}
	if p.Vars["topics"].([]any)[0] != "sycophancy" {
		t.Error("a partition's with shares the var's list")
	}
	if got, want := spec(t, p, "infer@topic=sycophancy,target=llama").Output, "infer/sycophancy/llama"; got != want {
		t.Errorf("output got: %s want: %s", got, want)
	}
}

func TestModels(t *testing.T) {
	var validated []string
	p := loadOK(t, "testdata/ok/full.yaml", Options{ValidateModel: func(name string, raw map[string]any) error {
		validated = append(validated, name)
		return nil
	}})
	if want := []string{"opus", "qwen32"}; !reflect.DeepEqual(validated, want) {
		t.Errorf("validated got: %v want: %v", validated, want)
	}
	want := engine.ModelEntry{Name: "qwen32", Pos: "testdata/ok/full.yaml:13:3", Raw: map[string]any{
		"provider": "openrouter", "model": "qwen/qwen3-32b", "base": "/src/data/models",
	}}
	if got := p.Models["qwen32"]; !reflect.DeepEqual(got, want) {
		t.Errorf("got:  %#v\nwant: %#v", got, want)
	}
	extra := p.Models["opus"].Raw["extra"]
	if want := map[string]any{"reasoning": map[string]any{"enabled": false}}; !reflect.DeepEqual(extra, want) {
		t.Errorf("extra got: %#v want: %#v", extra, want)
	}
	if s := spec(t, p, "analyze"); !reflect.DeepEqual(s.Models, p.Models) {
		t.Error("PartitionSpec.Models differs from the pipeline's")
	}
}

func TestSets(t *testing.T) {
	tests := []struct {
		name  string
		sets  map[string]string
		parts []engine.PartitionID
		with  map[string]any
	}{
		{"list", map[string]string{"topics": "[x, y, z]"},
			[]engine.PartitionID{"generate@x", "generate@y", "generate@z"}, nil},
		{"single", map[string]string{"topics": "[only]", "batches": "7", "temp": "1.5"},
			[]engine.PartitionID{"generate@only"},
			map[string]any{"batches": 7, "temperature": 1.5, "note": "t=only n=7"}},
		{"string", map[string]string{"topics": "[a]", "batches": "many"},
			[]engine.PartitionID{"generate@a"}, map[string]any{"batches": "many", "note": "t=a n=many"}},
		{"empty", map[string]string{"topics": "[a]", "batches": ""},
			[]engine.PartitionID{"generate@a"}, map[string]any{"batches": "", "note": "t=a n="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := loadOK(t, "testdata/ok/full.yaml", Options{Sets: tt.sets})
			if got := p.Nodes[0].Partitions; !reflect.DeepEqual(got, tt.parts) {
				t.Errorf("partitions got: %v want: %v", got, tt.parts)
			}
			s := spec(t, p, tt.parts[0])
			for k, want := range tt.with {
				if got := s.With[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("with[%s] got: %#v want: %#v", k, got, want)
				}
			}
		})
	}
}

func TestDirsAndOptions(t *testing.T) {
	root, err := filepath.Abs("../..") // the module root holds go.mod
	if err != nil {
		t.Fatal(err)
	}
	run := engine.RunOptions{Limit: 5}
	p := loadOK(t, "testdata/ok/full.yaml", Options{Run: run})
	if p.ProjectRoot != root {
		t.Errorf("root got: %s want: %s", p.ProjectRoot, root)
	}
	if want := filepath.Join(root, "my_prompts"); p.PromptsDir != want {
		t.Errorf("prompts got: %s want: %s", p.PromptsDir, want)
	}
	if want := filepath.Join(root, "data", "spt-test"); p.DataDir != want {
		t.Errorf("data got: %s want: %s", p.DataDir, want)
	}
	for _, s := range p.Graph.Partitions {
		if s.Options != run || s.ProjectRoot != p.ProjectRoot || s.DataDir != p.DataDir || s.PromptsDir != p.PromptsDir {
			t.Errorf("%s: options or directories not copied: %+v", s.ID, s)
		}
	}
	if p.Name != "spt-test" || p.Version != 1 || p.Graph.Name != "spt-test" || p.Graph.Path != "testdata/ok/full.yaml" {
		t.Errorf("header got: %q %d %q %q", p.Name, p.Version, p.Graph.Name, p.Graph.Path)
	}

	p = loadOK(t, "testdata/ok/full.yaml", Options{DataDir: "out"})
	if want, _ := filepath.Abs("out"); p.DataDir != want || spec(t, p, "analyze").DataDir != want {
		t.Errorf("--data got: %s want: %s", p.DataDir, want)
	}
}

// TestShadow: a node's own foreach key shadows a var of the same name; other
// nodes see the var.
func TestShadow(t *testing.T) {
	p := loadOK(t, "testdata/ok/shadow.yaml", Options{})
	if got, want := spec(t, p, "a@a").With, map[string]any{"t": "a", "u": "a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("a@a got: %v want: %v", got, want)
	}
	if got, want := spec(t, p, "b").With, map[string]any{"t": "from-var"}; !reflect.DeepEqual(got, want) {
		t.Errorf("b got: %v want: %v", got, want)
	}
}
