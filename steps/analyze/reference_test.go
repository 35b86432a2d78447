package analyze

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/internal/refdata"
)

// refDir returns $SPT_REFERENCE_DATA/stage_3_tagged or skips the test.
func refDir(t testing.TB) string {
	return filepath.Join(refdata.Dir(t, "stage_3_tagged"), "stage_3_tagged")
}

// expectedTotals recomputes the totals with encoding/json and plain loops,
// independently of the step's scanner.
type expectedTotals struct {
	Records    int
	Verdicts   map[string]int
	Variants   map[string]int
	Confidence map[string]int
	At2048     int
}

func computeExpected(t *testing.T, dir string) expectedTotals {
	e := expectedTotals{Verdicts: map[string]int{}, Variants: map[string]int{}, Confidence: map[string]int{}}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var batch struct {
			Topic string `json:"topic"`
			Data  []struct {
				Inferences map[string]map[string]struct {
					OutputTokens  float64 `json:"output_tokens"`
					Interventions map[string]struct {
						P          string   `json:"P"`
						Confidence *float64 `json:"confidence"`
					} `json:"interventions"`
				} `json:"inferences"`
			} `json:"data"`
		}
		if err := json.Unmarshal(data, &batch); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if batch.Topic == "TEST" {
			continue
		}
		for _, item := range batch.Data {
			for _, variants := range item.Inferences {
				for name, v := range variants {
					if name != "A" && name != "B" {
						continue
					}
					for _, r := range v.Interventions {
						e.Records++
						e.Verdicts[r.P]++
						e.Variants[name]++
						if r.Confidence != nil {
							e.Confidence[strconv.FormatFloat(*r.Confidence, 'f', -1, 64)]++
						}
						if v.OutputTokens == 2048 {
							e.At2048++
						}
					}
				}
			}
		}
	}
	return e
}

func TestReferenceTotals(t *testing.T) {
	dir := refDir(t)
	want := computeExpected(t, dir)
	up := enginetest.DirUpstream(t, "tag", "tag", dir, "stage_3_tagged", "*.json")
	res, err := enginetest.Run(context.Background(), New(), enginetest.Spec(Kind, t.TempDir(), nil), up)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		SummaryStats struct {
			TotalSamples  int            `json:"total_samples"`
			VerdictCounts map[string]int `json:"verdict_counts"`
			VariantCounts map[string]int `json:"variant_counts"`
			Confidence    map[string]int `json:"confidence_distribution"`
			Tokens        struct {
				At2048       int `json:"samples_at_2048_tokens"`
				Distribution struct {
					At2048 int `json:"count_at_2048"`
				} `json:"distribution"`
			} `json:"token_analysis"`
		} `json:"summary_stats"`
	}
	if err := json.Unmarshal(res.Out.Files["stage_3_analysis/summary_report.json"], &got); err != nil {
		t.Fatal(err)
	}
	s := got.SummaryStats
	if s.TotalSamples != want.Records {
		t.Errorf("total_samples: got %d, want %d", s.TotalSamples, want.Records)
	}
	for _, c := range []struct {
		name      string
		got, want map[string]int
	}{{"verdict_counts", s.VerdictCounts, want.Verdicts}, {"variant_counts", s.VariantCounts, want.Variants}, {"confidence_distribution", s.Confidence, want.Confidence}} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if s.Tokens.At2048 != want.At2048 || s.Tokens.Distribution.At2048 != want.At2048 {
		t.Errorf("records at 2048 tokens: got %d (distribution %d), want %d", s.Tokens.At2048, s.Tokens.Distribution.At2048, want.At2048)
	}
	t.Logf("records %d, verdicts %v, variants %v, confidence %v, at 2048: %d", want.Records, want.Verdicts, want.Variants, want.Confidence, want.At2048)
}
