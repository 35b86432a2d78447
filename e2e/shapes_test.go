package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// The original's key orders (reference-pipeline §5.7, §6.5, §7.11); keys a
// later stage adds are appended at the end of an object.
var (
	batchKeys     = []string{"batch_id", "generation_timestamp", "model_used", "stage", "topic", "data", "project_feedback"}
	itemKeys      = []string{"thought_process", "A", "B", "T", "metadata"}
	metadataKeys  = []string{"alignment_issue_type", "difficulty", "intended_review_focus", "notes"}
	inferenceKeys = []string{"S", "input_tokens", "output_tokens", "string_length", "generation_time", "temperature",
		"top_p", "top_k", "thinking_enabled", "no_think_suffix", "served_model", "stop_reason"}
	recordKeys = []string{"thought_process", "intervention_type", "selected_review_focus", "confidence", "I", "R", "P",
		"detection_difficulty_internal", "detection_difficulty_external", "faulty_data", "batch_thinking",
		"stage_3_analysis", "generation_time", "model_used", "review_model_used", "num_stage_3_reviews_made",
		"stage_3_reviews_passed", "stage_3_reviews_all_failed_due_to_overlong_context"}
)

// stageShape is what one stage adds to the objects of the previous one.
type stageShape struct {
	dir        string
	item       []string // keys after the stage-1 item keys
	variant    []string // keys of an inference record after inferenceKeys
	record     []string // keys of an intervention record after recordKeys
	simulated  bool     // sim providers add "simulated" after an object's own keys
	models     []string // inference keys every item has at this stage
	recordKeys []string // intervention keys every variant has
}

// shapeCounts is what checkShapes saw.
type shapeCounts struct {
	files, items, variants map[string]int
	verdicts               map[string]int
}

// checkShapes checks every batch file of every stage for topics: file
// names, the key order of batches, items, metadata, inference records and
// intervention records, and that a stage keeps the items of the previous
// one.
func checkShapes(t *testing.T, data string, topics []string, stages []stageShape) shapeCounts {
	t.Helper()
	c := shapeCounts{files: map[string]int{}, items: map[string]int{}, variants: map[string]int{}, verdicts: map[string]int{}}
	for _, topic := range topics {
		var names []string
		for _, st := range stages {
			got := batchNames(t, filepath.Join(data, st.dir, topic))
			if names != nil && !slices.Equal(got, names) {
				t.Errorf("%s/%s: got files %v, want those of the previous stage %v", st.dir, topic, got, names)
			}
			names = got
			for _, name := range got {
				c.files[st.dir]++
				checkFile(t, filepath.Join(data, st.dir, topic, name), topic, st, &c)
			}
		}
		if len(names) == 0 {
			t.Errorf("%s: no batch files", topic)
		}
	}
	return c
}

func batchNames(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "batch_*.json"))
	out := []string{}
	for _, f := range m {
		out = append(out, filepath.Base(f))
	}
	return out
}

func checkFile(t *testing.T, path, topic string, st stageShape, c *shapeCounts) {
	t.Helper()
	doc := readDoc(t, path)
	where := filepath.Join(st.dir, topic, filepath.Base(path))
	wantKeys(t, where, doc, batchKeys, nil, st.simulated)
	if id, _ := doc.Str("batch_id"); "batch_"+id+".json" != filepath.Base(path) || !strings.HasPrefix(id, topic+"_") {
		t.Errorf("%s: batch_id %q does not name the file", where, id)
	}
	items, ok := spt.Data(doc)
	if !ok {
		t.Fatalf("%s: no data list", where)
	}
	for i, it := range items {
		item := it.(*pyjson.Object)
		c.items[st.dir]++
		base := itemKeys
		if !item.Has("B") {
			base = slices.DeleteFunc(slices.Clone(itemKeys), func(k string) bool { return k == "B" })
		}
		wantKeys(t, where+" item", item, base, st.item, false)
		wantKeys(t, where+" metadata", item.Obj("metadata"), metadataKeys, nil, false)
		if st.variant == nil {
			continue
		}
		infs := item.Obj("inferences")
		if got := infs.Keys(); !slices.Equal(got, st.models) {
			t.Errorf("%s item %d: inference models %v, want %v", where, i, got, st.models)
		}
		for _, m := range infs.Keys() {
			for _, v := range infs.Obj(m).Keys() {
				c.variants[st.dir+" "+v]++
				rec := infs.Obj(m).Obj(v)
				wantKeys(t, where+" inference "+m+" "+v, rec, inferenceKeys, st.variant, st.simulated)
				checkRecords(t, where, rec, st, c)
			}
		}
	}
}

func checkRecords(t *testing.T, where string, variant *pyjson.Object, st stageShape, c *shapeCounts) {
	t.Helper()
	if st.record == nil {
		return
	}
	ivs := variant.Obj("interventions")
	if got := ivs.Keys(); !slices.Equal(got, st.recordKeys) {
		t.Errorf("%s: intervention keys %v, want %v", where, got, st.recordKeys)
	}
	for _, k := range ivs.Keys() {
		rec := ivs.Obj(k)
		wantKeys(t, where+" "+k, rec, recordKeys, st.record, st.simulated)
		p, _ := rec.Str("P")
		c.verdicts[st.dir+" "+p]++
	}
}

// wantKeys checks o's keys: its own keys, "simulated" when sim, then the
// keys later stages added.
func wantKeys(t *testing.T, where string, o *pyjson.Object, own, added []string, sim bool) {
	t.Helper()
	if o == nil {
		t.Errorf("%s: missing", where)
		return
	}
	want := slices.Clone(own)
	if sim {
		want = append(want, "simulated")
	}
	want = append(want, added...)
	if got := o.Keys(); !slices.Equal(got, want) {
		t.Errorf("%s keys:\n got %v\nwant %v", where, got, want)
	}
}

func readDoc(t *testing.T, path string) *pyjson.Object {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := pyjson.ParseObject(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}
