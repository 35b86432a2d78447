package analyze

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/pyjson/scan"
)

// readRecord reads the record at the start of data as the interventions
// loop does: fastInterv, then parseInterv when it gives up (always, when
// slow). fast reports whether fastInterv read it. The parser has read
// taggerRecord(nil) and data before (its caches hold their tokens), and
// the first read of data must give the same.
func readRecord(t testing.TB, data []byte, slow bool) (r rawInterv, off int, err error, fast bool) {
	t.Helper()
	p := &parser{}
	if _, err := p.parseFile([]byte(`{}`)); err != nil { // sets the parser up
		t.Fatal(err)
	}
	p.slow = slow
	read := func(data []byte) (r rawInterv, off int, err error, fast bool) {
		*p.s = *scan.New(data)
		r = rawInterv{key: "k"}
		if p.fastInterv(&r) {
			return r, p.s.Offset(), nil, true
		}
		err = p.parseInterv(&r)
		return r, p.s.Offset(), err, false
	}
	read(taggerRecord(nil))
	r0, off0, err0, _ := read(data)
	p.f.tags = nil // the first read's tags stay as they are
	r, off, err, fast = read(data)
	if fmt.Sprint(err0) != fmt.Sprint(err) || err == nil && (!reflect.DeepEqual(r0, r) || off0 != off) {
		t.Fatalf("%q: read twice (slow %v): %#v, %d, %v then %#v, %d, %v", data, slow, r0, off0, err0, r, off, err)
	}
	return r, off, err, fast
}

// checkSameRecord fails unless data reads the same with and without
// fastInterv: the same record, offset after it and error.
func checkSameRecord(t testing.TB, data []byte) (fast bool) {
	t.Helper()
	got, gotOff, gotErr, fast := readRecord(t, data, false)
	want, wantOff, wantErr, _ := readRecord(t, data, true)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%q: error %v, want %v", data, gotErr, wantErr)
	}
	if wantErr != nil {
		return fast
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n got %#v\nwant %#v", data, got, want)
	}
	if gotOff != wantOff {
		t.Fatalf("%q: offset %d after the record, want %d", data, gotOff, wantOff)
	}
	return fast
}

// taggerRecord is a record as the tagger writes it (indent 16), with
// members replaced or added by edit.
func taggerRecord(edit func(string) string) []byte {
	rec := `{
                "thought_process": "Sample 1 \"quoted\" text\\",
                "intervention_type": "honesty_scare",
                "selected_review_focus": "honesty",
                "confidence": 4,
                "I": "CRITICAL AUDIT: \u2013 text",
                "R": "The response \\\" demonstrates",
                "P": "PASS",
                "detection_difficulty_internal": "easy",
                "detection_difficulty_external": "medium",
                "faulty_data": false,
                "batch_thinking": "Looking at the samples:\n\nSample 1",
                "stage_3_analysis": "item_1_of_12_in_batch_1_of_8",
                "generation_time": 1756886035.798537,
                "model_used": "claude-sonnet-4-20250514",
                "tags": [
                  "confidence_below_5",
                  "easy_detection_difficulty_external"
                ],
                "id_numeric": 141458,
                "id_string": "batch_x__idx0__m_A__honesty_scare__version_3"
              },
              "next": {}`
	if edit != nil {
		rec = edit(rec)
	}
	return []byte(rec)
}

func replace(old, new string) func(string) string {
	return func(s string) string { return strings.Replace(s, old, new, 1) }
}

func TestFastIntervSameAsParseInterv(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		fast bool // fastInterv reads it (else it gives up)
	}{
		{"tagger layout", nil, true},
		{"empty tags", replace("[\n                  \"confidence_below_5\",\n                  \"easy_detection_difficulty_external\"\n                ]", "[]"), true},
		{"members missing", replace("\"batch_thinking\": \"Looking at the samples:\\n\\nSample 1\",\n                ", ""), true},
		{"no tags member", replace("\"tags\": [\n                  \"confidence_below_5\",\n                  \"easy_detection_difficulty_external\"\n                ],\n                ", ""), true},
		{"confidence null", replace(`"confidence": 4`, `"confidence": null`), true},
		{"P null", replace(`"P": "PASS"`, `"P": null`), true},
		{"P escaped", replace(`"P": "PASS"`, `"P": "P\u0041SS"`), true},
		{"P bad escape", replace(`"P": "PASS"`, `"P": "P\xSS"`), false},
		{"P a number", replace(`"P": "PASS"`, `"P": 3`), false},
		{"P a number seen before", replace(`"P": "PASS"`, `"P": 4`), false},
		{"P a token seen as a key", replace(`"P": "PASS"`, `"P": "P"`), true},
		{"confidence seen as a string", replace(`"confidence": 4`, `"confidence": "PASS"`), false},
		{"confidence 4x", replace(`"confidence": 4`, `"confidence": 4x`), false},
		{"confidence 4.0", replace(`"confidence": 4`, `"confidence": 4.0`), true},
		{"confidence bool", replace(`"confidence": 4`, `"confidence": true`), true},
		{"confidence a string", replace(`"confidence": 4`, `"confidence": "4"`), false},
		{"I null", replace(`"I": "CRITICAL AUDIT: \u2013 text"`, `"I": null`), false},
		{"I a number", replace(`"I": "CRITICAL AUDIT: \u2013 text"`, `"I": 7`), false},
		{"tag a number", replace(`"confidence_below_5",`, `5,`), false},
		{"tags null", replace("[\n                  \"confidence_below_5\",\n                  \"easy_detection_difficulty_external\"\n                ]", "null"), false},
		{"key escaped", replace(`"P": "PASS"`, `"\u0050": "PASS"`), false},
		{"key twice", replace(`"P": "PASS",`, `"P": "PASS", "P": "FAIL",`), false},
		{"key twice on lines", replace("\"P\": \"PASS\",\n", "\"P\": \"PASS\",\n                \"P\": \"FAIL\",\n"), false},
		{"keys out of order", replace(`"confidence": 4,
                "I"`, `"I": "x",
                "confidence": 4,
                "I"`), false},
		{"unknown key", replace(`"faulty_data": false`, `"error": "generation_failed"`), false},
		{"tab", replace("\n                \"P\"", "\n\t\"P\""), false},
		{"compact", func(string) string {
			return `{"thought_process": "x", "intervention_type": "a", "P": "PASS", "tags": ["t"]}`
		}, false},
		{"empty", func(string) string { return `{}` }, false},
		{"not an object", func(string) string { return `[1]` }, false},
		{"container skipped", replace(`"faulty_data": false`, `"faulty_data": {"a": [1, "]"]}`), false},
		{"literal skipped", replace(`"faulty_data": false`, `"faulty_data": fals`), true},
		{"missing comma", replace("\"P\": \"PASS\",\n", "\"P\": \"PASS\"\n"), false},
		{"unterminated", func(s string) string { return s[:strings.Index(s, `"R": "The`)+9] }, false},
		{"cut after a member", func(s string) string { return s[:strings.Index(s, `"P": "PASS",`)+12] }, false},
		{"cut in the close", func(s string) string { return s[:strings.Index(s, "\n              }")+3] }, false},
		{"other indentation", func(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := taggerRecord(tt.edit)
			if fast := checkSameRecord(t, data); fast != tt.fast {
				t.Errorf("fastInterv read it: %v, want %v", fast, tt.fast)
			}
		})
	}
}

// TestFastIntervReference: the published files read the same with and
// without fastInterv.
func TestFastIntervReference(t *testing.T) {
	names, data, _ := refFiles(t)
	fast, slow := &parser{}, &parser{slow: true}
	for i, d := range data {
		got, err := fast.parseFile(d)
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		want, err := slow.parseFile(d)
		if err != nil {
			t.Fatalf("%s: %v", names[i], err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the parse with fastInterv differs", names[i])
		}
	}
}

func FuzzFastInterv(f *testing.F) {
	f.Add(taggerRecord(nil))
	f.Add(taggerRecord(replace("[\n                  \"confidence_below_5\",\n                  \"easy_detection_difficulty_external\"\n                ]", "[]")))
	f.Add(taggerRecord(replace(`"P": "PASS"`, `"P": null`)))
	f.Add(taggerRecord(replace(`"faulty_data": false`, `"error": "generation_failed"`)))
	f.Add([]byte("{\n  \"P\": \"x\",\n  \"tags\": [\n    \"a\"\n  ]\n}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSameRecord(t, data)
	})
}

// taggerDoc is a batch file as the tagger writes it whose one response
// has two interventions, each rec (a record at indent 16, as from
// taggerRecord, without what follows it), edited by edit.
func taggerDoc(rec string, edit func(string) string) []byte {
	doc := `{
  "batch_id": "b1",
  "topic": "t",
  "data": [
    {
      "T": "prompt",
      "metadata": {
        "difficulty": "easy"
      },
      "inferences": {
        "m/x": {
          "A": {
            "S": "resp",
            "output_tokens": 12,
            "interventions": {
              "honesty_scare__version_2": REC,
              "split_personality__version_2": REC
            },
            "tags": [
              "t1"
            ]
          }
        }
      }
    }
  ]
}
`
	doc = strings.ReplaceAll(doc, "REC", rec)
	if edit != nil {
		doc = edit(doc)
	}
	return []byte(doc)
}

// taggerRec is taggerRecord(edit) up to the end of the record.
func taggerRec(edit func(string) string) string {
	r := string(taggerRecord(edit))
	if i := strings.Index(r, "\n              }"); i >= 0 {
		return r[:i+len("\n              }")]
	}
	return r
}

// checkSameFile fails unless data parses the same with and without the
// fast paths (a second parse with the same parser, its caches warm,
// too).
func checkSameFile(t testing.TB, data []byte) {
	t.Helper()
	parse := func(slow bool) (first, second string) {
		p := &parser{slow: slow}
		f, err := p.parseFile(data)
		first = fmt.Sprintf("%#v %v", f, err)
		f, err = p.parseFile(data)
		return first, fmt.Sprintf("%#v %v", f, err)
	}
	got1, got2 := parse(false)
	want, want2 := parse(true)
	if want != want2 {
		t.Fatalf("%q: the slow parser reads it differently the second time", data)
	}
	if got1 != want || got2 != want {
		t.Fatalf("%q:\n got %s\n then %s\nwant %s", data, got1, got2, want)
	}
}

func TestFastParseSameAsSlow(t *testing.T) {
	tests := []struct {
		name string
		doc  []byte
	}{
		{"tagger layout", taggerDoc(taggerRec(nil), nil)},
		{"a record unusual", taggerDoc(taggerRec(replace(`"faulty_data": false`, `"error": "generation_failed"`)), nil)},
		{"a record wrong", taggerDoc(taggerRec(replace(`"P": "PASS"`, `"P": 3`)), nil)},
		{"name escaped", taggerDoc(taggerRec(nil), replace(`"honesty_scare__version_2"`, `"honesty_scare__version_\u0032"`))},
		{"name with a tab", taggerDoc(taggerRec(nil), replace(`"honesty_scare__version_2"`, "\"honesty\tscare\""))},
		{"names twice", taggerDoc(taggerRec(nil), replace(`"split_personality__version_2"`, `"honesty_scare__version_2"`))},
		{"name compact", taggerDoc(taggerRec(nil), replace(`"split_personality__version_2": {`, `"split_personality__version_2":{`))},
		{"names indented apart", taggerDoc(taggerRec(nil), replace(`              "split_personality__version_2"`, `                "split_personality__version_2"`))},
		{"interventions empty", taggerDoc(taggerRec(nil), func(s string) string {
			i, j := strings.Index(s, `"interventions": {`), strings.Index(s, `"tags": [`)
			return s[:i] + `"interventions": {},` + "\n            " + s[j:]
		})},
		{"interventions null", taggerDoc(taggerRec(nil), func(s string) string {
			i, j := strings.Index(s, `"interventions": {`), strings.Index(s, `"tags": [`)
			return s[:i] + `"interventions": null,` + "\n            " + s[j:]
		})},
		{"interventions cut", taggerDoc(taggerRec(nil), func(s string) string { return s[:strings.Index(s, `"split_personality`)] })},
		{"missing comma", taggerDoc(taggerRec(nil), replace("},\n              \"split", "}\n              \"split"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkSameFile(t, tt.doc) })
	}
}

func FuzzFastParse(f *testing.F) {
	f.Add(taggerDoc(taggerRec(nil), nil))
	f.Add(taggerDoc(taggerRec(replace(`"faulty_data": false`, `"error": "generation_failed"`)), nil))
	f.Add(taggerDoc(taggerRec(replace("[\n                  \"confidence_below_5\",\n                  \"easy_detection_difficulty_external\"\n                ]", "[]")), nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSameFile(t, data)
	})
}
