package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
)

// TestMalformedInput: a tagged file with a field of the wrong JSON type or
// invalid UTF-8 fails the export with the file and the JSON path (or byte
// offset), and nothing is written; lone surrogates reach the training files
// as the escapes Python writes.
func TestMalformedInput(t *testing.T) {
	for _, tt := range []struct {
		name, old, new string
		wantErr        string // "" for success
		wantOut        string // in train.jsonl
	}{
		{"P number", `"P": "FAIL", "tags": []}}, "tags": []}}}}]}`, `"P": 1, "tags": []}}, "tags": []}}}}]}`,
			`batch_0.json: $.data[0].inferences["m1"].A.interventions["split_personality__version_3"].P: want a string or null, got number 1`, ""},
		{"S number", `"S": "RS"`, `"S": 12345`, `batch_0.json: $.data[0].inferences["m1"].A.S: want a string or null, got number 12345`, ""},
		{"data object", `{"data": [`, `{"data": {"x": [`, `batch_0.json: $.data: want an array or null, got object {"x": [{"A": "RA", "T": "RT", "inference...`, ""},
		{"tag number", `"tags": []}}, "tags": []}}}}]}`, `"tags": [3]}}, "tags": []}}}}]}`,
			`$.data[0].inferences["m1"].A.interventions["split_personality__version_3"].tags[0]: want a string, got number 3`, ""},
		{"invalid UTF-8", `"RT"`, "\"R\xc0T\"", `batch_0.json: offset %d: invalid UTF-8 (byte 0xc0)`, ""},
		{"lone surrogate", `"RS"`, `"R\udbffS"`, "", `"response": "R\udbffS"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(rewardBatch, tt.old, tt.new, 1)
			if bad == rewardBatch {
				t.Fatal("the fixture does not contain", tt.old)
			}
			if tt.name == "data object" {
				bad = strings.TrimSuffix(bad, "}") + "}}"
			}
			want := tt.wantErr
			if strings.Contains(want, "%d") {
				want = fmt.Sprintf(want, strings.IndexByte(bad, 0xc0))
			}
			up := engine.Upstream{ID: "tag", Node: "tag", Kind: "tag", Files: []engine.OutputFile{
				enginetest.MemFile("stage_3_tagged/reward_hacks/batch_0.json", []byte(bad)),
				enginetest.MemFile("stage_3_tagged/sycophancy/batch_1.json", []byte(sycophancyBatch)),
			}}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "cfg.json"), []byte(testConfig("")), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := enginetest.Run(context.Background(), New(), enginetest.Spec(Kind, dir, map[string]any{"config": "cfg.json"}), up)
			if want != "" {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("got error %v\nwant one containing %s", err, want)
				}
				if res != nil && len(res.Out.Files) != 0 {
					t.Errorf("wrote %v, want nothing", res.Out.Paths())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out := string(res.Out.Files["export/train.jsonl"]); !strings.Contains(out, tt.wantOut) {
				t.Errorf("train.jsonl lacks %s\n%s", tt.wantOut, out)
			}
		})
	}
}
