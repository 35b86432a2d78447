package export

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/enginetest"
)

// TestSelectionByVersion: the training config's intervention_types choose
// among the versions an intervene node wrote side by side (the fixture's
// records hold version_3 and version_4 keys in the same variants).
func TestSelectionByVersion(t *testing.T) {
	tests := []struct {
		name  string
		types string
		want  []string
	}{
		{"version_4 only", `["split_personality__version_4"]`, []string{
			"sycophancy/batch_1.json/0/m1/A/split_personality__version_4",
		}},
		{"version_3 only", `["split_personality__version_3"]`, []string{
			"reward_hacks/batch_0.json/0/m1/A/split_personality__version_3",
			"sycophancy/batch_1.json/0/m1/A/split_personality__version_3",
			"sycophancy/batch_1.json/3/m1/B/split_personality__version_3",
			"sycophancy/batch_1.json/4/m1/B/split_personality__version_3",
		}},
		{"both versions and a second type", `["split_personality__version_3", "honesty_scare__version_3", "split_personality__version_4"]`, []string{
			"reward_hacks/batch_0.json/0/m1/A/split_personality__version_3",
			"sycophancy/batch_1.json/0/m1/A/split_personality__version_3",
			"sycophancy/batch_1.json/0/m1/A/honesty_scare__version_3",
			"sycophancy/batch_1.json/0/m1/A/split_personality__version_4",
			"sycophancy/batch_1.json/3/m1/B/split_personality__version_3",
			"sycophancy/batch_1.json/4/m1/B/split_personality__version_3",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := strings.Replace(testConfig(""), `["split_personality__version_3", "split_personality__version_4"]`, tt.types, 1)
			if err := os.WriteFile(filepath.Join(dir, "cfg.json"), []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := enginetest.Run(context.Background(), New(), enginetest.Spec(Kind, dir, map[string]any{"config": "cfg.json"}), upstream())
			if err != nil {
				t.Fatal(err)
			}
			got := ids(lines(t, res.Out.Files, TrainFile))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}
