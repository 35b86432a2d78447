package engine

import (
	"slices"
	"testing"

	"github.com/sptflow/sptflow/engine/store"
)

func side(id, kind string, desc KeyDesc) Side {
	s := Side{ID: PartitionID(id), Kind: kind, Desc: desc}
	if desc != nil {
		s.Key = desc.Key().String()
	}
	return s
}

func TestDiffSides(t *testing.T) {
	gen := KeyDesc{{compKind, "generate"}, {"with.batches", "2"}, {"with.model", `{"model":"opus","sim":{"rate":0.15}}`}}
	gen2 := KeyDesc{{compKind, "generate"}, {"with.batches", "3"}, {"with.model", `{"model":"opus","sim":{"rate":0.6}}`}}
	tag := KeyDesc{{compKind, "tag"}, {prefixUpstrm + "generate@x", "aa"}}
	tag2 := KeyDesc{{compKind, "tag"}, {prefixUpstrm + "generate@x", "bb"}}
	noDesc := side("analyze", "analyze", KeyDesc{{compKind, "analyze"}, {"x", "1"}})
	noDesc.Desc = nil
	noDesc2 := side("analyze", "analyze", KeyDesc{{compKind, "analyze"}, {"x", "2"}})
	a := []Side{side("generate@x", "generate", gen), side("tag@x", "tag", tag), side("load", "load", KeyDesc{{compKind, "load"}}),
		side("only@a", "load", KeyDesc{{"a", "1"}}), noDesc, {ID: "export", Note: "upstream analyze is missing"}}
	b := []Side{side("generate@x", "generate", gen2), side("tag@x", "tag", tag2), side("load", "load", KeyDesc{{compKind, "load"}}),
		noDesc2, side("export", "export", KeyDesc{{"e", "1"}}), side("only@b", "load", KeyDesc{{"b", "1"}}),
		{ID: "infer@y", Desc: KeyDesc{{"with.models", `["q","l"]`}}, Note: "upstream generate@y is missing"}}
	a = append(a, Side{ID: "infer@y", Desc: KeyDesc{{"with.models", `["q"]`}}, Note: "upstream generate@y is missing"})
	got := DiffSides(a, b)
	want := []struct {
		id    PartitionID
		state DiffState
		why   []string
	}{
		{"generate@x", DiffChanged, []string{"with.batches: 2 → 3", "with.model.sim.rate: 0.15 → 0.6"}},
		{"tag@x", DiffChanged, []string{"upstream generate@x output changed"}},
		{"load", DiffSame, nil},
		{"only@a", DiffOnlyA, []string{"only in A"}},
		{"analyze", DiffChanged, []string{"node key changed (" + noDesc.Key[:12] + " → " + noDesc2.Key[:12] +
			"); the components of A's key are not in the store, so what changed cannot be named"}},
		{"export", DiffUnknown, []string{"A: key not known until its upstream is produced (upstream analyze is missing)"}},
		{"infer@y", DiffChanged, []string{`with.models[1]: added "l"`,
			"A: key not known until its upstream is produced (upstream generate@y is missing)",
			"B: key not known until its upstream is produced (upstream generate@y is missing)"}},
		{"only@b", DiffOnlyB, []string{"only in B"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d diffs, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.id || g.State != w.state || !slices.Equal(g.Why, w.why) {
			t.Errorf("diff %d: got %s %s %q, want %s %s %q", i, g.ID, g.State, g.Why, w.id, w.state, w.why)
		}
	}
}

func TestDiffSidesSameContent(t *testing.T) {
	files := []store.ManifestFile{{Path: "a.json", Digest: store.DigestOf([]byte("x"))}}
	a := side("intervene@x", "intervene", KeyDesc{{"with.model", `{"sim":1}`}})
	b := side("intervene@x", "intervene", KeyDesc{{"with.model", `{"sim":2}`}})
	a.Manifest, b.Manifest = &store.Manifest{Files: files}, &store.Manifest{Files: files}
	got := DiffSides([]Side{a}, []Side{b})
	if got[0].State != DiffSameBytes || !slices.Equal(got[0].Why, []string{"with.model.sim: 1 → 2"}) {
		t.Errorf("got %s %q, want same-data with the changed leaf", got[0].State, got[0].Why)
	}
}

func TestChangeDetails(t *testing.T) {
	tests := []struct {
		c    Change
		want []string
	}{
		{Change{"with.models", `[{"m":"q"}]`, `[{"m":"q"},{"m":"l"}]`}, []string{`with.models[1]: added {"m":"l"}`}},
		{Change{"with.models", `[{"m":"q","t":1}]`, `[{"m":"q"}]`}, []string{`with.models[0].t: removed (was 1)`}},
		{Change{"with.version", `"v4"`, `"v5"`}, []string{`with.version: "v4" → "v5"`}},
		{Change{"input:prompts/a.md", "aa", "bb"}, []string{"input file prompts/a.md changed"}},
	}
	for _, tt := range tests {
		if got := tt.c.Details(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.c.Component, got, tt.want)
		}
	}
}
