package tag_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/internal/refdata"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/tag"
)

// TestConformancePublishedData strips what the tagger adds from every
// published tagged file, tags the result through the Step interface, and
// checks that every tag list, every id_string and every other field comes
// back identical (id_numeric is renumbered per topic on purpose). It then
// tags the published files as they are: tags are recomputed, not appended,
// so the result is the same.
func TestConformancePublishedData(t *testing.T) {
	root := refdata.Dir(t, "stage_3_tagged")
	topics, err := filepath.Glob(filepath.Join(root, "stage_3_tagged", "*"))
	if err != nil || len(topics) == 0 {
		t.Fatalf("no topic directories under %s/stage_3_tagged: %v", root, err)
	}
	for _, strip := range []bool{true, false} {
		var total counts
		for _, dir := range topics {
			files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			if len(files) == 0 {
				continue
			}
			total.add(checkTopic(t, filepath.Base(dir), files, strip))
		}
		t.Logf("untagged input=%v: checked %d files, %d variant tag lists, %d intervention records (tags and id_string)",
			strip, total.files, total.variants, total.records)
		if total.files != 36 || total.records != 29930 {
			t.Errorf("got %d files and %d records, want the 36 files and 29,930 records of the published data", total.files, total.records)
		}
	}
}

type counts struct{ files, variants, records int }

func (c *counts) add(o counts) { c.files += o.files; c.variants += o.variants; c.records += o.records }

func checkTopic(t *testing.T, topic string, files []string, strip bool) counts {
	t.Helper()
	out := enginetest.NewOutput()
	want := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want[filepath.Base(f)] = data
		input := data
		if strip {
			doc, err := spt.ReadBatch(data)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			stripTagging(t, doc)
			if input, err = spt.EncodeBatch(doc); err != nil {
				t.Fatal(err)
			}
		}
		if err := out.WriteFile("stage_3/"+topic+"/"+filepath.Base(f), input); err != nil {
			t.Fatal(err)
		}
	}
	up := out.AsUpstream(engine.PartitionID("load@"+topic), "load", "load", engine.KV{Key: "topic", Value: topic})
	spec := enginetest.Spec("tag", t.TempDir(), nil, engine.KV{Key: "topic", Value: topic})
	res, err := enginetest.Run(context.Background(), tag.New(), spec, up)
	if err != nil {
		t.Fatalf("tag %s: %v", topic, err)
	}
	var c counts
	var nextID int64 = 1
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range want {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		got, ok := res.Out.Files["stage_3_tagged/"+topic+"/"+name]
		if !ok {
			t.Errorf("%s/%s: not written", topic, name)
			continue
		}
		fc := compareFile(t, topic+"/"+name, got, want[name], &nextID)
		c.add(fc)
	}
	if _, ok := res.Out.Files["reports/tag/"+topic+".json"]; !ok {
		t.Errorf("%s: no report written", topic)
	}
	return c
}

// stripTagging deletes variant and intervention tags, id_numeric and id_string.
func stripTagging(t *testing.T, doc *pyjson.Object) {
	forEachVariant(t, doc, func(_ string, v *pyjson.Object, recs []spt.Record) {
		v.Delete("tags")
		for _, r := range recs {
			r.Obj.Delete("tags")
			r.Obj.Delete("id_numeric")
			r.Obj.Delete("id_string")
		}
	})
}

func forEachVariant(t *testing.T, doc *pyjson.Object, fn func(where string, v *pyjson.Object, recs []spt.Record)) {
	t.Helper()
	data, _ := spt.Data(doc)
	for i := range data {
		item, err := spt.Item(data, i)
		if err != nil {
			t.Fatal(err)
		}
		models, err := spt.Models(item)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range models {
			for _, name := range spt.Variants {
				v, err := spt.Variant(m.Obj, name)
				if err != nil || v == nil {
					continue
				}
				recs, _, err := spt.Interventions(v)
				if err != nil {
					t.Fatal(err)
				}
				fn(m.Name+"/"+name, v, recs)
			}
		}
	}
}

// compareFile checks tag lists and id_string record by record, that
// id_numeric continues the topic's sequence, and that the files are
// identical once id_numeric is set to the published values.
func compareFile(t *testing.T, name string, gotData, wantData []byte, nextID *int64) counts {
	t.Helper()
	got, err := spt.ReadBatch(gotData)
	if err != nil {
		t.Fatalf("%s: re-parse output: %v", name, err)
	}
	want, _ := spt.ReadBatch(wantData)
	var wantVariants []*pyjson.Object
	var wantRecs []spt.Record
	forEachVariant(t, want, func(_ string, v *pyjson.Object, recs []spt.Record) {
		wantVariants = append(wantVariants, v)
		wantRecs = append(wantRecs, recs...)
	})
	c := counts{files: 1}
	forEachVariant(t, got, func(where string, v *pyjson.Object, recs []spt.Record) {
		if c.variants >= len(wantVariants) {
			t.Fatalf("%s: more variants than published", name)
		}
		if g, w := tagsOf(v), tagsOf(wantVariants[c.variants]); !slices.Equal(g, w) {
			t.Errorf("%s %s: variant tags: got %v, want %v", name, where, g, w)
		}
		c.variants++
		for _, r := range recs {
			w := wantRecs[c.records]
			if g, wt := tagsOf(r.Obj), tagsOf(w.Obj); !slices.Equal(g, wt) {
				t.Errorf("%s %s %s: tags: got %v, want %v", name, where, r.Key, g, wt)
			}
			gid, _ := r.Obj.Str("id_string")
			wid, _ := w.Obj.Str("id_string")
			if gid != wid {
				t.Errorf("%s: id_string: got %q, want %q", name, gid, wid)
			}
			if n, _ := r.Obj.Num("id_numeric"); n != pyjson.Int(*nextID) {
				t.Errorf("%s %s: id_numeric: got %s, want %d", name, gid, n, *nextID)
			}
			*nextID++
			wn, _ := w.Obj.Get("id_numeric")
			r.Obj.Set("id_numeric", wn)
			c.records++
		}
	})
	if c.variants != len(wantVariants) || c.records != len(wantRecs) {
		t.Errorf("%s: got %d variants and %d records, want %d and %d", name, c.variants, c.records, len(wantVariants), len(wantRecs))
	}
	whole, err := spt.EncodeTagged(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(whole) != string(wantData) {
		t.Errorf("%s: re-encoded file differs from the published one beyond id_numeric", name)
	}
	return c
}

func tagsOf(o *pyjson.Object) []string {
	var out []string
	for _, v := range o.Arr("tags") {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}
