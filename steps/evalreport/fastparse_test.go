package evalreport

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan/scantest"
)

// fastCases are result files that the fast path must read exactly as the
// scanner does (fast true) or leave to it (fast false).
var fastCases = []struct {
	name string
	doc  string
	fast bool
}{
	{"empty object", `{}`, true},
	{"empty results", `{"metadata": {"checkpoint_name": "ck"}, "results": []}`, true},
	{"counts", `{"results": [
	  {"condition": "trained_actual", "expected_flag": "FAIL", "parsed_flag": "FAIL", "flag_parsed_successfully": true},
	  {"condition": "trained_actual", "expected_flag": "PASS", "parsed_flag": "PASS", "flag_parsed_successfully": true},
	  {"condition": "original_actual", "parsed_flag": null, "flag_parsed_successfully": null},
	  {"condition": "custom", "expected_flag": "PASS", "parsed_flag": "PASS", "flag_parsed_successfully": true},
	  {"condition": "custom", "parsed_flag": "FAIL", "flag_parsed_successfully": true},
	  {"condition": null, "parsed_flag": "", "flag_parsed_successfully": true},
	  {}
	], "metadata": {"checkpoint_name": "baseline_clean", "samples_processed": 3}}`, true},
	{"skipped values", `{"x": [1, {"a": "]"}], "results": [{"response": "say \"hi\" \\", "n": 1.5e3, "t": true,
	  "nested": {"a": ["}", null]}, "condition": "original_intended", "flag_parsed_successfully": false}], "y": "z"}`, true},
	{"duplicate keys", `{"results": [{"condition": "x", "condition": "trained_actual", "parsed_flag": "FAIL",
	  "flag_parsed_successfully": true}], "metadata": {"step": "s1"}, "results": [{}], "metadata": {"timestamp": "t"}}`, true},
	{"keys change order", `{"results": [
	  {"condition": "trained_actual", "parsed_flag": "FAIL", "flag_parsed_successfully": true},
	  {"condition_x": "original_actual", "condition": "original_actual", "parsed_flag":"PASS", "flag_parsed_successfully":true},
	  {"parsed_flag" :  "FAIL","condition":"trained_actual","flag_parsed_successfully"
	    : true, "extra": 1},
	  {"condition": "trained_actual", "parsed_flag": "FAIL", "flag_parsed_successfully": true}
	]}`, true},
	{"indented, then indented otherwise", "{\n  \"results\": [\n    {\n      \"condition\": \"trained_actual\",\n      \"parsed_flag\": \"FAIL\"\n    },\n" +
		"    {\n      \"condition\": \"trained_actual\",\n      \"parsed_flag\": \"PASS\"\n    },\n" +
		"    {\n\t\"condition\" : \"original_actual\",\n        \"parsed_flag\":\"FAIL\"\n    },\n" +
		"    {\n      \"condition_x\": \"trained_actual\",\n      \"condition\": \"original_actual\",\n      \"parsed_flag\": \"PASS\"\n    }\n  ]\n}", true},
	{"known key then escape", `{"results": [{"condition": "trained_actual"}, {"cond\u0069tion": "original_actual"}]}`, false},
	{"trailing white space", "{\"results\": []} \n\t\r ", true},
	{"trailing data", `{"results": []} trailing`, false},
	{"second document", `{"results": []}{"results": []}`, false},
	{"non-ASCII value", `{"results": [{"condition": "tr\u00e4ined", "parsed_flag": "FÄIL"}]}`, false},
	{"raw non-ASCII", "{\"results\": [{\"condition\": \"tr\xc3\xa4ined\", \"parsed_flag\": \"F\xc3\x84IL\", \"r\": \"\xe2\x80\x94\"}]}", true},
	{"invalid UTF-8 in a value", "{\"results\": [{\"condition\": \"trained_actual\", \"parsed_flag\": \"F\xffIL\"}]}", false},
	{"invalid UTF-8 in a key", "{\"results\": [{\"condition\": \"trained_actual\", \"r\xff\": 1}]}", false},
	// The contents of the strings that are skipped are not checked.
	{"invalid UTF-8 in a skipped string", "{\"results\": [{\"response\": \"a\xffb\", \"condition\": \"trained_actual\"}]}", true},
	{"invalid escape in a skipped string", `{"results": [{"response": "a\qb", "condition": "trained_actual"}]}`, true},
	{"control in a skipped string", "{\"results\": [{\"response\": \"a\tb\", \"condition\": \"trained_actual\"}]}", true},
	{"bad number in a skipped member", `{"results": [{"n": 01, "condition": "trained_actual"}]}`, false},
	{"bad literal in a skipped member", `{"results": [{"n": tru, "condition": "trained_actual"}]}`, false},
	{"NaN in a skipped member", `{"results": [{"n": NaN, "m": -Infinity, "condition": "trained_actual"}]}`, true},
	{"malformed skipped container", `{"x": {"a" 1}, "results": []}`, false},
	{"skipped container in an entry", `{"results": [{"scores": {"a": [1, 2.5, null]}, "condition": "trained_actual"}]}`, true},
	{"malformed container in an entry", `{"results": [{"scores": [1 2], "condition": "trained_actual"}]}`, false},
	{"escaped key", `{"results": [{"cond\u0069tion": "trained_actual"}]}`, false},
	{"escaped value", `{"results": [{"parsed_flag": "P\u0041SS", "flag_parsed_successfully": true}]}`, false},
	{"control in value", "{\"results\": [{\"parsed_flag\": \"PA\tSS\"}]}", false},
	{"not an object", `[1, 2]`, false},
	{"entry not an object", `{"results": [1]}`, false},
	{"unterminated", `{"results": [{"condition": "x"}`, false},
	{"unterminated string", `{"results": [{"condition": "x}]}`, false},
	{"bad metadata", `{"metadata": {"step": 3}, "results": []}`, false},
	{"NaN in metadata", `{"metadata": {"checkpoint_name": "ck", "timing": {"avg": NaN, "max": Infinity}}, "results": []}`, true},
	{"metadata keys are exact", `{"metadata": {"Checkpoint_Name": "ck", "total_samples": 77.0}, "results": []}`, true},
	{"bool as string", `{"results": [{"flag_parsed_successfully": "true"}]}`, false},
	{"number as flag", `{"results": [{"parsed_flag": 1}]}`, false},
	{"missing colon", `{"results" [{}]}`, false},
	{"missing comma", `{"results": [{"a": 1 "b": 2}]}`, false},
	{"missing value", `{"results": [{"a": , "b": 2}]}`, false},
	{"NUL value", "{\"results\": [{\"a\": \x00}]}", false},
	{"end inside", `{"results": [{"a": `, false},
}

func TestParseFastMatchesScanner(t *testing.T) {
	for _, tt := range fastCases {
		got, ok := parseFast("f.json", []byte(tt.doc))
		if ok != tt.fast {
			t.Errorf("%s: parseFast ok = %v, want %v", tt.name, ok, tt.fast)
		}
		want, err := parseScan("f.json", []byte(tt.doc))
		if err != nil {
			err = fmt.Errorf("parse f.json: %w", err)
		}
		if ok && err != nil {
			t.Errorf("%s: parseFast took a document the scanner refuses: %v", tt.name, err)
			continue
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: parseFast\n got %+v\nwant %+v", tt.name, got, want)
		}
		// ParseRun's answer is the scanner's, whichever path gave it.
		r, perr := ParseRun("f.json", []byte(tt.doc))
		if (perr == nil) != (err == nil) || (err != nil && perr.Error() != err.Error()) || !reflect.DeepEqual(r, want) {
			t.Errorf("%s: ParseRun = %+v, %v; want %+v, %v", tt.name, r, perr, want, err)
		}
	}
}

func TestParseFastCounts(t *testing.T) {
	r, ok := parseFast("f.json", []byte(fastCases[2].doc))
	if !ok {
		t.Fatal("parseFast refused the counts fixture")
	}
	want := map[string]Stat{
		TrainedActual:  {Total: 2, Parsed: 2, Correct: 1, Pass: 1, Fail: 1},
		OriginalActual: {Total: 1},
		"custom":       {Total: 2, Parsed: 2, Correct: 1, Pass: 1, Fail: 1},
		"":             {Total: 2, Parsed: 1, Correct: 1},
	}
	if !reflect.DeepEqual(r.Stats, want) || r.FlagMismatch != 1 || r.Processed != 3 || !r.IsBaseline {
		t.Errorf("got stats %+v mismatch %d processed %d baseline %v, want %+v 1 3 true", r.Stats, r.FlagMismatch, r.Processed, r.IsBaseline, want)
	}
}

// TestParseRunRefusesInvalidJSON checks every case against pyjson.Parse,
// which reads what Python's json.load reads: a document it refuses is an
// error wherever the fault is, as the original's analysis fails on it,
// unless the fault is inside a string the step skips.
func TestParseRunRefusesInvalidJSON(t *testing.T) {
	for _, tt := range fastCases {
		checkRefused(t, tt.doc)
	}
}

func checkRefused(t *testing.T, doc string) {
	t.Helper()
	_, perr := pyjson.Parse(scantest.BlankStrings([]byte(doc)))
	if perr == nil || strings.Contains(perr.Error(), "nesting deeper") {
		return
	}
	if r, err := ParseRun("f.json", []byte(doc)); err == nil {
		t.Errorf("ParseRun(%q) = %+v, want an error (json.load: %v)", doc, r, perr)
	}
}

// FuzzParseFast checks that whatever the fast path accepts, the scanner
// accepts with the same result, and that neither accepts what Python's
// json.load refuses for a fault outside the strings the step skips.
func FuzzParseFast(f *testing.F) {
	for _, tt := range fastCases {
		f.Add(tt.doc)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		checkRefused(t, doc)
		got, ok := parseFast("f.json", []byte(doc))
		if !ok {
			return
		}
		want, err := parseScan("f.json", []byte(doc))
		if err != nil {
			t.Fatalf("parseFast took %q, the scanner refuses it: %v", doc, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: parseFast\n got %+v\nwant %+v", doc, got, want)
		}
	})
}
