package intervene_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
	"github.com/sptflow/sptflow/steps/generate/llmstep/llmsteptest"
	"github.com/sptflow/sptflow/steps/intervene"
	"github.com/sptflow/sptflow/steps/spt"
)

// versionMarker is the text of a version's own stage-3 prompts.
func versionMarker(version string) string { return "Prompt revision " + version + "." }

// writeVersionPrompts gives each version its own stage-3 prompt files
// (stage_3/<topic>__<type>__<version>.md), made from the shared ones plus a
// line naming the version.
func writeVersionPrompts(t *testing.T, dir string, versions ...string) {
	t.Helper()
	for _, v := range versions {
		for _, iv := range []string{"honesty_scare", "split_personality"} {
			shared, err := os.ReadFile(filepath.Join(dir, "prompts", filepath.FromSlash(spt.Stage3File("sycophancy", iv))))
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "prompts", filepath.FromSlash(spt.Stage3VersionFile("sycophancy", iv, v)))
			if err := os.WriteFile(file, append(shared, versionMarker(v)+"\n"...), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// specWith is spec without its default `version:`.
func specWith(dir string, with map[string]any) *engine.PartitionSpec {
	s := spec(dir, with)
	if _, ok := with["version"]; !ok {
		delete(s.With, "version")
		delete(s.WithPos, "version")
	}
	return s
}

// generations returns the first user message of every generation request
// sent, sorted.
func generations(c *llmsteptest.Counter) []string {
	var out []string
	for _, r := range c.Requests() {
		if r.ForceTool == spt.Stage3GenerationToolName {
			out = append(out, r.Messages[0].Content)
		}
	}
	slices.Sort(out)
	return out
}

func TestInterveneVersionsSideBySide(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	writeVersionPrompts(t, dir, "version_4") // version_3 uses the shared files
	rt, count := llmsteptest.Runtime(t, t.TempDir(), nil)
	doc, res, err := run(t, rt, specWith(dir, map[string]any{"versions": []any{"version_3", "version_4"}}), stage2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		item         int
		model, vname string
		want         []string
	}{
		// The original's order: one version's types (sorted), then the next.
		{0, "m1", "B", []string{"honesty_scare__version_3", "split_personality__version_3",
			"honesty_scare__version_4", "split_personality__version_4"}},
		{0, "m2", "A", []string{"honesty_scare__version_3", "split_personality__version_3",
			"honesty_scare__version_4", "split_personality__version_4"}},
		// An upstream record stays first and is not asked again.
		{1, "m1", "A", []string{"split_personality__version_3", "honesty_scare__version_3",
			"honesty_scare__version_4", "split_personality__version_4"}},
	}
	for _, tt := range tests {
		ivs := variant(doc, tt.item, tt.model, tt.vname).Obj("interventions")
		if got := ivs.Keys(); !slices.Equal(got, tt.want) {
			t.Errorf("item %d %s %s: keys\n got %v\nwant %v", tt.item, tt.model, tt.vname, got, tt.want)
		}
	}
	if r, _ := variant(doc, 1, "m1", "A").Obj("interventions").Obj("split_personality__version_3").Str("R"); r != "OLD RECORD" {
		t.Errorf("the upstream version_3 record was replaced: R = %q", r)
	}
	var v3, v4 int
	for _, msg := range generations(count) {
		if strings.Contains(msg, versionMarker("version_4")) {
			v4++
		} else {
			v3++
		}
	}
	// Per version and type: an m1 batch and an m2 batch; version_3's
	// split_personality m1 batch holds only item 0 (item 1 has a record).
	if v3 < 4 || v4 < 4 {
		t.Errorf("generation requests: %d of version_3 and %d of version_4, want at least 4 each", v3, v4)
	}
	if len(res.Out.Files["stage_3_reviews/sycophancy_summary.json"]) == 0 {
		t.Errorf("no review summary written")
	}
}

// TestInterveneLaterVersionSendsOnlyItsRequests: adding version_4 beside
// version_3 sends exactly the requests version_4 alone sends on an empty
// store, and every request of version_3 comes from the store: a version's
// requests and batching do not depend on the node's other versions.
func TestInterveneLaterVersionSendsOnlyItsRequests(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	writeVersionPrompts(t, dir, "version_3", "version_4")
	versions := func(vs ...string) *engine.PartitionSpec {
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		return specWith(dir, map[string]any{"versions": list})
	}

	alone, aloneCount := llmsteptest.Runtime(t, t.TempDir(), nil)
	if _, _, err := run(t, alone, versions("version_4"), stage2); err != nil {
		t.Fatal(err)
	}
	storeDir := t.TempDir()
	first, firstCount := llmsteptest.Runtime(t, storeDir, nil)
	if _, _, err := run(t, first, versions("version_3"), stage2); err != nil {
		t.Fatal(err)
	}
	second, secondCount := llmsteptest.Runtime(t, storeDir, nil)
	doc, _, err := run(t, second, versions("version_3", "version_4"), stage2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := generations(secondCount), generations(aloneCount); !slices.Equal(got, want) {
		t.Errorf("adding version_4 sent %d generation requests, version_4 alone sends %d; they differ", len(got), len(want))
	}
	for _, tool := range []string{spt.Stage3GenerationToolName, spt.Stage3ReviewToolName} {
		if got, want := secondCount.Count(tool), aloneCount.Count(tool); got != want {
			t.Errorf("%s requests after adding version_4: got %d, want %d (version_4's alone)", tool, got, want)
		}
	}
	for _, msg := range generations(secondCount) {
		if !strings.Contains(msg, versionMarker("version_4")) {
			t.Errorf("a request other than version_4's was sent again")
		}
	}
	if firstCount.Count(spt.Stage3GenerationToolName) == 0 {
		t.Fatalf("the first run sent nothing")
	}
	if got := variant(doc, 0, "m1", "A").Obj("interventions").Keys(); len(got) != 4 {
		t.Errorf("records after adding version_4: got %v, want 4 keys", got)
	}
}

// TestInterveneVersionRequestsAreIndependent compares the generation
// requests of a version alone, through the shorthand, and beside another
// version: identical.
func TestInterveneVersionRequestsAreIndependent(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	writeVersionPrompts(t, dir, "version_5")
	keys := func(with map[string]any) []string {
		rt, count := llmsteptest.Runtime(t, t.TempDir(), nil)
		if _, _, err := run(t, rt, specWith(dir, with), stage2); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range count.Requests() {
			if strings.Contains(r.Messages[0].Content, versionMarker("version_5")) || r.ForceTool == spt.Stage3ReviewToolName {
				continue
			}
			body, err := json.Marshal(r) // every field of the request key
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(body))
		}
		slices.Sort(out)
		return out
	}
	one := keys(map[string]any{"version": "version_4"})
	list := keys(map[string]any{"versions": []any{"version_4"}})
	both := keys(map[string]any{"versions": []any{"version_4", "version_5"}})
	if !slices.Equal(one, list) {
		t.Errorf("version: version_4 and versions: [version_4] send different requests")
	}
	if !slices.Equal(one, both) {
		t.Errorf("version_4's generation requests change when version_5 is added:\n alone %v\nbeside %v", one, both)
	}
}

func TestInterveneVersionsResolve(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	writeVersionPrompts(t, dir, "version_4")
	tests := []struct {
		name string
		with map[string]any
		want []string // "" = no error
	}{
		{"both keys", map[string]any{"version": "version_4", "versions": []any{"version_3"}},
			[]string{"p.yaml:7:9", `with.versions: set either versions or version (at p.yaml:6:9), not both`}},
		{"separator", map[string]any{"versions": []any{"version__4"}}, []string{`"version__4": a version may not contain "__"`}},
		{"duplicate", map[string]any{"versions": []any{"version_4", "version_4"}}, []string{`"version_4" listed twice`}},
		{"identical prompts", map[string]any{"versions": []any{"version_2", "version_3", "version_4"}}, []string{
			"versions version_2 and version_3 would send identical honesty_scare requests",
			"versions version_2 and version_3 would send identical split_personality requests",
			"(both use stage_3/sycophancy__split_personality.md)", "add version_3's own prompt stage_3/sycophancy__split_personality__version_3.md"}},
		{"own prompts", map[string]any{"versions": []any{"version_3", "version_4"}}, nil},
		{"shorthand", map[string]any{"version": "version_3"}, nil},
		{"default", map[string]any{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := specWith(dir, tt.with)
			s.WithPos["version"], s.WithPos["versions"] = "p.yaml:6:9", "p.yaml:7:9"
			_, err := intervene.New(nil).Resolve(s)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestInterveneEstimateCountsEveryVersion: the estimate of two versions is
// twice that of one (each version has the same batches).
func TestInterveneEstimateCountsEveryVersion(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	writeVersionPrompts(t, dir, "version_3", "version_4")
	estimate := func(vs ...any) engine.Estimate {
		rt, _ := llmsteptest.Runtime(t, t.TempDir(), nil)
		s := specWith(dir, map[string]any{"versions": vs})
		step := intervene.New(rt)
		plan, err := step.Resolve(s)
		if err != nil {
			t.Fatal(err)
		}
		inputs, err := enginetest.MatchInputs(s.ProjectRoot, plan.Inputs)
		if err != nil {
			t.Fatal(err)
		}
		task := &engine.Task{Spec: s, Params: plan.Params, Plan: plan, Inputs: inputs,
			Upstream: []engine.Upstream{upstream(stage2)}, Out: enginetest.NewOutput(), Progress: &enginetest.Progress{}}
		est, err := step.(engine.Estimator).Estimate(context.Background(), task, nil)
		if err != nil {
			t.Fatal(err)
		}
		return est
	}
	one, two := estimate("version_3"), estimate("version_3", "version_4")
	if one.Requests.Low == 0 || two.Requests != (engine.Range{Low: 2 * one.Requests.Low, High: 2 * one.Requests.High}) {
		t.Errorf("estimated requests: one version %v, two versions %v, want twice as many", one.Requests, two.Requests)
	}
}

// TestInterveneInputsAreTheVersionsFiles: a node's prompt inputs (and so
// its key) are the files its versions use, not another version's files.
func TestInterveneInputsAreTheVersionsFiles(t *testing.T) {
	dir := t.TempDir()
	llmsteptest.WritePrompts(t, dir, "sycophancy")
	writeVersionPrompts(t, dir, "version_5")
	inputs := func(vs ...any) []string {
		plan, err := intervene.New(nil).Resolve(specWith(dir, map[string]any{"versions": vs}))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, in := range plan.Inputs {
			rel, _ := filepath.Rel(filepath.Join(dir, "prompts"), in.Path)
			out = append(out, filepath.ToSlash(rel)+in.Pattern)
		}
		return out
	}
	shared := []string{spt.BaseFile, spt.Stage3File("sycophancy", "honesty_scare"), spt.Stage3File("sycophancy", "split_personality")}
	if got := inputs("version_4"); !slices.Equal(got, shared) {
		t.Errorf("version_4 alone: inputs\n got %v\nwant %v", got, shared)
	}
	both := append(shared, spt.Stage3VersionFile("sycophancy", "honesty_scare", "version_5"),
		spt.Stage3VersionFile("sycophancy", "split_personality", "version_5"))
	if got := inputs("version_4", "version_5"); !slices.Equal(got, both) {
		t.Errorf("version_4 and version_5: inputs\n got %v\nwant %v", got, both)
	}
}
