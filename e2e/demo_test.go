package e2e

import (
	"testing"
)

// demoShapes is what demo.yaml's stages write with sim providers.
func demoShapes() []stageShape {
	shapes := fullShapes()
	for i := range shapes {
		shapes[i].simulated = true
	}
	return shapes
}

// TestDemoPipeline runs pipelines/demo.yaml offline: every node but
// analyze (see TestDemoAnalyze) runs, the files have the original shapes
// at every stage, the tagged data is non-degenerate, and a second run
// sends nothing.
func TestDemoPipeline(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	p.run("run", "pipelines/demo.yaml", "tag", "export")
	topics := []string{"sycophancy", "reward_hacks", "specification_gaming"}
	c := checkShapes(t, p.dir+"/data/demo", topics, demoShapes())
	if c.files["stage_3_tagged"] != 6 || c.items["stage_3_tagged"] != 24 {
		t.Errorf("got %d tagged files with %d items, want 6 with 24", c.files["stage_3_tagged"], c.items["stage_3_tagged"])
	}
	for _, v := range []string{"stage_3_tagged PASS", "stage_3_tagged FAIL"} {
		if c.verdicts[v] == 0 {
			t.Errorf("degenerate tagged data: no %s in %v", v, c.verdicts)
		}
	}
	for _, v := range []string{"stage_3_tagged A", "stage_3_tagged B"} {
		if c.variants[v] == 0 {
			t.Errorf("degenerate tagged data: no %s in %v", v, c.variants)
		}
	}
	if out := p.run("run", "pipelines/demo.yaml", "tag", "export"); newCalls(out) != 0 {
		t.Errorf("rerun sent %d requests, want 0\n%s", newCalls(out), tail(out, 10))
	}
}

// TestDemoAnalyze runs the whole demo, analyze included, and expects exit 0.
func TestDemoAnalyze(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	p.run("run", "pipelines/demo.yaml")
}

func TestRaisingBatchesSendsOnlyTheNewBatch(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	args := []string{"run", "pipelines/demo.yaml", "generate", "--set", "topics=[sycophancy]"}
	p.run(append(args, "--set", "batches=2")...)
	out := p.run(append(args, "--set", "batches=3")...)
	if n := newCalls(out); n != 1 {
		t.Errorf("batches 2 -> 3 sent %d requests, want 1\n%s", n, tail(out, 10))
	}
}
