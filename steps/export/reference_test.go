package export

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/internal/refdata"
)

// loaderCounts counts, per data model, the samples the original training
// loader (claude_data.load_topic + dataset filtering, spec §10.3–10.4, no
// validation split) builds from dir when data_model_source is that model.
// Written independently of the export code; the files are read once and
// every model is counted in the same pass.
func loaderCounts(t *testing.T, dir string, cfg map[string]any) map[string]int {
	t.Helper()
	types, filter := map[string]bool{}, map[string]bool{}
	for _, x := range cfg["intervention_types"].([]any) {
		types[x.(string)] = true
	}
	for _, x := range cfg["tags_to_filter"].([]any) {
		filter[x.(string)] = true
	}
	var topics []string
	for _, x := range cfg["train_topics"].([]any) {
		topics = append(topics, x.(string))
	}
	sort.Strings(topics)
	n := map[string]int{}
	for _, topic := range topics {
		files, _ := filepath.Glob(filepath.Join(dir, topic, "*.json"))
		sort.Strings(files)
		for _, f := range files {
			var batch struct {
				Data []map[string]any `json:"data"`
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &batch); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, item := range batch.Data {
				infs, _ := item["inferences"].(map[string]any)
				for model := range infs {
					n[model] += loaderItem(item, model, types, filter)
				}
			}
		}
	}
	return n
}

// loaderItem counts the samples of one item for one data model.
func loaderItem(item map[string]any, model string, types, filter map[string]bool) int {
	n := 0
	infs, _ := item["inferences"].(map[string]any)
	inf, _ := infs[model].(map[string]any)
	if len(inf) == 0 || item["T"] == nil || item["T"] == "" {
		return 0
	}
	for _, v := range []string{"A", "B"} {
		vd, _ := inf[v].(map[string]any)
		if item[v] == nil || item[v] == "" || len(vd) == 0 {
			continue
		}
		ivs, _ := vd["interventions"].(map[string]any)
		vtags, _ := vd["tags"].([]any)
	records:
		for key, r := range ivs {
			if !types[key] {
				continue
			}
			rtags, _ := r.(map[string]any)["tags"].([]any)
			for _, tag := range append(append([]any{}, rtags...), vtags...) {
				if filter[tag.(string)] {
					continue records
				}
			}
			n++
		}
	}
	return n
}

// TestReferenceExportCount: with the shipped config, every model and no
// hold-out, the export holds exactly as many samples as the original
// loader would produce, model by model.
func TestReferenceExportCount(t *testing.T) {
	ref := refdata.Dir(t, "stage_3_tagged")
	root, _ := filepath.Abs("../..")
	cfgBytes, err := os.ReadFile(filepath.Join(root, "config", "training_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(cfgBytes, &cfg); err != nil {
		t.Fatal(err)
	}
	tagged := filepath.Join(ref, "stage_3_tagged")
	up := enginetest.DirUpstream(t, "tag", "tag", tagged, "stage_3_tagged", "*.json")
	spec := enginetest.Spec(Kind, root, map[string]any{"config": "config/training_config.json", "model": AllModels})
	res, err := enginetest.Run(context.Background(), New(), spec, up)
	if err != nil {
		t.Fatal(err)
	}
	out := res.Out.Files[DefaultOutputDir+"/"+TrainFile]
	perModel := map[string]int{}
	for _, l := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
		var s struct {
			Model string `json:"model"`
		}
		if err := json.Unmarshal(l, &s); err != nil {
			t.Fatal(err)
		}
		perModel[s.Model]++
	}
	models := []string{"google/gemma-3-12b-it", "google/gemma-3-27b-it", "meta-llama/llama-3.3-70b-instruct",
		"qwen/qwen3-14b", "qwen/qwen3-32b", "qwen/qwen3-next-80b-a3b-instruct"}
	counts := loaderCounts(t, tagged, cfg)
	if len(counts) != len(models) {
		t.Errorf("loader saw models %v, want %v", counts, models)
	}
	total, want := 0, 0
	for _, m := range models {
		w := counts[m]
		if perModel[m] != w {
			t.Errorf("model %s: got %d samples, want %d", m, perModel[m], w)
		}
		want += w
	}
	for _, n := range perModel {
		total += n
	}
	if total != want || want == 0 {
		t.Errorf("total: got %d samples, want %d", total, want)
	}
	t.Logf("export: %d samples over %d models", total, len(perModel))
}
