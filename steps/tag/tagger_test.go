package tag

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// file builds a batch file with one item; irf is the item's
// intended_review_focus JSON (or "" for none) and models the JSON of its
// inferences members.
func file(irf string, models ...string) string {
	meta := `{}`
	if irf != "" {
		meta = `{"intended_review_focus": ` + irf + `}`
	}
	return `{"batch_id": "b", "data": [{"T": "t", "metadata": ` + meta + `, "inferences": {` + strings.Join(models, ", ") + `}}], "x": 1}`
}

// model returns `"name": {"A": {...}, "B": {...}}` where a and b are the
// interventions objects ("" leaves the variant out, "-" keeps it without an
// interventions key).
func model(name, a, b string) string {
	var parts []string
	for _, v := range []struct{ n, ivs string }{{"A", a}, {"B", b}} {
		switch v.ivs {
		case "":
		case "-":
			parts = append(parts, `"`+v.n+`": {"S": "s"}`)
		default:
			parts = append(parts, `"`+v.n+`": {"S": "s", "interventions": `+v.ivs+`}`)
		}
	}
	return `"` + name + `": {` + strings.Join(parts, ", ") + `}`
}

// one returns an interventions object with a single record.
func one(fields string) string { return `{"hs__v1": {` + fields + `}}` }

func tagged(t *testing.T, src string) (*pyjson.Object, *File) {
	t.Helper()
	doc, err := pyjson.ParseObject([]byte(src))
	if err != nil {
		t.Fatalf("fixture: %v\n%s", err, src)
	}
	f, err := TagFile(doc, "batch_t_001")
	if err != nil {
		t.Fatalf("TagFile: %v", err)
	}
	return doc, f
}

func variantOf(t *testing.T, doc *pyjson.Object, model, v string) *pyjson.Object {
	t.Helper()
	data, _ := spt.Data(doc)
	item, _ := spt.Item(data, 0)
	return item.Obj("inferences").Obj(model).Obj(v)
}

func recordOf(t *testing.T, doc *pyjson.Object, model, v, key string) *pyjson.Object {
	t.Helper()
	return variantOf(t, doc, model, v).Obj("interventions").Obj(key)
}

func strs(o *pyjson.Object, key string) []string {
	out := []string{}
	for _, v := range o.Arr(key) {
		out = append(out, v.(string))
	}
	return out
}

func TestInterventionRules(t *testing.T) {
	tests := []struct {
		name   string
		irf    string
		fields string
		want   []string
	}{
		{"confidence 5", "", `"confidence": 5`, nil},
		{"confidence 4.5", "", `"confidence": 4.5`, []string{ConfidenceBelow5}},
		{"confidence 4", "", `"confidence": 4`, []string{ConfidenceBelow5}},
		{"confidence 3", "", `"confidence": 3`, []string{ConfidenceBelow5, ConfidenceBelow4}},
		{"confidence 2", "", `"confidence": 2`, []string{ConfidenceBelow5, ConfidenceBelow4, ConfidenceBelow3}},
		{"confidence 1", "", `"confidence": 1`, []string{ConfidenceBelow5, ConfidenceBelow4, ConfidenceBelow3, ConfidenceBelow2}},
		{"confidence null", "", `"confidence": null`, nil},
		{"confidence missing", "", `"P": "PASS"`, nil},
		{"faulty true", "", `"faulty_data": true`, []string{DataIsFaulty}},
		{"faulty false", "", `"faulty_data": false`, nil},
		{"faulty 0", "", `"faulty_data": 0`, nil},
		{"focus substring selected in intended", `"sycophancy,honesty"`, `"selected_review_focus": "honesty"`, nil},
		{"focus substring intended in selected", `"honesty"`, `"selected_review_focus": "honesty, clarity"`, nil},
		{"focus mismatch", `"sycophancy"`, `"selected_review_focus": "honesty"`, []string{MismatchingReviewFocus}},
		{"focus case-sensitive", `"Honesty"`, `"selected_review_focus": "honesty"`, []string{MismatchingReviewFocus}},
		{"focus intended empty", `""`, `"selected_review_focus": "honesty"`, nil},
		{"focus intended missing", "", `"selected_review_focus": "honesty"`, nil},
		{"focus selected empty", `"honesty"`, `"selected_review_focus": ""`, nil},
		{"difficulty easy/easy", "", `"detection_difficulty_internal": "easy", "detection_difficulty_external": "easy"`,
			[]string{EasyExternal, EasyInternal}},
		{"difficulty easier externally", "", `"detection_difficulty_internal": "hard", "detection_difficulty_external": "medium"`,
			[]string{MediumExternal, HardInternal, EasierExternally}},
		{"difficulty harder externally", "", `"detection_difficulty_internal": "easy", "detection_difficulty_external": "hard"`,
			[]string{HardExternal, EasyInternal}},
		{"difficulty NA", "", `"detection_difficulty_internal": "hard", "detection_difficulty_external": "NA"`,
			[]string{HardInternal}},
		{"difficulty unknown", "", `"detection_difficulty_internal": "Hard", "detection_difficulty_external": "easy"`,
			[]string{EasyExternal}},
		{"leak a prompt in I", "", `"I": "Consider a prompt.", "R": "fine"`, []string{TrainingDataLeakage}},
		{"leak hyphenated", "", `"I": "<split-personality-token> honesty-scare", "R": "fine"`, nil},
		{"leak L2 only in I", "", `"I": "under review", "R": "fine"`, nil},
		{"leak L2 in R", "", `"I": "x", "R": "My selected review focus"`, []string{TrainingDataLeakage}},
		{"leak NBSP", "", `"R": "split\u00a0personality"`, []string{TrainingDataLeakage}},
		{"leak non-ASCII boundary", "", `"R": "réstage 2 and stage 2é"`, nil},
		{"review failed", "", `"stage_3_reviews_passed": false`, []string{FailedExternalReview}},
		{"review passed", "", `"stage_3_reviews_passed": true`, nil},
		{"review null", "", `"stage_3_reviews_passed": null`, nil},
		{"review 0", "", `"stage_3_reviews_passed": 0`, nil},
		{"error record", `"honesty"`, `"selected_review_focus": "N/A", "I": "[ERROR: Generation failed]", "R": "[ERROR: Generation failed]",
			"P": "ERROR", "confidence": 0, "detection_difficulty_internal": "NA", "detection_difficulty_external": "NA",
			"faulty_data": true, "stage_3_reviews_passed": false`,
			[]string{ConfidenceBelow5, ConfidenceBelow4, ConfidenceBelow3, ConfidenceBelow2, DataIsFaulty,
				MismatchingReviewFocus, FailedExternalReview}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _ := tagged(t, file(tt.irf, model("m", one(tt.fields), "")))
			got := strs(recordOf(t, doc, "m", "A", "hs__v1"), "tags")
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTokenLimit(t *testing.T) {
	for _, tc := range []struct {
		tokens string
		want   bool
	}{{`"output_tokens": 2047,`, false}, {`"output_tokens": 2048,`, true}, {`"output_tokens": 4000,`, true}, {``, false}} {
		src := `{"data": [{"inferences": {"m": {"A": {` + tc.tokens + ` "interventions": {}}, "B": {"interventions": {}}}}}]}`
		doc, f := tagged(t, src)
		got := slices.Contains(strs(variantOf(t, doc, "m", "A"), "tags"), GenerationExceededLimit)
		if got != tc.want {
			t.Errorf("%q: got tagged=%v, want %v", tc.tokens, got, tc.want)
		}
		if n := f.Stats.Tags[GenerationExceededLimit]; (n == 1) != tc.want {
			t.Errorf("%q: count %d", tc.tokens, n)
		}
	}
}

func TestDropVariantsWithoutInterventions(t *testing.T) {
	doc, f := tagged(t, file("", model("m/x", "-", "-"), model("k", one(`"P": "PASS"`), "-")))
	data, _ := spt.Data(doc)
	item, _ := spt.Item(data, 0)
	if got := item.Obj("inferences").Obj("m/x"); got == nil || got.Len() != 0 {
		t.Errorf("model with both variants dropped: got %v, want {}", got)
	}
	if got, want := f.Stats.DroppedVariants, map[string]int{"m/x": 2, "k": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dropped: got %v, want %v", got, want)
	}
	a := variantOf(t, doc, "k", "A")
	if got := strs(a, "tags"); !slices.Equal(got, []string{NoABSeparation}) {
		t.Errorf("A tags: got %v, want [no_a_b_separation]", got)
	}
	if got := strs(recordOf(t, doc, "k", "A", "hs__v1"), "tags"); len(got) != 0 {
		t.Errorf("no_a_b_separation propagated to interventions: %v", got)
	}
	if f.Stats.Tags[NoABSeparation] != 1 {
		t.Errorf("no_a_b_separation count: got %d, want 1", f.Stats.Tags[NoABSeparation])
	}
}

// verdicts returns an interventions object with one record per P value
// (keys k0__v, k1__v, ...; "-" omits P).
func verdictsJSON(ps ...string) string {
	var parts []string
	for i, p := range ps {
		body := `"P": "` + p + `"`
		if p == "-" {
			body = `"confidence": 5`
		}
		parts = append(parts, fmt.Sprintf(`"k%d__v": {%s}`, i, body))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func TestDisagreementAndConsensus(t *testing.T) {
	tests := []struct {
		name       string
		a, b       []string
		wantA      []string // variant A tags
		wantB      []string
		wantRecA   []string // tags of A's first record
		aOnly      bool
		wantCounts map[string]int
	}{
		{name: "agree pass/fail", a: []string{"PASS", "PASS"}, b: []string{"FAIL"},
			wantA: []string{}, wantB: []string{}, wantRecA: []string{}, wantCounts: map[string]int{}},
		{name: "disagree once", a: []string{"PASS", "FAIL", "PASS"}, b: []string{"FAIL"},
			wantA: []string{DisagreeOnce}, wantB: []string{}, wantRecA: []string{DisagreeOnce},
			wantCounts: map[string]int{DisagreeOnce: 1}},
		{name: "disagree twice", a: []string{"PASS", "FAIL", "PASS", "FAIL", "FAIL"}, b: []string{"PASS"},
			wantA: []string{DisagreeOnce, DisagreeTwice, AFailsButBPasses}, wantB: []string{AFailsButBPasses},
			wantRecA:   []string{DisagreeOnce, DisagreeTwice, AFailsButBPasses},
			wantCounts: map[string]int{DisagreeOnce: 1, DisagreeTwice: 1, AFailsButBPasses: 1}},
		{name: "ambiguous and error count as neither", a: []string{"PASS", "AMBIGUOUS", "ERROR"}, b: []string{"FAIL", "AMBIGUOUS"},
			wantA: []string{}, wantB: []string{}, wantRecA: []string{}, wantCounts: map[string]int{}},
		{name: "unclear A", a: []string{"PASS", "FAIL"}, b: []string{"FAIL"},
			wantA: []string{DisagreeOnce, MissingConsensusOnA}, wantB: []string{MissingConsensusOnA},
			wantRecA:   []string{DisagreeOnce, MissingConsensusOnA},
			wantCounts: map[string]int{DisagreeOnce: 1, MissingConsensusOnA: 1}},
		{name: "both unclear", a: []string{"AMBIGUOUS"}, b: []string{"-"},
			wantA:      []string{MissingConsensusOnA, MissingConsensusOnB, UnclearABSeparation},
			wantB:      []string{MissingConsensusOnA, MissingConsensusOnB, UnclearABSeparation},
			wantRecA:   []string{MissingConsensusOnA, MissingConsensusOnB, UnclearABSeparation},
			wantCounts: map[string]int{MissingConsensusOnA: 1, MissingConsensusOnB: 1, UnclearABSeparation: 1}},
		{name: "same verdict", a: []string{"PASS"}, b: []string{"PASS", "FAIL", "PASS"},
			wantA: []string{UnclearABSeparation}, wantB: []string{DisagreeOnce, UnclearABSeparation},
			wantRecA: []string{UnclearABSeparation}, wantCounts: map[string]int{DisagreeOnce: 1, UnclearABSeparation: 1}},
		{name: "A fails, B passes", a: []string{"FAIL"}, b: []string{"PASS"},
			wantA: []string{AFailsButBPasses}, wantB: []string{AFailsButBPasses}, wantRecA: []string{AFailsButBPasses},
			wantCounts: map[string]int{AFailsButBPasses: 1}},
		{name: "no B", a: []string{"PASS", "FAIL"}, aOnly: true,
			wantA: []string{DisagreeOnce, NoABSeparation}, wantRecA: []string{DisagreeOnce},
			wantCounts: map[string]int{DisagreeOnce: 1, NoABSeparation: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ""
			if !tt.aOnly {
				b = verdictsJSON(tt.b...)
			}
			doc, f := tagged(t, file("", model("m", verdictsJSON(tt.a...), b)))
			if got := strs(variantOf(t, doc, "m", "A"), "tags"); !slices.Equal(got, tt.wantA) {
				t.Errorf("A tags: got %v, want %v", got, tt.wantA)
			}
			if !tt.aOnly {
				if got := strs(variantOf(t, doc, "m", "B"), "tags"); !slices.Equal(got, tt.wantB) {
					t.Errorf("B tags: got %v, want %v", got, tt.wantB)
				}
			}
			if got := strs(recordOf(t, doc, "m", "A", "k0__v"), "tags"); !slices.Equal(got, tt.wantRecA) {
				t.Errorf("A record tags: got %v, want %v", got, tt.wantRecA)
			}
			if got := fmt.Sprint(f.Stats.Tags); got != fmt.Sprint(tt.wantCounts) {
				t.Errorf("counts: got %v, want %v", got, tt.wantCounts)
			}
		})
	}
}

func TestBaselinesRemovedAndNotCounted(t *testing.T) {
	a := `{"sp__baseline": {"P": "FAIL"}, "sp__v1": {"P": "PASS", "confidence": 5}, "hs__baseline": {"P": "FAIL"}}`
	b := `{"sp__baseline": {"P": "PASS"}, "sp__v1": {"P": "FAIL"}}`
	doc, f := tagged(t, file("", model("m", a, b)))
	if got := variantOf(t, doc, "m", "A").Obj("interventions").Keys(); !slices.Equal(got, []string{"sp__v1"}) {
		t.Errorf("A interventions: got %v, want [sp__v1]", got)
	}
	if f.Stats.BaselinesRemoved != 3 {
		t.Errorf("baselines removed: got %d, want 3", f.Stats.BaselinesRemoved)
	}
	if got := strs(variantOf(t, doc, "m", "A"), "tags"); !slices.Equal(got, []string{}) {
		t.Errorf("A tags (baseline FAIL must not count): got %v, want []", got)
	}
	if len(f.IDs) != 2 {
		t.Errorf("ids: got %v, want 2 (baselines get none)", f.IDs)
	}
}

func TestBaselineOnlyVariantsAreUnclear(t *testing.T) {
	doc, _ := tagged(t, file("", model("m", `{"sp__baseline": {"P": "PASS"}}`, `{"sp__baseline": {"P": "FAIL"}}`)))
	want := []string{MissingConsensusOnA, MissingConsensusOnB, UnclearABSeparation}
	if got := strs(variantOf(t, doc, "m", "B"), "tags"); !slices.Equal(got, want) {
		t.Errorf("B tags: got %v, want %v", got, want)
	}
}

func TestRetaggingRecomputesTags(t *testing.T) {
	a := `{"k0__v": {"P": "PASS", "tags": ["stale", "intervention_tags_disagree_once"], "id_numeric": 9, "id_string": "old", "z": 1}, "k1__v": {"P": "FAIL"}}`
	src := file("", model("m", a, verdictsJSON("FAIL")))
	doc, _ := tagged(t, src)
	rec := recordOf(t, doc, "m", "A", "k0__v")
	if got, want := strs(rec, "tags"), []string{DisagreeOnce, MissingConsensusOnA}; !slices.Equal(got, want) {
		t.Errorf("record tags: got %v, want %v", got, want)
	}
	if got, want := rec.Keys(), []string{"P", "tags", "id_numeric", "id_string", "z"}; !slices.Equal(got, want) {
		t.Errorf("record keys: got %v, want %v (existing keys keep their place)", got, want)
	}
	once, _ := pyjson.Marshal(doc, pyjson.Tagged)
	again, err := pyjson.ParseObject(once)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TagFile(again, "batch_t_001"); err != nil {
		t.Fatal(err)
	}
	twice, _ := pyjson.Marshal(again, pyjson.Tagged)
	if string(once) != string(twice) {
		t.Errorf("tagging tagged output changed it:\n%s\n%s", once, twice)
	}
}

func TestIDsAndKeyOrder(t *testing.T) {
	a := `{"sp__v1": {"P": "PASS", "zz": 1}, "sp__baseline": {}, "hs__v1": {"P": "PASS"}}`
	doc, f := tagged(t, file("", model("org/m-1", a, verdictsJSON("FAIL"))))
	rec := recordOf(t, doc, "org/m-1", "A", "sp__v1")
	if got, want := rec.Keys(), []string{"P", "zz", "tags", "id_numeric", "id_string"}; !slices.Equal(got, want) {
		t.Errorf("record keys: got %v, want %v", got, want)
	}
	wantIDs := []string{
		"batch_t_001__idx0__org_m-1_A__sp__v1",
		"batch_t_001__idx0__org_m-1_A__hs__v1",
		"batch_t_001__idx0__org_m-1_B__k0__v",
	}
	if !slices.Equal(f.IDs, wantIDs) {
		t.Errorf("ids: got %v, want %v", f.IDs, wantIDs)
	}
	f.Number(41)
	if n, _ := recordOf(t, doc, "org/m-1", "B", "k0__v").Num("id_numeric"); n != "43" {
		t.Errorf("id_numeric after Number(41): got %s, want 43", n)
	}
	v := variantOf(t, doc, "org/m-1", "A")
	if got, want := v.Keys(), []string{"S", "interventions", "tags"}; !slices.Equal(got, want) {
		t.Errorf("variant keys: got %v, want %v", got, want)
	}
	if got, _ := pyjson.Marshal(doc, pyjson.Line); !strings.HasSuffix(string(got), `, "x": 1}`) {
		t.Errorf("file-level keys changed: %s", got)
	}
}

func TestTagFileErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"confidence string", file("", model("m", one(`"confidence": "high"`), "")), "confidence is a string"},
		{"variant not object", `{"data": [{"inferences": {"m": {"A": 3}}}]}`, "variant A"},
		{"item not object", `{"data": [1]}`, "data[0]"},
	}
	for _, tt := range tests {
		doc, err := pyjson.ParseObject([]byte(tt.src))
		if err != nil {
			t.Fatal(err)
		}
		_, err = TagFile(doc, "f")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestFileWithoutDataUnchanged(t *testing.T) {
	src := `{"b": [1, 2], "data": {"not": "a list"}, "é": "x"}`
	doc, f := tagged(t, src)
	if f.Stats.FilesWithoutData != 1 || f.Stats.Items != 0 {
		t.Errorf("stats: got %+v", f.Stats)
	}
	got, _ := pyjson.Marshal(doc, pyjson.Line)
	if string(got) != `{"b": [1, 2], "data": {"not": "a list"}, "é": "x"}` {
		t.Errorf("got %s", got)
	}
}

// memSources returns sources for name → JSON text.
func memSources(files map[string]string) []Source {
	var srcs []Source
	for name, text := range files {
		srcs = append(srcs, Source{Name: name, Read: func() ([]byte, error) { return []byte(text), nil }})
	}
	return srcs
}

type memSink struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (m *memSink) write(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[name] = data
	return nil
}

func TestPartitionNumbersInSortedFileOrder(t *testing.T) {
	files := map[string]string{}
	for i := range 7 {
		files[fmt.Sprintf("batch_t_%03d.json", 7-i)] = file("", model("m", verdictsJSON("PASS", "FAIL"), verdictsJSON("PASS")))
	}
	files["notes.json"] = `{"no": "data"}`
	var outputs []map[string][]byte
	for _, workers := range []int{1, 3} {
		sink := &memSink{files: map[string][]byte{}}
		r, err := Partition(context.Background(), "t", memSources(files), NewLimiter(workers), BytesSink(sink.write))
		if err != nil {
			t.Fatal(err)
		}
		if r.Files != 8 || r.FilesWithoutData != 1 || r.Items != 7 || r.IDs != 21 || r.UniqueIDs != 21 || r.FirstID != 1 || r.LastID != 21 {
			t.Errorf("workers=%d: report %+v", workers, r)
		}
		outputs = append(outputs, sink.files)
	}
	if fmt.Sprint(outputs[0]) != fmt.Sprint(outputs[1]) {
		t.Errorf("output depends on the number of workers")
	}
	for i := 1; i <= 7; i++ {
		doc, _ := pyjson.ParseObject(outputs[0][fmt.Sprintf("batch_t_%03d.json", i)])
		rec := recordOf(t, doc, "m", "A", "k0__v")
		if n, _ := rec.Num("id_numeric"); n != pyjson.Int(int64(3*(i-1)+1)) {
			t.Errorf("file %d: first id_numeric %s, want %d", i, n, 3*(i-1)+1)
		}
	}
	if got := string(outputs[0]["notes.json"]); got != "{\n  \"no\": \"data\"\n}" {
		t.Errorf("file without data: got %q", got)
	}
}

func TestPartitionRejectsDuplicateIDs(t *testing.T) {
	files := map[string]string{
		"batch_t_001.json": file("", model("org/m", verdictsJSON("PASS"), ""), model("org_m", verdictsJSON("PASS"), "")),
	}
	_, err := Partition(context.Background(), "t", memSources(files), NewLimiter(2), BytesSink((&memSink{files: map[string][]byte{}}).write))
	if err == nil || !strings.Contains(err.Error(), "duplicate ID detected: batch_t_001__idx0__org_m_A__k0__v") {
		t.Errorf("got %v, want a duplicate ID error", err)
	}
}

func TestPartitionStopsOnBadFile(t *testing.T) {
	files := map[string]string{"a.json": `{"data": [`, "b.json": file("", model("m", verdictsJSON("PASS"), ""))}
	_, err := Partition(context.Background(), "t", memSources(files), NewLimiter(2), BytesSink((&memSink{files: map[string][]byte{}}).write))
	if err == nil || !strings.Contains(err.Error(), "a.json") {
		t.Errorf("got %v, want an error naming a.json", err)
	}
}

// TestPartitionsShareALimiter runs many partitions at once on one slot:
// slots are taken in file order, so they cannot deadlock.
func TestPartitionsShareALimiter(t *testing.T) {
	lim := NewLimiter(1)
	files := map[string]string{}
	for i := range 5 {
		files[fmt.Sprintf("batch_%d.json", i)] = file("", model("m", verdictsJSON("PASS"), ""))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for p := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := Partition(context.Background(), fmt.Sprint(p), memSources(files), lim, BytesSink((&memSink{files: map[string][]byte{}}).write))
			if err == nil && r.IDs != 5 {
				err = fmt.Errorf("partition %d: %d ids, want 5", p, r.IDs)
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

func TestPartitionCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	files := map[string]string{"a.json": `{}`, "b.json": `{}`, "c.json": `{}`}
	lim := NewLimiter(1)
	lim <- struct{}{} // the only slot is busy: the dispatcher sees the cancellation
	_, err := Partition(ctx, "t", memSources(files), lim, BytesSink((&memSink{files: map[string][]byte{}}).write))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
