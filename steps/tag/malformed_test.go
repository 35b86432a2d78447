package tag_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/steps/tag"
)

// TestMalformedInput: a batch file with a field of the wrong JSON type or
// invalid UTF-8 fails the partition with the file, the JSON path (or byte
// offset) and the value, and nothing is written; lone surrogates and
// numbers beyond float64 are written back as Python's json writes them.
func TestMalformedInput(t *testing.T) {
	const bP = `$.data[0].inferences["org/model"].B.interventions["sp__version_4"]`
	for _, tt := range []struct {
		name, old, new string
		wantErr        string // "" for success
		wantOut        []string
	}{
		{"P number", `"P": "PASS"`, `"P": 1`,
			"tag source/sycophancy/batch_1.json: " + bP + ".P: want a string or null, got number 1", nil},
		{"S number", `"B": {"output_tokens": 2048,`, `"B": {"S": 12345, "output_tokens": 2048,`,
			`source/sycophancy/batch_1.json: $.data[0].inferences["org/model"].B.S: want a string or null, got number 12345`, nil},
		{"data object", `"data": [`, `"data": {"x": [`, // and the closing bracket below
			`source/sycophancy/batch_1.json: $.data: want an array or null, got object {"x": [{"T": "caf\u00e9", "metadata": {"...`, nil},
		{"output_tokens string", `"output_tokens": 10`, `"output_tokens": "10"`,
			`$.data[0].inferences["org/model"].A.output_tokens: want a number or a boolean, got string "10"`, nil},
		{"invalid UTF-8", `"caf\u00e9"`, "\"caf\xe9\"",
			`source/sycophancy/batch_1.json: parse batch file: json: invalid UTF-8 (byte 0xe9) at offset %d`, nil},
		{"lone surrogates", `"caf\u00e9"`, `"caf\ud800 \udfff"`, "", []string{`"T": "caf\ud800 \udfff"`}},
		{"numbers beyond float64", `"confidence": 5,`, `"confidence": 5, "t": 1e999, "u": -1e999, "v": NaN, "w": 123456789012345678901234567890, "x": 1E5,`, "",
			[]string{`"t": Infinity,`, `"u": -Infinity,`, `"v": NaN,`, `"w": 123456789012345678901234567890,`, `"x": 100000.0,`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(stage3, tt.old, tt.new, 1)
			if tt.name == "data object" {
				doc = strings.TrimSuffix(doc, "\n}") + "}\n}"
			}
			if doc == stage3 {
				t.Fatal("the fixture does not contain", tt.old)
			}
			up := engine.Upstream{ID: "load@sycophancy", Node: "load", Kind: "load", Files: []engine.OutputFile{
				enginetest.MemFile("source/sycophancy/batch_1.json", []byte(doc)),
			}}
			res, err := enginetest.Run(context.Background(), tag.New(), enginetest.Spec("tag", t.TempDir(), nil, topic("sycophancy")), up)
			if strings.Contains(tt.wantErr, "%d") {
				tt.wantErr = fmt.Sprintf(tt.wantErr, strings.IndexByte(doc, 0xe9))
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v\nwant one containing %s", err, tt.wantErr)
				}
				if res != nil && len(res.Out.Files) != 0 {
					t.Errorf("wrote %v, want nothing", res.Out.Paths())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out := string(res.Out.Files["stage_3_tagged/sycophancy/batch_1.json"])
			for _, want := range tt.wantOut {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %s\n%s", want, out)
				}
			}
		})
	}
}
