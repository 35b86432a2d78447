package intervene_test

import (
	"encoding/json"
	"testing"

	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/intervene"
	"github.com/sptflow/sptflow/steps/spt"
)

// TestInterveneReplica: replica 0 is the original draw (the same params,
// so the same node key, and every request served by the store); replica 1
// sends every request again and writes other samples; going back to 0
// sends nothing.
func TestInterveneReplica(t *testing.T) {
	dir, storeDir := t.TempDir(), t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	params := func(with map[string]any) string {
		plan, err := intervene.New(nil).Resolve(spec(dir, with))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(plan.Params)
		return string(b)
	}
	if a, b := params(nil), params(map[string]any{"replica": 0}); a != b {
		t.Errorf("params with replica 0:\ngot:  %s\nwant: %s", b, a)
	}
	if a, b := params(nil), params(map[string]any{"replica": 1}); a == b {
		t.Errorf("params with replica 1 are those of replica 0: %s", a)
	}

	sends := func(with map[string]any) (int, string) {
		t.Helper()
		rt, count := llmsteptest.Runtime(t, storeDir, nil)
		_, res, err := run(t, rt, spec(dir, with), stage2)
		if err != nil {
			t.Fatal(err)
		}
		return count.Count(spt.Stage3GenerationToolName), string(res.Out.Files["stage_3/sycophancy/batch_x.json"])
	}
	n0, orig := sends(nil)
	if n0 == 0 {
		t.Fatal("the first run sent nothing")
	}
	if n, _ := sends(map[string]any{"replica": 0}); n != 0 {
		t.Errorf("replica 0 again: got %d generation requests, want 0", n)
	}
	n1, redrawn := sends(map[string]any{"replica": 1})
	if n1 == 0 || redrawn == orig {
		t.Errorf("replica 1: got %d generation requests (want some) and the same output %t", n1, redrawn == orig)
	}
	if n, back := sends(nil); n != 0 || back != orig {
		t.Errorf("back to replica 0: got %d requests (want 0) and the original output %t", n, back == orig)
	}
}
