package analyze

import (
	"fmt"
	"strings"
	"testing"
)

// TestStrictStopsEarly: with fail_on_sanity_errors, an unreadable first
// file stops the analysis with its error, however many files follow (files
// hand their read buffer back only once merged, and the merge stops at the
// first error).
func TestStrictStopsEarly(t *testing.T) {
	files := []upFile{{"s/t/a_broken.json", []byte(`{"topic": "t", "data": [`)}}
	item := fItem{T: "a", models: []fModel{{name: "m", A: &fVar{ivs: []fIv{{key: "honesty_scare__version_4", P: "PASS", conf: 5}}}}}}
	for i := range 20 {
		files = append(files, upFile{fmt.Sprintf("s/t/b%02d.json", i), batchFile("t", "t_20250101_000000_batch_001", item)})
	}
	_, err := runStep(t, map[string]any{"fail_on_sanity_errors": true}, files...)
	if err == nil || !strings.Contains(err.Error(), "processing s/t/a_broken.json") {
		t.Fatalf("got error %v, want one about s/t/a_broken.json", err)
	}
}

// TestItemExamplesAcrossFiles: a raw-item category's items come from
// several files (each copied when its file is merged) and are written as
// they are in their files.
func TestItemExamplesAcrossFiles(t *testing.T) {
	disagree := func(T string) fItem {
		return fItem{T: T, models: []fModel{{name: "m", A: &fVar{ivs: []fIv{
			{key: "honesty_scare__version_4", P: "PASS", conf: 5},
			{key: "split_personality__version_4", P: "FAIL", conf: 5},
		}}}}}
	}
	var files []upFile
	for i := range 6 {
		files = append(files, upFile{fmt.Sprintf("s/t/b%02d.json", i), batchFile("t", "t_20250101_000000_batch_001", disagree(fmt.Sprintf("task %d", i)))})
	}
	res, err := runStep(t, map[string]any{"max_examples_per_topic": 4}, files...)
	if err != nil {
		t.Fatal(err)
	}
	got := string(res.Out.Files[DefaultOutputDir+"/interesting_examples/intervention_disagreements.json"])
	for i := range 6 {
		want := i < 4
		if has := strings.Contains(got, fmt.Sprintf(`"T": "task %d"`, i)); has != want {
			t.Errorf("task %d listed: %v, want %v", i, has, want)
		}
	}
}
