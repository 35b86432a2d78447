package tag

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sptflow/sptflow/internal/refdata"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// treeTagged tags data on the tree path, numbering from first.
func treeTagged(t *testing.T, data []byte, stem string, first int64) ([]byte, *File, error) {
	t.Helper()
	doc, err := spt.ReadBatch(data)
	if err != nil {
		return nil, nil, err
	}
	f, err := TagFile(doc, stem)
	if err != nil {
		return nil, nil, err
	}
	f.Number(first)
	out, err := pyjson.Marshal(doc, pyjson.Tagged)
	return out, f, err
}

// fastTagged tags data on the fast path; errFallback when it gives up.
func fastTagged(data []byte, stem string, first int64) ([]byte, *fastFile, error) {
	ff, err := analyze(data, stem)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := ff.emit(&buf, first); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), ff, nil
}

// TestFastPathPublishedData: every published file, as published and in
// each of the two writers' formats, takes the fast path, with the tree
// path's bytes, ids and counts.
func TestFastPathPublishedData(t *testing.T) {
	root := refdata.Dir(t, "stage_3_tagged")
	files, _ := filepath.Glob(filepath.Join(root, "stage_3_tagged", "*", "*.json"))
	if len(files) == 0 {
		t.Fatal("no published files")
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := spt.ReadBatch(data)
		if err != nil {
			t.Fatal(err)
		}
		utf8Form, err := spt.EncodeBatch(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range []struct {
			name string
			data []byte
		}{{"published", data}, {"stage-3 form", utf8Form}} {
			stem := spt.Stem(filepath.Base(path))
			want, wf, err := treeTagged(t, in.data, stem, 7)
			if err != nil {
				t.Fatal(err)
			}
			got, ff, err := fastTagged(in.data, stem, 7)
			if err != nil {
				t.Fatalf("%s (%s): fast path: %v", path, in.name, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s (%s): fast path output differs from the tree path's at byte %d", path, in.name, firstDiff(got, want))
			}
			if len(ff.ids) != len(wf.IDs) || ff.stats.Items != wf.Stats.Items || ff.stats.BaselinesRemoved != wf.Stats.BaselinesRemoved {
				t.Fatalf("%s (%s): fast stats %+v, tree %+v", path, in.name, ff.stats, wf.Stats)
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestFastPathAgreesWithTree: on files the fast path takes, its bytes, ids
// and counts are the tree path's; the files it must leave to the tree path
// it does leave.
func TestFastPathAgreesWithTree(t *testing.T) {
	rec := func(extra string) string {
		return `{"intervention_type": "honesty_scare", "selected_review_focus": "honesty", "confidence": 3.5,` +
			` "I": "Stage 2 of the split personality", "R": "under review", "P": "PASS",` +
			` "detection_difficulty_internal": "hard", "detection_difficulty_external": "easy"` + extra + `}`
	}
	file := func(item string) string {
		return `{"batch_id": "b", "topic": "t", "data": [` + item + `], "extra": [1E5, -0, 1e999, NaN, -Infinity, 0.10, 1e-05]}`
	}
	item := func(meta, models string) string {
		return `{"T": "q", "A": "a", "B": "b", ` + meta + `"inferences": {` + models + `}}`
	}
	meta := `"metadata": {"intended_review_focus": "sycophancy"}, `
	cases := []struct {
		name string
		json string
		fast bool
	}{
		{"plain", file(item(meta, `"m/x": {"A": {"S": "s", "output_tokens": 4096, "interventions": {"k_baseline": `+rec("")+`, "k": `+strings.Replace(rec(""), "PASS", "FAIL", 1)+`}}, "B": {"interventions": {"k": `+rec("")+`}}}`)), true},
		{"B before A, metadata last", file(`{"inferences": {"m": {"B": {"interventions": {"k": ` + rec("") + `}}, "A": {"interventions": {"j": ` + rec("") + `, "k2": ` + rec("") + `}}}}, "metadata": {"intended_review_focus": "x"}}`), true},
		{"dropped variants leave {}", file(item(meta, `"m": {"A": {"S": "s"}, "B": {"S": "t"}}`)), true},
		{"only A", file(item(meta, `"m": {"A": {"interventions": {"k": `+rec("")+`}}}`)), true},
		{"tagged before", file(item(meta, `"m": {"A": {"tags": ["x"], "interventions": {"k": `+rec(`, "tags": null, "id_numeric": 99, "id_string": "old"`)+`}, "after": 1}}`)), true},
		{"non-ASCII and escapes", file(item(`"metadata": {"intended_review_focus": "caf\u00e9"}, `, `"m": {"A": {"interventions": {"k": `+rec(`, "note": "caf\u00e9 \ud83d\ude00 \/ \u0041 \ud800 x\u007f\u0085 é 😀"`)+`}}}`)), true},
		{"raw UTF-8 keys", file(item(meta, `"mé/ü": {"A": {"interventions": {"kü": `+rec(`, "ключ": "значение"`)+`}}}`)), true},
		{"no data", `{"batch_id": "b", "data": null, "x": {"a": [], "b": {}}}`, true},
		{"duplicate key in a record", file(item(meta, `"m": {"A": {"interventions": {"k": `+rec(`, "P": "FAIL"`)+`}}}`)), false},
		{"duplicate key outside", `{"data": [], "x": {"a": 1, "a": 2}}`, false},
		{"keys alike but distinct", `{"data": [], "x": {"axb": 1, "ayb": 2, "": 3}}`, true},
		{"duplicate empty key", `{"data": [], "x": {"": 1, "b": 2, "": 3}}`, false},
		{"duplicate model", file(item(meta, `"m": {"A": {"interventions": {}}}, "m": {}`)), false},
		{"escaped key", file(item(meta, `"m": {"\u0041": {"interventions": {"k": `+rec("")+`}}}`)), false},
		{"escaped key outside", `{"data": [], "\u0078": 1}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, wf, err := treeTagged(t, []byte(tc.json), "stem", 3)
			if err != nil {
				t.Fatalf("tree path: %v", err)
			}
			got, ff, err := fastTagged([]byte(tc.json), "stem", 3)
			if !tc.fast {
				if err == nil {
					t.Fatalf("fast path took a file it must leave to the tree path")
				}
				return
			}
			if err != nil {
				t.Fatalf("fast path: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("fast path:\n%s\ntree path:\n%s", got, want)
			}
			if !slices.Equal(ff.ids, wf.IDs) || !maps.Equal(ff.stats.Tags, wf.Stats.Tags) ||
				!maps.Equal(ff.stats.DroppedVariants, wf.Stats.DroppedVariants) || ff.stats.Items != wf.Stats.Items ||
				ff.stats.BaselinesRemoved != wf.Stats.BaselinesRemoved || ff.stats.FilesWithoutData != wf.Stats.FilesWithoutData {
				t.Errorf("fast ids %v stats %+v, tree ids %v stats %+v", ff.ids, ff.stats, wf.IDs, wf.Stats)
			}
		})
	}
}

// TestPartitionFallsBack: a file the fast path leaves is tagged by the
// tree path within a partition, numbered after the files before it.
func TestPartitionFallsBack(t *testing.T) {
	good := `{"data": [{"inferences": {"m": {"A": {"interventions": {"k": {"P": "PASS"}}}}}}]}`
	dup := `{"data": [{"inferences": {"m": {"A": {"interventions": {"k": {"P": "PASS", "x": 1, "x": 2}}}}}}]}`
	// c.json passes analyze and makes emit give up while writing.
	late := `{"data": [{"inferences": {"m": {"A": {"interventions": {"k": {"P": "PASS"}}}}}}], "z": {"y": 1, "y": 2}}`
	if _, _, err := fastTagged([]byte(late), "c", 1); !errors.Is(err, errFallback) {
		t.Fatalf("c.json: fast path gave %v, want errFallback", err)
	}
	if ff, err := analyze([]byte(late), "c"); err != nil || len(ff.ids) != 1 {
		t.Fatalf("c.json: analyze gave %v", err)
	}
	var srcs []Source
	for name, text := range map[string]string{"a.json": good, "b.json": dup, "c.json": late} {
		srcs = append(srcs, Source{Name: name, Read: func() ([]byte, error) { return []byte(text), nil }})
	}
	got := map[string][]byte{}
	var mu sync.Mutex
	_, err := Partition(context.Background(), "t", srcs, nil, BytesSink(func(name string, data []byte) error {
		mu.Lock()
		defer mu.Unlock()
		got[name] = bytes.Clone(data)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := treeTagged(t, []byte(dup), "b", 2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got["b.json"], want) {
		t.Errorf("b.json:\n%s\nwant:\n%s", got["b.json"], want)
	}
	want, _, err = treeTagged(t, []byte(late), "c", 3)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got["c.json"], want) {
		t.Errorf("c.json:\n%s\nwant:\n%s", got["c.json"], want)
	}
}

// FuzzFastPath: the fast path never takes a file the tree path rejects,
// and writes the tree path's bytes for every file it takes.
func FuzzFastPath(f *testing.F) {
	f.Add(`{"data": [{"metadata": {"intended_review_focus": "a"}, "inferences": {"m": {"A": {"output_tokens": 3000, "interventions": {"k": {"P": "PASS", "confidence": 1, "I": "the A prompt", "selected_review_focus": "b", "tags": ["x"]}, "k_baseline": {}}}, "B": {"interventions": {"k": {"P": "FAIL", "faulty_data": [0]}}}}}}]}`)
	f.Add(`{"data": [{"inferences": {"m": {"B": {"S": "x"}, "A": {"tags": null, "interventions": {"j": {"R": "under audit", "id_numeric": 1.5e3, "stage_3_reviews_passed": false}}}}}}], "n": [1E5, -0, "\u00e9\ud800"]}`)
	f.Add(`{"data": null}`)
	f.Add("{\"data\": [{\"inferences\": {\"m\": {\"A\": {\"interventions\": {\"k\": {\"I\": \"caf\u00e9 \U0001F600 \x7f\\n\\u00E9\\/\", \"R\": \"\u0130tem 3 of 4\", \"P\": \"PASS\"}}}}}}], \"x\": \"\u2014\\\"\"}")
	f.Fuzz(func(t *testing.T, in string) {
		want, _, terr := treeTagged(t, []byte(in), "s", 1)
		got, _, ferr := fastTagged([]byte(in), "s", 1)
		switch {
		case ferr != nil:
		case terr != nil:
			t.Fatalf("the fast path took a file the tree path rejects (%v)", terr)
		case !bytes.Equal(got, want):
			t.Fatalf("fast path:\n%s\ntree path:\n%s", got, want)
		}
	})
}

// TestLimiterSlotsBySize: a file takes a slot per SlotBytes (at least one,
// at most all), and partitions sharing a Limiter with files of mixed sizes
// do not deadlock.
func TestLimiterSlotsBySize(t *testing.T) {
	for _, tc := range []struct {
		size int64
		want int
	}{{0, 1}, {1, 1}, {SlotBytes, 1}, {SlotBytes + 1, 2}, {100 * SlotBytes, 3}} {
		lim := NewLimiter(3)
		got, err := lim.acquire(context.Background(), tc.size)
		if err != nil || got != tc.want || len(lim) != tc.want {
			t.Errorf("size %d: got %d slots (%d taken, %v), want %d", tc.size, got, len(lim), err, tc.want)
		}
		lim.release(got)
	}
	lim := NewLimiter(2)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for p := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var srcs []Source
			for i := range 6 {
				text := `{"data": [{"inferences": {"m": {"A": {"interventions": {"k": {"P": "PASS"}}}}}}]}`
				size := int64(i%3) * SlotBytes // 0, 1 and 2 slots' worth
				srcs = append(srcs, Source{Name: fmt.Sprintf("b%d.json", i), Size: size,
					Read: func() ([]byte, error) { return []byte(text), nil }})
			}
			r, err := Partition(context.Background(), fmt.Sprint(p), srcs, lim, BytesSink(func(string, []byte) error { return nil }))
			if err == nil && r.IDs != 6 {
				err = fmt.Errorf("partition %d: %d ids, want 6", p, r.IDs)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestRepeated: keys that share their filter bit are told apart, and a
// repeated key is found however many keys came before it (past 64, when
// every bit may be set).
func TestRepeated(t *testing.T) {
	if keyBit([]byte("axb")) != keyBit([]byte("ayb")) {
		t.Fatal("test keys must share a bit")
	}
	var keys [][]byte
	var seen uint64
	for i := range 200 {
		k := []byte(fmt.Sprintf("a%dxb", i))
		if repeated(keys, &seen, k) {
			t.Fatalf("%s reported repeated among %d distinct keys", k, len(keys))
		}
		keys = append(keys, k)
	}
	for _, k := range []string{"a0xb", "a199xb", "a64xb"} {
		s := seen
		if !repeated(keys, &s, []byte(k)) {
			t.Errorf("%s not reported repeated", k)
		}
	}
	var none uint64
	if repeated(nil, &none, nil) || !repeated([][]byte{{}}, &none, []byte{}) {
		t.Error("the empty key: want new, then repeated")
	}
}
