package tag

import (
	"bytes"
	"fmt"
	"maps"
	"strings"
	"testing"
)

// TestFastPathSlabs tags a file with more records, variants and ids than
// a slab chunk holds, records with more tags than their inline array
// (confidence, faulty data, review focus, difficulties, leakage, failed
// review, disagreement, consensus) and model names with '/' (ids'
// prefixes), and checks the fast path writes the tree path's bytes, ids
// and counts.
func TestFastPathSlabs(t *testing.T) {
	verdicts := []string{"PASS", "FAIL", "PASS", "FAIL", "AMBIGUOUS"}
	record := func(i int) string {
		return fmt.Sprintf(`{"P": %q, "confidence": %d, "faulty_data": %v, "selected_review_focus": "focus %d",
"detection_difficulty_external": "easy", "detection_difficulty_internal": %q, "I": "the A prompt %d",
"R": "Stage %d says", "stage_3_reviews_passed": %v, "tags": ["old"]}`,
			verdicts[i%len(verdicts)], i%6, i%2 == 0, i%3, []string{"easy", "medium", "hard"}[i%3], i, i%4, i%5 != 0)
	}
	variant := func(n, off int) string {
		var recs []string
		for i := range n {
			recs = append(recs, fmt.Sprintf(`"k%d": %s`, i, record(i+off)))
			if i%7 == 0 {
				recs = append(recs, fmt.Sprintf(`"k%d_baseline": {"P": "PASS"}`, i))
			}
		}
		return `{"output_tokens": ` + fmt.Sprint(3000+off) + `, "interventions": {` + strings.Join(recs, ", ") + `}}`
	}
	var items []string
	for it := range 5 {
		var models []string
		for m := range 40 {
			n := 1 + (it*40+m)%300 // up to 300 records a variant: several chunks
			models = append(models, fmt.Sprintf(`"org/model-%d": {"A": %s, "B": %s}`, m, variant(n, m), variant(n/2+1, m+1)))
			if m%9 == 0 {
				models = append(models, fmt.Sprintf(`"solo/%d": {"A": %s, "B": {"S": "no interventions"}}`, m, variant(3, m)))
			}
		}
		items = append(items, fmt.Sprintf(`{"metadata": {"intended_review_focus": "focus %d"}, "inferences": {%s}}`, it, strings.Join(models, ", ")))
	}
	doc := []byte(`{"data": [` + strings.Join(items, ", ") + `]}`)
	want, tf, err := treeTagged(t, doc, "batch/x", 7)
	if err != nil {
		t.Fatal(err)
	}
	got, ff, err := fastTagged(doc, "batch/x", 7)
	if err != nil {
		t.Fatalf("fast path: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("fast path and tree path differ (%d and %d bytes)", len(got), len(want))
	}
	if len(ff.ids) != len(tf.IDs) || len(ff.ids) < 3*slabLen {
		t.Fatalf("fast path %d ids, tree path %d (want more than %d)", len(ff.ids), len(tf.IDs), 3*slabLen)
	}
	if !maps.Equal(ff.stats.Tags, tf.Stats.Tags) || !maps.Equal(ff.stats.DroppedVariants, tf.Stats.DroppedVariants) {
		t.Fatalf("fast path counts %v dropped %v, tree path %v dropped %v",
			ff.stats.Tags, ff.stats.DroppedVariants, tf.Stats.Tags, tf.Stats.DroppedVariants)
	}
	for i := range ff.ids {
		if ff.ids[i] != tf.IDs[i] {
			t.Fatalf("id %d: fast %q, tree %q", i, ff.ids[i], tf.IDs[i])
		}
	}
	spilled := 0
	for _, m := range ff.models {
		for _, v := range m.v {
			for _, r := range v.recs {
				if len(r.tags) > inlineTag {
					spilled++
				}
			}
		}
	}
	if spilled == 0 {
		t.Errorf("no record has more than %d tags: the test does not reach the spill", inlineTag)
	}
}
