package llmstep_test

import (
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
)

// TestReadBatchFilesMalformed: the stage-1/2 reader of infer and intervene
// rejects a field of the wrong JSON type with the file and the JSON path,
// and invalid UTF-8 with its offset.
func TestReadBatchFilesMalformed(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{`{"data": [{"A": "a", "T": 5}]}`, `stage_1/t/batch_1.json: $.data[0].T: want a string or null, got number 5`},
		{`{"data": [{"A": "a", "T": "t", "inferences": {"m": {"A": {"S": ["x"]}}}}]}`,
			`stage_1/t/batch_1.json: $.data[0].inferences["m"].A.S: want a string or null, got array ["x"]`},
		{`{"data": {"A": "a"}}`, `stage_1/t/batch_1.json: $.data: want an array or null, got object {"A": "a"}`},
		{"{\"data\": [{\"T\": \"\xc3\"}]}", `stage_1/t/batch_1.json: parse batch file: json: invalid UTF-8 (byte 0xc3) at offset 17`},
	} {
		up := engine.Upstream{ID: "generate@t", Files: []engine.OutputFile{enginetest.MemFile("stage_1/t/batch_1.json", []byte(tt.doc))}}
		_, err := llmstep.ReadBatchFiles([]engine.Upstream{up})
		if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("%s:\ngot  %v\nwant ...%s", tt.doc, err, tt.want)
		}
	}
}
