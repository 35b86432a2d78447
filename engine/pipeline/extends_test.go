package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
)

func TestExtends(t *testing.T) {
	p := loadOK(t, "testdata/ok/child.yaml", Options{})
	if p.Name != "child" {
		t.Errorf("name got: %s want: child", p.Name)
	}
	if want := map[string]any{"topics": []any{"a", "b"}, "n": 2}; !reflect.DeepEqual(p.Vars, want) {
		t.Errorf("vars got: %v want: %v", p.Vars, want)
	}
	wantModel := map[string]any{"provider": "sim", "model": "small", "max_tokens": 200}
	if got := p.Models["m1"].Raw; !reflect.DeepEqual(got, wantModel) {
		t.Errorf("model got: %v want: %v", got, wantModel)
	}
	var names []string
	for _, n := range p.Nodes {
		names = append(names, n.Name)
	}
	if want := []string{"first", "second", "third"}; !reflect.DeepEqual(names, want) {
		t.Errorf("node order got: %v want: %v (base order, then new nodes)", names, want)
	}
	first := spec(t, p, "first@b")
	if want := map[string]any{"dir": "other", "n": 2, "keep": "base"}; !reflect.DeepEqual(first.With, want) {
		t.Errorf("merged with got: %v want: %v", first.With, want)
	}
	wantPos := map[string]string{
		"dir":  "testdata/ok/child.yaml:10:12",
		"n":    "testdata/ok/base.yaml:12:22",
		"keep": "testdata/ok/base.yaml:12:31",
	}
	if !reflect.DeepEqual(first.WithPos, wantPos) {
		t.Errorf("with positions got: %v want: %v", first.WithPos, wantPos)
	}
	if first.Kind != "load" {
		t.Errorf("kind got: %s want: load (kept from the base)", first.Kind)
	}
	if got, want := p.Graph.Needs["third"], []engine.PartitionID{"second@a", "second@b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("needs of third got: %v want: %v", got, want)
	}
}

func TestExtendsChain(t *testing.T) {
	p := loadOK(t, "testdata/ok/sub/grandchild.yaml", Options{Sets: map[string]string{"n": "9"}})
	if got, want := ids(p.Graph.Partitions), []engine.PartitionID{"first@c", "second@c", "third"}; !reflect.DeepEqual(got, want) {
		t.Errorf("partitions got: %v want: %v", got, want)
	}
	if got := p.Graph.Needs["second@c"]; got != nil {
		t.Errorf("needs of second@c got: %v want: none (replaced by [])", got)
	}
	if got := spec(t, p, "first@c").With["n"]; got != 9 {
		t.Errorf("--set over a chain got: %v want: 9", got)
	}
	if got, want := p.Nodes[1].Pos, "testdata/ok/sub/grandchild.yaml:6:3"; got != want {
		t.Errorf("node pos got: %s want: %s", got, want)
	}
}

// touch creates dir/rel: a directory when rel ends in "/", else a file.
func touch(t *testing.T, dir, rel string) {
	t.Helper()
	path := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if rel[len(rel)-1] == '/' {
		if err := os.MkdirAll(path, 0o755); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

const minimal = "version: 1\nname: t\nnodes: {a: {kind: load}}\n"

func TestProjectRoot(t *testing.T) {
	tests := []struct {
		name    string
		markers []string // relative to the temp dir
		file    string   // the pipeline file
		extra   string   // appended to the pipeline
		want    string   // relative to the temp dir
	}{
		{"sptflow dir", []string{"proj/.sptflow/"}, "proj/pipelines/p.yaml", "", "proj"},
		{"sptflow file is not a root", []string{"proj/.sptflow", "go.mod"}, "proj/pipelines/p.yaml", "", "."},
		{"lock", []string{"proj/sptflow.lock"}, "proj/a/b/p.yaml", "", "proj"},
		{"git", []string{"proj/.git/"}, "proj/p/p.yaml", "", "proj"},
		{"go.mod", []string{"proj/go.mod"}, "proj/p/p.yaml", "", "proj"},
		{"nearest wins", []string{"go.mod", "proj/.git"}, "proj/p/p.yaml", "", "proj"},
		{"own dir", []string{"proj/p/go.mod", "go.mod"}, "proj/p/p.yaml", "", "proj/p"},
		{"explicit root", []string{"go.mod", "proj/"}, "proj/p/p.yaml", "root: ..\n", "proj"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, m := range tt.markers {
				touch(t, dir, m)
			}
			file := filepath.Join(dir, tt.file)
			touch(t, dir, tt.file)
			if err := os.WriteFile(file, []byte(minimal+tt.extra), 0o644); err != nil {
				t.Fatal(err)
			}
			p := loadOK(t, file, Options{})
			if want := filepath.Join(dir, tt.want); p.ProjectRoot != want {
				t.Errorf("root got: %s want: %s", p.ProjectRoot, want)
			}
			if want := filepath.Join(dir, tt.want, "data", "t"); p.DataDir != want {
				t.Errorf("data got: %s want: %s", p.DataDir, want)
			}
		})
	}
}

// TestNoMarker: without any marker the pipeline's own directory is the root.
// (The temp dir's ancestors are assumed to hold no marker; skip otherwise.)
func TestNoMarker(t *testing.T) {
	dir := t.TempDir()
	if FindProjectRoot(dir) != dir {
		t.Skip("an ancestor of the temp dir is a project root")
	}
	file := filepath.Join(dir, "p", "p.yaml")
	touch(t, dir, "p/p.yaml")
	if err := os.WriteFile(file, []byte(minimal), 0o644); err != nil {
		t.Fatal(err)
	}
	if p := loadOK(t, file, Options{}); p.ProjectRoot != filepath.Dir(file) {
		t.Errorf("root got: %s want: %s", p.ProjectRoot, filepath.Dir(file))
	}
}

func TestBadRoot(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(file, []byte(minimal+"root: nothere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file, Options{})
	want := file + ":4:7: root: " + filepath.Join(dir, "nothere") + " is not a directory"
	if err == nil || err.Error() != want {
		t.Errorf("got:  %v\nwant: %s", err, want)
	}
}

// TestAliasBomb: an alias bomb is an error, quickly, not an out-of-memory crash.
func TestAliasBomb(t *testing.T) {
	bomb := "version: 1\nname: t\nvars:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, name := range []string{"b", "c", "d", "e", "f", "g", "h"} {
		prev := string("abcdefg"[i])
		bomb += "  " + name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
	}
	bomb += "nodes: {a: {kind: load}}\n"
	file := filepath.Join(t.TempDir(), "bomb.yaml")
	if err := os.WriteFile(file, []byte(bomb), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file, Options{})
	if err == nil || !strings.Contains(err.Error(), "expands to more than 262144 values") {
		t.Errorf("got: %v\nwant: an expansion error", err)
	}
}

// TestDataDirExtends: `data:` is not inherited; the default is data/<name>,
// so an experiment never writes into its base's tree; a child must name
// itself.
func TestDataDirExtends(t *testing.T) {
	tests := []struct {
		name  string
		base  string // appended to a minimal base named "base"
		child string // the child file
		want  string // data dir relative to the root, or "error: ..." substring
	}{
		{"default", "", "extends: base.yaml\nname: exp\n", "data/exp"},
		{"base data not inherited", "data: out\n", "extends: base.yaml\nname: exp\n", "data/exp"},
		{"own data", "data: out\n", "extends: base.yaml\nname: exp\ndata: out/exp\n", "out/exp"},
		{"base alone", "data: out\n", "", "out"},
		{"inherited name", "", "extends: base.yaml\nvars: {}\n", "error: must set its own name"},
		{"the base's name again", "", "extends: base.yaml\nname: base\n", `error: name "base" is also the name of`},
		{"name not a dir", "", "extends: base.yaml\nname: a/b\n", "error: cannot name the default data directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			touch(t, dir, ".sptflow/")
			base := "version: 1\nname: base\nnodes: {a: {kind: load}}\n" + tt.base
			if err := os.WriteFile(filepath.Join(dir, "base.yaml"), []byte(base), 0o644); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "base.yaml")
			if tt.child != "" {
				file = filepath.Join(dir, "child.yaml")
				if err := os.WriteFile(file, []byte(tt.child), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p, err := Load(file, Options{})
			if msg, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), msg) {
					t.Fatalf("got error %v, want one containing %q", err, msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, tt.want); p.DataDir != want {
				t.Errorf("data got: %s want: %s", p.DataDir, want)
			}
		})
	}
}
