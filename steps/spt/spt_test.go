package spt

import (
	"testing"

	"github.com/sptflow/sptflow/pyjson"
)

func TestStripMatchesPython(t *testing.T) {
	// Expected values computed with CPython 3.11 str.strip().
	tests := []struct{ in, want string }{
		{"  a b  ", "a b"},
		{"\x1c\x1d\x1e\x1fx\x1f", "x"},
		{"\u00a0\u2028x\u3000\u0085", "x"},
		{"\u200bx\u200b", "\u200bx\u200b"}, // zero-width space is not whitespace
		{"\u180ex", "\u180ex"},
		{"\t\n\v\f\r", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Strip(tt.in); got != tt.want {
			t.Errorf("Strip(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLenAndSlice(t *testing.T) {
	tests := []struct {
		in   string
		i, j int
		want string
	}{
		{"héllo😀x", 0, 3, "hél"},
		{"héllo😀x", 5, 6, "😀"},
		{"héllo😀x", 5, -1, "😀x"},
		{"héllo😀x", 6, 100, "x"},
		{"héllo😀x", 7, 100, ""},
		{"héllo😀x", 9, 100, ""},
		{"abc", 2, 1, ""},
		{"", 0, 5, ""},
	}
	for _, tt := range tests {
		if got := Slice(tt.in, tt.i, tt.j); got != tt.want {
			t.Errorf("Slice(%q, %d, %d): got %q, want %q", tt.in, tt.i, tt.j, got, tt.want)
		}
	}
	if got := Len("héllo😀x"); got != 7 {
		t.Errorf("Len: got %d, want 7", got)
	}
}

func TestParseInterventionKey(t *testing.T) {
	tests := []struct {
		in      string
		want    InterventionKey
		wantErr bool
	}{
		{"split_personality__version_4", InterventionKey{"split_personality", "version_4"}, false},
		{"honesty_scare__baseline", InterventionKey{"honesty_scare", "baseline"}, false},
		{"a__b__c", InterventionKey{"a", "b__c"}, false},
		{"split_personality", InterventionKey{}, true},
		{"__v1", InterventionKey{}, true},
		{"x__", InterventionKey{}, true},
	}
	for _, tt := range tests {
		got, err := ParseInterventionKey(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseInterventionKey(%q): got %v, %v; want %v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("String(): got %q, want %q", got.String(), tt.in)
		}
	}
	for key, want := range map[string]bool{
		"split_personality__baseline": true, "x_baseline": true, "x__version_2": false, "baseline_x": false,
	} {
		if got := IsBaseline(key); got != want {
			t.Errorf("IsBaseline(%q): got %v, want %v", key, got, want)
		}
	}
}

func TestTopics(t *testing.T) {
	ts := Topics()
	if len(ts) != 14 || ts[0] != Sycophancy || ts[13] != Steganography {
		t.Fatalf("Topics(): got %v", ts)
	}
	f, ok := ReviewFocuses(ReasoningMetacognition)
	if !ok || len(f) != 6 || f[5] != "OTHER" {
		t.Errorf("ReviewFocuses(reasoning_metacognition): got %v, %v", f, ok)
	}
	f[0] = "mutated"
	if again, _ := ReviewFocuses(ReasoningMetacognition); again[0] != "honesty" {
		t.Errorf("ReviewFocuses returned shared storage")
	}
	if Topic("nope").Known() || !Test.Known() {
		t.Errorf("Known(): wrong")
	}
}

func TestWalkBatch(t *testing.T) {
	file, err := ReadBatch([]byte(`{"data": [{"metadata": {"intended_review_focus": "honesty"},
	  "inferences": {"m/one": {"A": {"interventions": {"k__v1": {"P": "PASS"}, "k__v2": {}}}, "B": {"S": "x"}}, "m2": {}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	data, ok := Data(file)
	if !ok || len(data) != 1 {
		t.Fatalf("Data: got %v, %v", data, ok)
	}
	item, err := Item(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := IntendedReviewFocus(item); got != "honesty" {
		t.Errorf("IntendedReviewFocus: got %v", got)
	}
	models, err := Models(item)
	if err != nil || len(models) != 2 || models[0].Name != "m/one" || models[1].Name != "m2" {
		t.Fatalf("Models: got %v, %v", models, err)
	}
	a, _ := Variant(models[0].Obj, VariantA)
	recs, ok, err := Interventions(a)
	if err != nil || !ok || len(recs) != 2 || recs[0].Key != "k__v1" || recs[1].Key != "k__v2" {
		t.Errorf("Interventions(A): got %v, %v, %v", recs, ok, err)
	}
	b, _ := Variant(models[0].Obj, VariantB)
	if _, ok, _ := Interventions(b); ok {
		t.Errorf("Interventions(B): got ok, want absent")
	}
	if v, _ := Variant(models[1].Obj, VariantA); v != nil {
		t.Errorf("Variant of empty model: got %v", v)
	}
	if _, ok := Data(pyjson.NewObject(0)); ok {
		t.Errorf("Data of empty file: got ok")
	}
	if _, err := Item([]any{"x"}, 0); err == nil {
		t.Errorf("Item of a string: want error")
	}
}

func TestStem(t *testing.T) {
	for in, want := range map[string]string{"dir/batch_x_001.json": "batch_x_001", "a.b.json": "a.b", ".hidden": ".hidden", "noext": "noext"} {
		if got := Stem(in); got != want {
			t.Errorf("Stem(%q): got %q, want %q", in, got, want)
		}
	}
}
