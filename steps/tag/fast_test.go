package tag

import (
	"bytes"
	"os"
	"path/filepath"
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
