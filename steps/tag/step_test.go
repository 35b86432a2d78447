package tag_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/steps/tag"
)

const stage3 = `{
  "batch_id": "sycophancy_x_batch_001",
  "data": [
    {
      "T": "caf\u00e9",
      "metadata": {"intended_review_focus": "honesty"},
      "inferences": {
        "org/model": {
          "A": {"output_tokens": 10, "interventions": {"sp__version_4": {"P": "FAIL", "confidence": 3, "selected_review_focus": "honesty"}, "sp__baseline": {"P": "FAIL"}}},
          "B": {"output_tokens": 2048, "interventions": {"sp__version_4": {"P": "PASS", "confidence": 5, "stage_3_reviews_passed": false}}}
        }
      }
    }
  ]
}`

func topic(v string) engine.KV { return engine.KV{Key: "topic", Value: v} }

func TestStepRun(t *testing.T) {
	up := engine.Upstream{ID: "load@sycophancy", Node: "load", Kind: "load", Files: []engine.OutputFile{
		enginetest.MemFile("source/sycophancy/batch_1.json", []byte(stage3)),
		enginetest.MemFile("source/sycophancy/README.md", []byte("not json")),
	}}
	spec := enginetest.Spec("tag", t.TempDir(), nil, topic("sycophancy"))
	res, err := enginetest.Run(context.Background(), tag.New(), spec, up)
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.OutputDir != "stage_3_tagged/sycophancy" {
		t.Errorf("OutputDir: got %q", res.Plan.OutputDir)
	}
	if got, want := strings.Join(res.Out.Paths(), ","), "reports/tag/sycophancy.json,stage_3_tagged/sycophancy/batch_1.json"; got != want {
		t.Fatalf("written: got %s, want %s", got, want)
	}
	out := string(res.Out.Files["stage_3_tagged/sycophancy/batch_1.json"])
	for _, want := range []string{
		`"T": "caf\u00e9"`, // ASCII escaping
		"\"tags\": [\n" +
			"                  \"confidence_below_5\",\n" +
			"                  \"confidence_below_4\",\n" +
			"                  \"a_fails_but_b_passes\"\n" +
			"                ],\n" +
			"                \"id_numeric\": 1,\n" +
			"                \"id_string\": \"batch_1__idx0__org_model_A__sp__version_4\"",
		`"generation_exceeded_token_limit",`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s\n%s", want, out)
		}
	}
	if strings.Contains(out, "baseline") {
		t.Errorf("baseline intervention not removed")
	}
	report := string(res.Out.Files["reports/tag/sycophancy.json"])
	wantReport := `{
  "topic": "sycophancy",
  "files": 1,
  "files_without_data": 0,
  "items": 1,
  "baseline_interventions_removed": 1,
  "ids": 2,
  "unique_ids": 2,
  "id_numeric_first": 1,
  "id_numeric_last": 2,
  "dropped_variants": {},
  "tags": {
    "a_fails_but_b_passes": 1,
    "confidence_below_4": 1,
    "confidence_below_5": 1,
    "failed_external_review": 1,
    "generation_exceeded_token_limit": 1
  }
}`
	if report != wantReport {
		t.Errorf("report:\ngot  %s\nwant %s", report, wantReport)
	}
	if res.Rows.Total != 1 || res.Rows.Rows != 1 {
		t.Errorf("progress: got %d/%d, want 1/1", res.Rows.Rows, res.Rows.Total)
	}
}

func TestStepOutputOverride(t *testing.T) {
	spec := enginetest.Spec("tag", t.TempDir(), nil, topic("sycophancy"))
	spec.Output = "custom/dir"
	up := engine.Upstream{Files: []engine.OutputFile{enginetest.MemFile("x/batch_1.json", []byte(stage3))}}
	res, err := enginetest.Run(context.Background(), tag.New(), spec, up)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Out.Files["custom/dir/batch_1.json"]; !ok {
		t.Errorf("written: %v", res.Out.Paths())
	}
}

func TestStepResolveErrors(t *testing.T) {
	tests := []struct {
		name string
		spec *engine.PartitionSpec
		want string
	}{
		{"parameter", enginetest.Spec("tag", "/p", map[string]any{"strict": true}, topic("x")), `test.yaml:1:1: node "tag": with.strict: unknown parameter of kind tag (it takes no parameters)`},
		{"no topic", enginetest.Spec("tag", "/p", nil), `tag needs a foreach key "topic"`},
	}
	for _, tt := range tests {
		_, err := tag.New().Resolve(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestStepRunErrors(t *testing.T) {
	spec := enginetest.Spec("tag", t.TempDir(), nil, topic("sycophancy"))
	_, err := enginetest.Run(context.Background(), tag.New(), spec, engine.Upstream{})
	if err == nil || !strings.Contains(err.Error(), "no *.json files") {
		t.Errorf("empty upstream: got %v", err)
	}
	bad := engine.Upstream{Files: []engine.OutputFile{
		enginetest.MemFile("a/batch_1.json", []byte(stage3)), enginetest.MemFile("b/batch_1.json", []byte(stage3)),
	}}
	_, err = enginetest.Run(context.Background(), tag.New(), spec, bad)
	if err == nil || !strings.Contains(err.Error(), "two input files named batch_1.json") {
		t.Errorf("same base name twice: got %v", err)
	}
}
