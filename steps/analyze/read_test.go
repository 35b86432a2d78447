package analyze

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
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

// TestItemListsAcrossTopics: a raw-item category lists its topics in
// first-seen order and each topic's first `limit` items in file order,
// when a topic's files are not next to each other (its items wait, copied,
// until the topic before it can get no more), and the file is the same as
// the one the items' order gives.
func TestItemListsAcrossTopics(t *testing.T) {
	disagree := func(T string) fItem {
		return fItem{T: T, models: []fModel{{name: "m", A: &fVar{ivs: []fIv{
			{key: "honesty_scare__version_4", P: "PASS", conf: 5},
			{key: "split_personality__version_4", P: "FAIL", conf: 5},
		}}}}}
	}
	file := func(path, topic string, Ts ...string) upFile {
		var items []fItem
		for _, T := range Ts {
			items = append(items, disagree(T))
		}
		return upFile{path, batchFile(topic, topic+"_20250101_000000_batch_001", items...)}
	}
	files := []upFile{
		file("s/a/1.json", "a", "a1", "a2"),
		file("s/b/1.json", "b", "b1", "b2", "b3", "b4"),
		file("s/b/2.json", "a", "a3", "a4"), // topic a again, after b
		file("s/c/1.json", "c", "c1"),
	}
	res, err := runStep(t, map[string]any{"max_examples_per_topic": 3}, files...)
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Item struct{ T string } `json:"item"`
	}
	data := res.Out.Files[DefaultOutputDir+"/interesting_examples/intervention_disagreements.json"]
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Item.T)
	}
	if want := []string{"a1", "a2", "a3", "b1", "b2", "b3", "c1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("items %v, want %v", got, want)
	}
}

// TestStrictWritesNothing: with fail_on_sanity_errors, sanity failures
// fail the node and no file is left, not even the example lists written as
// the files were merged.
func TestStrictWritesNothing(t *testing.T) {
	item := fItem{T: "a", models: []fModel{{name: "m", A: &fVar{ivs: []fIv{
		{key: "honesty_scare__version_4", P: "PASS", conf: 5},
		{key: "honesty_scare__version_5", P: "FAIL", conf: 5}, // no split_personality record
	}}}}}
	res, err := runStep(t, map[string]any{"fail_on_sanity_errors": true},
		upFile{"s/t/1.json", batchFile("t", "t_20250101_000000_batch_001", item)})
	if err == nil || !strings.Contains(err.Error(), "sanity check failures") {
		t.Fatalf("got error %v, want sanity check failures", err)
	}
	if len(res.Out.Files) != 0 {
		t.Errorf("got %d files written, want none", len(res.Out.Files))
	}
}

// streamOut is an engine.StreamOutput that records what becomes of each
// created file.
type streamOut struct {
	files map[string][]byte
	open  map[string]bool // created, neither closed nor aborted
}

func (o *streamOut) WriteFile(rel string, data []byte) error {
	o.files[rel] = data
	return nil
}

func (o *streamOut) Reference(rel string, _ engine.InputFile) error {
	return fmt.Errorf("unexpected reference %s", rel)
}

func (o *streamOut) Create(rel string) (engine.FileWriter, error) {
	o.open[rel] = true
	return &streamFile{o: o, rel: rel}, nil
}

type streamFile struct {
	o   *streamOut
	rel string
	buf []byte
}

func (f *streamFile) Write(p []byte) (int, error) { f.buf = append(f.buf, p...); return len(p), nil }
func (f *streamFile) WriteString(s string) (int, error) {
	f.buf = append(f.buf, s...)
	return len(s), nil
}
func (f *streamFile) Close() error { delete(f.o.open, f.rel); f.o.files[f.rel] = f.buf; return nil }
func (f *streamFile) Abort()       { delete(f.o.open, f.rel) }

// TestStreamedFilesClosedOrAborted: on a streaming output, the example
// lists written as the files are merged are closed when the analysis is
// written, and aborted (none left open, none written) when it fails.
func TestStreamedFilesClosedOrAborted(t *testing.T) {
	item := fItem{T: "a", models: []fModel{{name: "m", A: &fVar{ivs: []fIv{
		{key: "honesty_scare__version_4", P: "PASS", conf: 5},
		{key: "honesty_scare__version_5", P: "FAIL", conf: 5}, // no split_personality record
	}}}}}
	for _, strict := range []bool{false, true} {
		u := engine.Upstream{ID: "tag", Node: "tag", Kind: "tag",
			Files: []engine.OutputFile{enginetest.MemFile("s/t/1.json", batchFile("t", "t_20250101_000000_batch_001", item))}}
		step := New()
		spec := enginetest.Spec(Kind, t.TempDir(), map[string]any{"fail_on_sanity_errors": strict})
		plan, err := step.Resolve(spec)
		if err != nil {
			t.Fatal(err)
		}
		out := &streamOut{files: map[string][]byte{}, open: map[string]bool{}}
		err = step.Run(context.Background(), &engine.Task{Spec: spec, Params: plan.Params, Plan: plan, Upstream: []engine.Upstream{u},
			Out: out, Progress: &enginetest.Progress{}, Usage: &enginetest.Progress{}, Log: zerolog.Nop()})
		if (err != nil) != strict {
			t.Fatalf("strict %v: error %v", strict, err)
		}
		if len(out.open) != 0 {
			t.Errorf("strict %v: files left open: %v", strict, out.open)
		}
		list := DefaultOutputDir + "/interesting_examples/intervention_disagreements.json"
		if _, ok := out.files[list]; ok == strict {
			t.Errorf("strict %v: %s written: %v", strict, list, ok)
		}
	}
}

// TestHeldBytes: held copies equal their originals, small and over a huge
// page, and appending to one does not reach the next.
func TestHeldBytes(t *testing.T) {
	var h heldBytes
	var orig, copies [][]byte
	for i, n := range []int{10, 300 << 10, 1 << 20, 3 << 20, 0, 700 << 10, 5} {
		b := bytes.Repeat([]byte{byte('a' + i)}, n)
		orig, copies = append(orig, b), append(copies, h.clone(b))
	}
	for i := range copies {
		if !bytes.Equal(copies[i], orig[i]) {
			t.Fatalf("copy %d differs from its original", i)
		}
		_ = append(copies[i], 'x')
	}
	for i := range copies {
		if !bytes.Equal(copies[i], orig[i]) {
			t.Fatalf("copy %d changed by an append to another", i)
		}
	}
}
