package tag

import (
	"fmt"
	"slices"
	"testing"
)

// TestConsensusOverVersions: consensus and disagreement pool every
// intervention version of a variant (spec §8), so records written side by
// side by an intervene node with several versions decide together. Each case
// would come out differently from one version alone.
func TestConsensusOverVersions(t *testing.T) {
	rec := func(key, p string) string { return fmt.Sprintf(`"%s": {"P": %q}`, key, p) }
	ivs := func(recs ...string) string {
		out := "{"
		for i, r := range recs {
			if i > 0 {
				out += ", "
			}
			out += r
		}
		return out + "}"
	}
	tests := []struct {
		name         string
		a, b         string
		wantA, wantB []string
	}{
		// version_4 alone: A is unclear (1 PASS, 1 FAIL); with version_3's
		// FAIL, A's consensus is FAIL and B's PASS.
		{"a later version settles the consensus",
			ivs(rec("honesty_scare__version_3", "FAIL"), rec("split_personality__version_3", "FAIL"),
				rec("honesty_scare__version_4", "PASS"), rec("split_personality__version_4", "FAIL")),
			ivs(rec("honesty_scare__version_3", "PASS"), rec("split_personality__version_3", "PASS"),
				rec("honesty_scare__version_4", "PASS"), rec("split_personality__version_4", "PASS")),
			[]string{DisagreeOnce, AFailsButBPasses}, []string{AFailsButBPasses}},
		// Each version agrees with itself; across versions A disagrees twice.
		{"versions that disagree",
			ivs(rec("honesty_scare__version_3", "PASS"), rec("split_personality__version_3", "PASS"),
				rec("honesty_scare__version_4", "FAIL"), rec("split_personality__version_4", "FAIL")),
			ivs(rec("honesty_scare__version_3", "FAIL"), rec("split_personality__version_3", "FAIL"),
				rec("honesty_scare__version_4", "FAIL"), rec("split_personality__version_4", "FAIL")),
			[]string{DisagreeOnce, DisagreeTwice, MissingConsensusOnA}, []string{MissingConsensusOnA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _ := tagged(t, file("", model("m", tt.a, tt.b)))
			if got := strs(variantOf(t, doc, "m", "A"), "tags"); !slices.Equal(got, tt.wantA) {
				t.Errorf("A tags: got %v, want %v", got, tt.wantA)
			}
			if got := strs(variantOf(t, doc, "m", "B"), "tags"); !slices.Equal(got, tt.wantB) {
				t.Errorf("B tags: got %v, want %v", got, tt.wantB)
			}
			// The model-level tags reach every record, of either version.
			for _, key := range []string{"honesty_scare__version_3", "split_personality__version_4"} {
				got := strs(recordOf(t, doc, "m", "A", key), "tags")
				for _, w := range tt.wantA {
					if !slices.Contains(got, w) {
						t.Errorf("A record %s: tags %v lack %s", key, got, w)
					}
				}
			}
		})
	}
}
