package evalreport

import (
	"strings"
	"testing"
)

// TestDedupe: of repeated evaluations the latest run is kept (the others
// dropped, or counted with countAll); duplicate sets come out in one order
// whatever the order of the runs, also when two sets differ only in what
// their Key leaves out (the LoRA patch).
func TestDedupe(t *testing.T) {
	run := func(file, ts string, lora bool) *Run {
		return &Run{File: file, Timestamp: ts, Checkpoint: "ck", LoraPatch: lora, Elicitation: "hp",
			Condition: "trained_actual", Intervention: "direct"}
	}
	orders := [][]*Run{
		{run("a1", "1", false), run("a2", "2", false), run("b1", "1", true), run("b2", "3", true), run("c", "1", false)},
		{run("b2", "3", true), run("c", "1", false), run("b1", "1", true), run("a2", "2", false), run("a1", "1", false)},
	}
	for _, runs := range orders {
		for _, r := range runs {
			if r.File == "c" {
				r.Intervention = "other" // c stands alone
			}
		}
		for _, countAll := range []bool{false, true} {
			kept, dups := dedupe(runs, countAll)
			var gotKept []string
			for _, r := range kept {
				gotKept = append(gotKept, r.File)
			}
			var gotDups []string
			for _, d := range dups {
				gotDups = append(gotDups, d.Kept+"<"+strings.Join(d.Others, ","))
				if d.Counted != countAll {
					t.Errorf("%s: Counted: got %v, want %v", d.Kept, d.Counted, countAll)
				}
			}
			if got, want := strings.Join(gotDups, " "), "a2<a1 b2<b1"; got != want {
				t.Errorf("countAll=%v, first run %s: duplicates: got %s, want %s", countAll, runs[0].File, got, want)
			}
			var wantKept []string // input order, without the older duplicates
			for _, r := range runs {
				if countAll || (r.File != "a1" && r.File != "b1") {
					wantKept = append(wantKept, r.File)
				}
			}
			if got, want := strings.Join(gotKept, ","), strings.Join(wantKept, ","); got != want {
				t.Errorf("countAll=%v: kept: got %s, want %s", countAll, got, want)
			}
		}
	}
}
