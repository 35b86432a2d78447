package analyze

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestMalformedInput: a tagged file with a field of the wrong JSON type or
// invalid UTF-8 is an "Error processing" sanity failure naming the file and
// the JSON path (or byte offset), left out of the figures, and an error with
// fail_on_sanity_errors; the other files are analysed.
func TestMalformedInput(t *testing.T) {
	good := batchFile("t", "t_20250101_000000_batch_001", fItem{T: "a", intended: "honesty", diff: "easy", models: []fModel{pair("m", "PASS", "FAIL", 5, 4)}})
	const bSP = `$.data[0].inferences["m"].B.interventions["split_personality__version_4"]`
	for _, tt := range []struct {
		name, old, new string
		want           string
	}{
		{"P number", `"P": "FAIL"`, `"P": 1`, bSP + `.P: want a string or null, got number 1`},
		{"S number", `"S": "response text"`, `"S": 12345`, `$.data[0].inferences["m"].A.S: want a string or null, got number 12345`},
		{"data object", `"data": [`, `"data": {"x": [`, `$.data: want an array or null, got object {"x": [ { "T": "a", "metadata": { "align...`},
		{"confidence string", `"confidence": 4`, `"confidence": "4"`, bSP + `.confidence: want a number or a boolean or null, got string "4"`},
		{"tag number", `"tags": []`, `"tags": [7]`, `$.data[0].inferences["m"].A.interventions["split_personality__version_4"].tags[0]: want a string, got number 7`},
		{"model array", `"m": {`, `"m": [{`, `$.data[0].inferences["m"]: want an object, got array [{ "A": { "S": "response text", "output_...`},
		{"invalid UTF-8", `"T": "a"`, "\"T\": \"a\xff\"", "offset %d: invalid UTF-8 (byte 0xff)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := bytes.Replace(good, []byte(tt.old), []byte(tt.new), 1)
			if bytes.Equal(bad, good) {
				t.Fatal("the fixture does not contain", tt.old)
			}
			if tt.name == "data object" || tt.name == "model array" {
				bad = fixBrackets(bad, tt.name)
			}
			want := tt.want
			if strings.Contains(want, "%d") {
				want = fmt.Sprintf(want, bytes.IndexByte(bad, 0xff))
			}
			files := []upFile{{"s/t/good.json", good}, {"s/t/bad.json", bad}}
			res, err := runStep(t, nil, files...)
			if err != nil {
				t.Fatal(err)
			}
			sum := summary(t, res)
			wantFailures := []any{"Error processing s/t/bad.json: " + want}
			if got := sum["sanity_check_failures"]; !reflect.DeepEqual(got, wantFailures) {
				t.Errorf("sanity_check_failures:\ngot  %q\nwant %q", got, wantFailures)
			}
			if got := get(sum["summary_stats"], "total_samples"); got != 4.0 {
				t.Errorf("total_samples: got %v, want 4 (the good file's only)", got)
			}
			_, err = runStep(t, map[string]any{"fail_on_sanity_errors": true}, files...)
			if err == nil || !strings.Contains(err.Error(), "processing s/t/bad.json: "+want) {
				t.Errorf("fail_on_sanity_errors: got %v", err)
			}
		})
	}
}

// fixBrackets closes the container the "data object" and "model array"
// cases open in place of another.
func fixBrackets(b []byte, name string) []byte {
	s := string(b)
	switch name {
	case "data object":
		i := strings.LastIndex(s, "]")
		s = s[:i+1] + "}" + s[i+1:]
	case "model array":
		// the model object ends before the closing of "inferences"
		i := strings.Index(s, "\n      }\n    }\n  ]")
		s = s[:i] + "]" + s[i:]
	}
	return []byte(s)
}
