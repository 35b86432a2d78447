package load_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/steps/load"
	"github.com/sptflow/sptflow/steps/tag"
)

func topic(v string) engine.KV { return engine.KV{Key: "topic", Value: v} }

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadReferencesBatchFiles(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"src/sycophancy/batch_b.json":     `{"b": 1}`,
		"src/sycophancy/batch_a.json":     `{"a": 1}`,
		"src/sycophancy/notes.json":       `{}`,
		"src/sycophancy/sub/batch_c.json": `{}`,
		"src/other/batch_x.json":          `{}`,
	})
	spec := enginetest.Spec("load", root, map[string]any{"dir": "src"}, topic("sycophancy"))
	res, err := enginetest.Run(context.Background(), load.New(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Plan.NoMaterialize || res.Plan.OutputDir != "source/sycophancy" {
		t.Errorf("plan: got %+v", res.Plan)
	}
	if len(res.Out.Files) != 0 {
		t.Errorf("load copied files: %v", res.Out.Paths())
	}
	if len(res.Out.Refs) != 2 {
		t.Fatalf("refs: got %v, want batch_a and batch_b", res.Out.Refs)
	}
	ref, ok := res.Out.Refs["source/sycophancy/batch_a.json"]
	if !ok || ref.Digest != store.DigestOf([]byte(`{"a": 1}`)) || ref.Abs != filepath.Join(root, "src/sycophancy/batch_a.json") {
		t.Errorf("batch_a ref: got %+v", ref)
	}
	if _, ok := res.Out.Refs["source/sycophancy/batch_b.json"]; !ok {
		t.Errorf("batch_b not referenced: %v", res.Out.Refs)
	}
	if res.Rows.Total != 2 || res.Rows.Rows != 2 {
		t.Errorf("progress: got %d/%d", res.Rows.Rows, res.Rows.Total)
	}
}

func TestLoadOptions(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"src/t/x.json": `{}`, "src/t/batch_1.json": `{}`})
	spec := enginetest.Spec("load", root, map[string]any{"dir": filepath.Join(root, "src"), "pattern": "x*.json"}, topic("t"))
	spec.Output = "mine"
	res, err := enginetest.Run(context.Background(), load.New(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Out.Refs["mine/x.json"]; !ok || len(res.Out.Refs) != 1 {
		t.Errorf("refs: got %v, want only mine/x.json", res.Out.Refs)
	}
}

func TestLoadErrors(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"src/empty/notes.txt": "x"})
	tests := []struct {
		name string
		spec *engine.PartitionSpec
		want string
	}{
		{"no dir", enginetest.Spec("load", root, nil, topic("t")), `node "load": with.dir is required (path; see `},
		{"unknown key", enginetest.Spec("load", root, map[string]any{"dir": "src", "dirr": "x"}, topic("t")), `test.yaml:1:1: node "load": with.dirr: unknown parameter of kind load (did you mean "dir"?)`},
		{"dir not a string", enginetest.Spec("load", root, map[string]any{"dir": 3}, topic("t")), `with.dir: want a non-empty string, got 3`},
		{"bad pattern", enginetest.Spec("load", root, map[string]any{"dir": "src", "pattern": "["}, topic("t")), "syntax error in pattern"},
		{"no topic", enginetest.Spec("load", root, map[string]any{"dir": "src"}), `needs a foreach key "topic"`},
		{"topic with slash", enginetest.Spec("load", root, map[string]any{"dir": "src"}, topic("../x")), "not a directory name"},
		{"no batch files", enginetest.Spec("load", root, map[string]any{"dir": "src"}, topic("empty")), "no batch_*.json files in src/empty"},
	}
	for _, tt := range tests {
		_, err := enginetest.Run(context.Background(), load.New(), tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestLoadThenTag(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"src/t/batch_2.json": `{"data": [{"inferences": {"m": {"A": {"interventions": {"k__v": {"P": "PASS"}}}}}}]}`,
		"src/t/batch_1.json": `{"data": [{"inferences": {"m": {"A": {"interventions": {"k__v": {"P": "FAIL"}}}}}}]}`,
	})
	res, err := enginetest.Run(context.Background(), load.New(), enginetest.Spec("load", root, map[string]any{"dir": "src"}, topic("t")))
	if err != nil {
		t.Fatal(err)
	}
	up := res.Out.AsUpstream("load@t", "load", "load", topic("t"))
	tagged, err := enginetest.Run(context.Background(), tag.New(), enginetest.Spec("tag", root, nil, topic("t")), up)
	if err != nil {
		t.Fatal(err)
	}
	got := string(tagged.Out.Files["stage_3_tagged/t/batch_2.json"])
	if !strings.Contains(got, `"id_numeric": 2,`) || !strings.Contains(got, `"no_a_b_separation"`) {
		t.Errorf("tagged batch_2:\n%s", got)
	}
}
