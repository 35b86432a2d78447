package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

// rec is one intervention record of a fixture: where it sits and its verdict.
type rec struct {
	task, model, variant, key, verdict string
	tags                               []string
	reviews                            int  // num_stage_3_reviews_made (0: field absent)
	passed                             bool // stage_3_reviews_passed
}

// batchFile builds a stage-3 batch file of one topic from records, grouping
// them by task, model and variant in the order given.
func batchFile(topic string, recs []rec) string {
	type variant = map[string]any
	var items []map[string]any
	find := func(task string) map[string]any {
		for _, it := range items {
			if it["T"] == task {
				return it
			}
		}
		it := map[string]any{"A": "sys A", "B": "sys B", "T": task, "inferences": map[string]any{}}
		items = append(items, it)
		return it
	}
	for i, r := range recs {
		inf := find(r.task)["inferences"].(map[string]any)
		m, ok := inf[r.model].(map[string]any)
		if !ok {
			m = map[string]any{}
			inf[r.model] = m
		}
		v, ok := m[r.variant].(variant)
		if !ok {
			v = variant{"S": "answer", "interventions": map[string]any{}, "tags": []string{"variant_tag"}}
			m[r.variant] = v
		}
		o := map[string]any{"P": r.verdict, "I": "i", "R": "r", "stage_3_analysis": fmt.Sprintf("item_1_of_1_in_batch_%d_of_9", i+1)}
		if r.tags != nil {
			o["tags"] = r.tags
		}
		if r.reviews > 0 {
			o["num_stage_3_reviews_made"] = r.reviews
			o["stage_3_reviews_passed"] = r.passed
		}
		v["interventions"].(map[string]any)[r.key] = o
	}
	b, _ := json.Marshal(map[string]any{"topic": topic, "data": items})
	return string(b)
}

func file(path, content string) File {
	return File{Path: path, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(content)), nil }}
}

const sp4 = "split_personality__version_4"

var baseRecs = []rec{
	{"task one", "qwen", "A", sp4, "PASS", []string{"confidence_below_5"}, 1, true},
	{"task one", "qwen", "B", sp4, "FAIL", []string{"confidence_below_5", "training_data_leakage"}, 1, true},
	{"task two", "qwen", "A", sp4, "PASS", nil, 2, true},
	{"task two", "qwen", "B", sp4, "AMBIGUOUS", []string{"unclear_a_b_separation"}, 2, true},
}

// expRecs flips task one B (FAIL → PASS) and task two A (PASS → FAIL),
// keeps the others, drops none and adds a second stage-2 model's record.
var expRecs = []rec{
	{"task one", "qwen", "A", sp4, "PASS", []string{"confidence_below_5"}, 1, true},
	{"task one", "qwen", "B", sp4, "PASS", nil, 3, false},
	{"task two", "qwen", "A", sp4, "FAIL", []string{"confidence_below_4", "confidence_below_5"}, 1, true},
	{"task two", "qwen", "B", sp4, "AMBIGUOUS", []string{"unclear_a_b_separation"}, 1, true},
	{"task two", "llama", "A", sp4, "PASS", nil, 1, true},
}

func side(name string, recs []rec, reviewLog string, train int, cost float64) Side {
	stage3 := batchFile("sycophancy", recs)
	parts := []Partition{
		{ID: "intervene@sycophancy", Kind: "intervene", Usage: map[string]any{"requests": 4, "cost_usd": cost, "input_tokens": 100},
			Files: []File{file("stage_3/sycophancy/batch_1.json", stage3)}},
		{ID: "tag@sycophancy", Kind: "tag", Files: []File{file("stage_3_tagged/sycophancy/batch_1.json", stage3),
			file("reports/tag/sycophancy.json", `{"tags": {"ignored": 99}}`)}},
		{ID: "export", Kind: "export", Files: []File{file("export/summary.json", fmt.Sprintf(`{"samples": {"train": %d, "validation": 1}}`, train))}},
	}
	if reviewLog != "" {
		parts[0].Files = append(parts[0].Files, file("stage_3_reviews/sycophancy_reviews.jsonl", reviewLog))
	}
	return Side{Name: name, Partitions: parts}
}

func TestCompareFlipsAndDeltas(t *testing.T) {
	log := `{"dataset": "sycophancy", "verdict": false}` + "\n" + `{"dataset": "sycophancy", "verdict": true}` + "\n\n" + `{"verdict": true}` + "\n"
	r, err := Compare(side("A", baseRecs, log, 3, 0.5), side("B", expRecs, "", 4, 0.75))
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "intervene" {
		t.Errorf("source: got %q, want intervene", r.Source)
	}
	if r.A.Records != 4 || r.B.Records != 5 {
		t.Errorf("records: got A %d B %d, want 4 and 5", r.A.Records, r.B.Records)
	}
	f := r.Flips
	if got, want := f.Labels, []string{"PASS", "FAIL", "AMBIGUOUS", Absent}; !slices.Equal(got, want) {
		t.Errorf("labels: got %v, want %v", got, want)
	}
	cells := []struct {
		a, b string
		want int
	}{
		{"PASS", "PASS", 1}, {"FAIL", "PASS", 1}, {"PASS", "FAIL", 1}, {"AMBIGUOUS", "AMBIGUOUS", 1},
		{Absent, "PASS", 1}, {"FAIL", "FAIL", 0}, {"PASS", Absent, 0},
	}
	for _, c := range cells {
		if got := f.Count(c.a, c.b); got != c.want {
			t.Errorf("flips[%s][%s]: got %d, want %d", c.a, c.b, got, c.want)
		}
	}
	if f.Matched != 4 || f.Changed != 2 || f.OnlyA != 0 || f.OnlyB != 1 {
		t.Errorf("matched/changed/onlyA/onlyB: got %d/%d/%d/%d, want 4/2/0/1", f.Matched, f.Changed, f.OnlyA, f.OnlyB)
	}
	if len(f.Examples) != 2 || f.Examples[0].Record.Item != "task one" || f.Examples[0].A != "FAIL" || f.Examples[0].B != "PASS" {
		t.Errorf("examples: got %+v, want task one FAIL→PASS first", f.Examples)
	}
	wantTags := map[string][3]int{ // A, B, delta
		"confidence_below_5":     {2, 2, 0},
		"confidence_below_4":     {0, 1, 1},
		"training_data_leakage":  {1, 0, -1},
		"unclear_a_b_separation": {1, 1, 0},
		"variant_tag":            {4, 5, 1}, // variant-level tags count too
	}
	if len(r.Tags) != len(wantTags) {
		t.Errorf("tags: got %+v, want %d tags (the tag report is not a batch file)", r.Tags, len(wantTags))
	}
	for _, d := range r.Tags {
		if w := wantTags[d.Name]; [3]int{d.A, d.B, d.Delta} != w {
			t.Errorf("tag %s: got %d→%d (%+d), want %v", d.Name, d.A, d.B, d.Delta, w)
		}
	}
	if r.A.Export == nil || r.B.Export == nil || r.A.Export.Train != 3 || r.B.Export.Train != 4 || r.B.Export.Validation != 1 {
		t.Errorf("export: got %+v / %+v, want train 3 / 4, validation 1", r.A.Export, r.B.Export)
	}
	// A has a review log (3 reviews, 2 accepted); B only the record fields:
	// its batches made 1+3+1+1+1 reviews, 4 of 5 batches passed.
	if ra := r.A.Reviews; ra == nil || ra.Made != 3 || ra.Accepted != 2 || ra.Source != "stage_3_reviews logs" {
		t.Errorf("A reviews: got %+v, want 3 made, 2 accepted from the logs", ra)
	}
	if rb := r.B.Reviews; rb == nil || rb.Made != 7 || rb.Accepted != 4 || rb.Source != "stage-3 record fields" {
		t.Errorf("B reviews: got %+v, want 7 made, 4 accepted from the records", rb)
	}
	if r.A.Usage.CostUSD != 0.5 || r.B.Usage.CostUSD != 0.75 || r.B.ByNode["intervene"].Requests != 4 {
		t.Errorf("usage: got A %+v, B %+v", r.A.Usage, r.B.ByNode)
	}
}

func TestCompareToleratesMissingOutputs(t *testing.T) {
	a := Side{Name: "A", Unread: []string{"intervene@x: output 0123 is not in the store"}}
	b := side("B", expRecs, "", 1, 0)
	b.Partitions = b.Partitions[:1] // no tag, no export
	r, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != "tag" || r.Flips.OnlyB != 0 || r.B.Records != 0 {
		t.Errorf("got source %q, only-B %d, B records %d; want tag source (A has no intervene output), nothing matched", r.Source, r.Flips.OnlyB, r.B.Records)
	}
	notes := strings.Join(r.Notes, "\n")
	for _, want := range []string{"A: intervene@x: output 0123 is not in the store: not compared",
		"tag counts: no readable tag output on either side", "export size: no readable export output on either side",
		"review acceptance: no stage-3 reviews recorded in A"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes: got\n%s\nwant a line %q", notes, want)
		}
	}
}

func TestDuplicateTasksMatchOneToOne(t *testing.T) {
	recs := []rec{{"same", "m", "A", sp4, "PASS", nil, 0, false}}
	two := batchFile("t", recs)
	rs := newRecords()
	for _, name := range []string{"b1.json", "b2.json"} {
		fs, err := readFacts(file("stage_3/t/"+name, two))
		if err != nil {
			t.Fatal(err)
		}
		rs.add(fs)
	}
	if got := len(rs.order); got != 2 {
		t.Fatalf("records: got %d, want 2 (the repeated task is numbered)", got)
	}
	if rs.order[1].Item != "same #2" {
		t.Errorf("second item: got %q, want %q", rs.order[1].Item, "same #2")
	}
}

func TestDeltasOrder(t *testing.T) {
	got := Deltas(map[string]int{"a": 1, "b": 5, "c": 2}, map[string]int{"a": 1, "b": 2, "d": 4})
	want := []CountDelta{{"d", 0, 4, 4}, {"b", 5, 2, -3}, {"c", 2, 0, -2}, {"a", 1, 1, 0}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestTextAndHTML(t *testing.T) {
	r, err := Compare(side("A", baseRecs, "", 3, 0.5), side("B", expRecs, "", 4, 0.75))
	if err != nil {
		t.Fatal(err)
	}
	d := &Diff{A: "base.yaml", B: "exp.yaml", Data: r}
	var b strings.Builder
	d.WriteText(&b)
	for _, want := range []string{"verdict flips: 2 of 4 matched records changed verdict", "A \\ B", "PASS 2 → 3 (+1), FAIL 1 → 1 (+0), AMBIGUOUS 1 → 1 (+0)",
		"export: train 3 → 4 (+1)", "cost: A $0.5000", "+0.2500 USD"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text: want %q in\n%s", want, b.String())
		}
	}
	html := string(d.Document().HTML())
	for _, want := range []string{SectionTitle, "Verdict flips", "Tag counts", "<svg", "task one"} {
		if !strings.Contains(html, want) {
			t.Errorf("html: want %q", want)
		}
	}
}

func TestSharedFilesReadOnce(t *testing.T) {
	opens := 0
	content := batchFile("t", baseRecs)
	shared := File{Path: "stage_3/t/b.json", Digest: "d1", Open: func() (io.ReadCloser, error) {
		opens++
		return io.NopCloser(strings.NewReader(content)), nil
	}}
	s := func(name string) Side {
		return Side{Name: name, Partitions: []Partition{{ID: "intervene@t", Kind: "intervene", Files: []File{shared}}}}
	}
	r, err := Compare(s("A"), s("B"))
	if err != nil {
		t.Fatal(err)
	}
	if opens != 1 {
		t.Errorf("opens: got %d, want 1 (same digest on both sides)", opens)
	}
	if r.Flips.Matched != 4 || r.Flips.Changed != 0 {
		t.Errorf("matched/changed: got %d/%d, want 4/0", r.Flips.Matched, r.Flips.Changed)
	}
}

// TestDataCost: the cost compared is what each side's responses cost,
// those its sealing runs paid for and those served from the request store
// at the price they were bought at; a lock from before served_cost_usd was
// recorded reads as paid only.
func TestDataCost(t *testing.T) {
	resumed := usageOf(map[string]any{"requests": 115, "cached": 40, "cost_usd": 2.4617, "served_cost_usd": 1.1586})
	whole := usageOf(map[string]any{"requests": 155, "cost_usd": 3.6203})
	if d := resumed.DataCostUSD() - whole.DataCostUSD(); d > 1e-9 || d < -1e-9 {
		t.Errorf("a resumed run's data cost %v, an uninterrupted one's %v: want the same", resumed.DataCostUSD(), whole.DataCostUSD())
	}
	if got, want := usageText(resumed), "$3.6203 (115 requests, 40 cached, $2.4617 of it paid by the runs that sealed them; 0 in / 0 out tokens)"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got, want := usageText(whole), "$3.6203 (155 requests, 0 cached; 0 in / 0 out tokens)"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestDamagedFileIsANote: a file that cannot be read (a damaged store
// object) is left out with a note; the rest of the side is compared.
func TestDamagedFileIsANote(t *testing.T) {
	a := side("A", expRecs, "", 1, 0)
	b := side("B", expRecs, "", 1, 0)
	broken := File{Path: "stage_3/t/broken.json", Open: func() (io.ReadCloser, error) {
		return nil, errors.New("read object ee95f199e76b: corrupt: not found")
	}}
	b.Partitions[0].Files = append(b.Partitions[0].Files, broken)
	r, err := Compare(a, b)
	if err != nil {
		t.Fatalf("Compare: %v, want a report with a note", err)
	}
	if r.B.Records != r.A.Records || r.B.Records == 0 {
		t.Errorf("records: A %d, B %d; want B's readable files compared", r.A.Records, r.B.Records)
	}
	notes := strings.Join(r.Notes, "\n")
	if !strings.Contains(notes, "B: "+b.Partitions[0].ID+": open stage_3/t/broken.json: read object ee95f199e76b: corrupt: not found: not compared") {
		t.Errorf("notes:\n%s\nwant one naming the damaged file", notes)
	}
}
