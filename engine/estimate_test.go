package engine

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/lockyaml"
)

// estFake is fakeStep with an estimate: a source forecasts 5 items; a
// partition with existing upstream outputs 10 items per upstream file; one
// priced from forecasts twice their items. It sends one request per item.
type estFake struct{ *fakeStep }

func (f estFake) Estimate(ctx context.Context, t *Task, ups []*Forecast) (Estimate, error) {
	var items int64
	for _, u := range t.Upstream {
		items += 10 * int64(len(u.Files))
	}
	for _, fc := range ups {
		items += 2 * fc.Items.High
	}
	if len(t.Upstream)+len(ups) == 0 {
		items = 5
	}
	return Estimate{Requests: Range{items, 2 * items}, CostUSD: Dollars{float64(items), float64(2 * items)},
		Output: &Forecast{Items: Exactly(items)}}, nil
}

func (f *fixture) estimate(mod func(*Graph), steps map[string]Step) []PartitionStatus {
	f.t.Helper()
	g := f.graph()
	if mod != nil {
		mod(g)
	}
	e, err := New(g, Options{Steps: steps, Store: f.st, LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
	if err != nil {
		f.t.Fatal(err)
	}
	sts, err := e.Status(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	e.Estimate(context.Background(), sts)
	return sts
}

func TestEstimateFlowsForecastsAlongTheGraph(t *testing.T) {
	f := newFixture(t)
	steps := map[string]Step{"fake": estFake{f.step}}
	want := map[PartitionID]struct {
		requests Range
		forecast bool
	}{
		"src@a": {Range{5, 10}, false}, "src@b": {Range{5, 10}, false},
		"mid@a": {Range{10, 20}, true}, "mid@b": {Range{10, 20}, true},
		"sink": {Range{40, 80}, true},
	}
	sts := f.estimate(nil, steps)
	for _, st := range sts {
		if st.Estimate == nil || st.Estimate.Requests != want[st.ID].requests || st.Estimate.Forecast != want[st.ID].forecast {
			t.Errorf("%s: got %+v (%v), want %+v", st.ID, st.Estimate, st.EstimateErr, want[st.ID])
		}
	}
	nodes, total := EstimateByNode(sts, nil)
	if len(nodes) != 3 || nodes[1].Node != "mid" || nodes[1].Partitions != 2 || nodes[1].Estimate.Requests != (Range{20, 40}) {
		t.Errorf("per node: got %+v", nodes)
	}
	if total.Partitions != 5 || total.Estimate.Requests != (Range{70, 140}) || total.Estimate.CostUSD != (Dollars{70, 140}) {
		t.Errorf("total: got %+v, want 5 partitions, 70–140 requests, $70–140", total)
	}

	// With the sources produced, mid reads their outputs (one file each)
	// and sink still rests on mid's forecasts; up-to-date partitions are
	// not priced.
	f.expectExecuted(RunConfig{Selection: Selection{Targets: []string{"src"}}}, "src@a", "src@b")
	sts = f.estimate(nil, steps)
	for _, st := range sts {
		switch {
		case st.Node == "src" && st.Estimate != nil:
			t.Errorf("%s is up to date but priced: %+v", st.ID, st.Estimate)
		case st.Node == "mid" && (st.Estimate == nil || st.Estimate.Requests != Range{10, 20} || st.Estimate.Forecast):
			t.Errorf("%s: got %+v, want 10–20 requests from its upstream's output", st.ID, st.Estimate)
		case st.Node == "sink" && (st.Estimate == nil || st.Estimate.Requests != Range{40, 80}):
			t.Errorf("%s: got %+v, want 40–80", st.ID, st.Estimate)
		}
	}
	_, total = EstimateByNode(sts, func(id PartitionID) bool { return id != "sink" })
	if total.Partitions != 2 || total.Estimate.Requests != (Range{20, 40}) {
		t.Errorf("total without sink: got %+v", total)
	}
}

// An upstream that will run and forecasts nothing leaves its dependents
// unpriced, and the totals say so.
func TestEstimateWithoutForecastIsUnpriced(t *testing.T) {
	f := newFixture(t)
	steps := map[string]Step{"fake": estFake{f.step}, "plain": newFake()}
	sts := f.estimate(func(g *Graph) {
		for _, p := range g.Partitions {
			if p.Node == "mid" {
				p.Kind = "plain"
			}
		}
	}, steps)
	for _, st := range sts {
		switch st.Node {
		case "mid":
			if st.Estimate == nil || st.Estimate.Requests != (Range{}) || st.Estimate.Output != nil {
				t.Errorf("%s (not an estimator): got %+v, want a zero estimate", st.ID, st.Estimate)
			}
		case "sink":
			if st.Estimate != nil || st.EstimateErr == nil {
				t.Errorf("sink: got %+v, want no estimate and a reason", st.Estimate)
			}
		}
	}
	_, total := EstimateByNode(sts, nil)
	if total.Unpriced != 1 || total.Estimate.Requests != (Range{10, 20}) {
		t.Errorf("total: got %+v, want 1 unpriced and the sources' 10–20 requests", total)
	}
}

// TestEstimateUpstreamOnlyRemote: a partition whose upstream is sealed only
// in the shared store (status from a laptop while other machines run) is
// not priced, and says why; it said "get manifest …: not found" of an
// upstream status showed up to date.
func TestEstimateUpstreamOnlyRemote(t *testing.T) {
	sh := newShared(t)
	a := newFixture(t)
	if _, err := a.sharedEngine(sh).Run(context.Background(), RunConfig{Selection: Selection{Targets: []string{"src"}}}); err != nil {
		t.Fatal(err)
	}
	b := newFixture(t)
	sh.local = b.st
	e, err := New(b.graph(), Options{Steps: map[string]Step{"fake": estFake{b.step}}, Store: b.st, Shared: sh,
		LockPath: filepath.Join(b.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	sts, err := e.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.Estimate(context.Background(), sts)
	for _, st := range sts {
		if st.ID != "mid@a" {
			continue
		}
		want := "upstream src@a is sealed only in the remote store (sptflow store pull brings it here)"
		if st.EstimateErr == nil || st.EstimateErr.Error() != want {
			t.Errorf("mid@a: got estimate %+v, error %v; want the error %q", st.Estimate, st.EstimateErr, want)
		}
	}
}
