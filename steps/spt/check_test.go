package spt_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
	"github.com/sptflow/sptflow/steps/spt"
)

// batch returns a stage-3 batch file with one item, one model and one
// record, where the members the caller gives replace the defaults.
func batch(o map[string]string) string {
	get := func(k, def string) string {
		if v, ok := o[k]; ok {
			return v
		}
		return def
	}
	rec := `{"P": ` + get("P", `"PASS"`) + `, "I": "i", "R": "r", "confidence": ` + get("confidence", "5") +
		`, "tags": ` + get("rec.tags", `["x"]`) + `}`
	variant := `{"S": ` + get("S", `"s"`) + `, "output_tokens": ` + get("output_tokens", "10") +
		`, "interventions": ` + get("interventions", `{"split_personality__version_4": `+get("record", rec)+`}`) + `}`
	item := `{"T": ` + get("T", `"t"`) + `, "metadata": ` + get("metadata", `{"intended_review_focus": "honesty"}`) +
		`, "inferences": ` + get("inferences", `{"qwen/qwen3-32b": `+get("model", `{"A": `+get("A", variant)+`}`)+`}`) + `}`
	return `{"topic": ` + get("topic", `"t"`) + `, "data": ` + get("data", `[`+item+`]`) + `}`
}

const recPath = `$.data[0].inferences["qwen/qwen3-32b"].A.interventions["split_personality__version_4"]`

// malformed lists documents with one member of the wrong type and the
// error each must give: the JSON path, the kinds allowed, the value found.
var malformed = []struct {
	name string
	doc  map[string]string
	want string
}{
	{"P number", map[string]string{"P": "1"}, recPath + `.P: want a string or null, got number 1`},
	{"P object", map[string]string{"P": `{"v": "PASS"}`}, recPath + `.P: want a string or null, got object {"v": "PASS"}`},
	{"S number", map[string]string{"S": "12345"}, `$.data[0].inferences["qwen/qwen3-32b"].A.S: want a string or null, got number 12345`},
	{"data object", map[string]string{"data": `{"x": 1}`}, `$.data: want an array or null, got object {"x": 1}`},
	{"item string", map[string]string{"data": `["item"]`}, `$.data[0]: want an object, got string "item"`},
	{"topic number", map[string]string{"topic": "7"}, `$.topic: want a string or null, got number 7`},
	{"T array", map[string]string{"T": `["a", "b"]`}, `$.data[0].T: want a string or null, got array ["a", "b"]`},
	{"metadata string", map[string]string{"metadata": `"m"`}, `$.data[0].metadata: want an object or null, got string "m"`},
	{"inferences array", map[string]string{"inferences": `[]`}, `$.data[0].inferences: want an object or null, got array []`},
	{"model string", map[string]string{"model": `"m"`}, `$.data[0].inferences["qwen/qwen3-32b"]: want an object, got string "m"`},
	{"variant array", map[string]string{"A": `[1]`}, `$.data[0].inferences["qwen/qwen3-32b"].A: want an object, got array [1]`},
	{"output_tokens string", map[string]string{"output_tokens": `"10"`}, `$.data[0].inferences["qwen/qwen3-32b"].A.output_tokens: want a number or a boolean, got string "10"`},
	{"interventions null", map[string]string{"interventions": `null`}, `$.data[0].inferences["qwen/qwen3-32b"].A.interventions: want an object, got null`},
	{"record number", map[string]string{"record": `3`}, recPath + `: want an object, got number 3`},
	{"confidence string", map[string]string{"confidence": `"high"`}, recPath + `.confidence: want a number or a boolean or null, got string "high"`},
	{"tag number", map[string]string{"rec.tags": `["a", 2]`}, recPath + `.tags[1]: want a string, got number 2`},
	{"tags string", map[string]string{"rec.tags": `"a"`}, recPath + `.tags: want an array or null, got string "a"`},
	{"long value cut", map[string]string{"P": `{"verdict": "PASS", "because": "a long explanation of it"}`},
		recPath + `.P: want a string or null, got object {"verdict": "PASS", "because": "a long e...`},
}

func TestCheckBatch(t *testing.T) {
	for _, tt := range malformed {
		t.Run(tt.name, func(t *testing.T) {
			_, err := spt.ReadBatch([]byte(batch(tt.doc)))
			var pe *pyjson.PathError
			if !errors.As(err, &pe) || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestCheckBatchAccepts(t *testing.T) {
	for name, doc := range map[string]map[string]string{
		"defaults":             nil,
		"nulls where allowed":  {"P": "null", "S": "null", "T": "null", "metadata": "null", "confidence": "null", "rec.tags": "null", "topic": "null"},
		"no data":              {"data": "null"},
		"no inferences":        {"inferences": "null"},
		"booleans as numbers":  {"output_tokens": "true", "confidence": "false"},
		"numbers beyond float": {"output_tokens": "1e999", "confidence": "NaN"},
	} {
		if _, err := spt.ReadBatch([]byte(batch(doc))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestTagsScanner: spt.Tags, the scanners' reader of tag lists, reports
// the same paths and values as CheckBatch.
func TestTagsScanner(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		tags     []string
	}{
		{`["a", "b"]`, "", []string{"a", "b"}},
		{`null`, "", nil},
		{`["a", 2]`, `$[1]: want a string, got number 2`, nil},
		{`{"a": 1}`, `want an array or null, got object {"a": 1}`, nil},
	} {
		s := scan.New([]byte(tt.in))
		got, err := spt.Tags(s)
		if tt.want != "" {
			if err == nil || err.Error() != tt.want {
				t.Errorf("Tags(%s): got error %v, want %s", tt.in, err, tt.want)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != strings.Join(tt.tags, ",") || s.End() != nil {
			t.Errorf("Tags(%s): got %q, %v", tt.in, got, err)
		}
	}
}
