package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/lockyaml"
)

// typedKind is a Kind whose parameters are a struct: Run receives exactly
// what Resolve returned.
type typedKind struct {
	got     []typedParams
	samples bool
}

type typedParams struct {
	Topic string `json:"topic"`
	N     int    `json:"n"`
}

func (k *typedKind) Info() KindInfo {
	return KindInfo{Name: "fake", Version: "1", Summary: "a test kind", Samples: k.samples}
}

func (k *typedKind) Resolve(spec *PartitionSpec) (typedParams, *Plan, error) {
	if _, bad := spec.With["bad"]; bad {
		// The same problem in every partition of the node, and a joined one.
		return typedParams{}, nil, errors.Join(fmt.Errorf("%s: node %q: with.bad: no", spec.WithPos["bad"], spec.Node),
			&typedErr{node: spec.Node})
	}
	return typedParams{Topic: spec.Value("topic"), N: len(spec.With)}, &Plan{OutputDir: spec.Node,
		Outputs: []string{spec.Node + "/" + string(spec.ID) + ".txt"}}, nil
}

func (k *typedKind) Run(_ context.Context, p typedParams, t *Task) error {
	k.got = append(k.got, p)
	return t.Out.WriteFile(t.Spec.Node+"/"+string(t.ID())+".txt", []byte(fmt.Sprint(p)))
}

type estimatingKind struct{ typedKind }

func (*estimatingKind) Estimate(_ context.Context, p typedParams, _ *Task, _ []*Forecast) (Estimate, error) {
	return Estimate{Requests: Exactly(int64(p.N))}, nil
}

type typedErr struct{ node string }

func (e *typedErr) Error() string { return "test.yaml:2:2: node " + e.node + ": typed" }

func TestAdaptRunsWithTypedParams(t *testing.T) {
	f := newFixture(t)
	k := &typedKind{}
	step := Adapt[typedParams](k)
	if step.Kind() != "fake" || step.Version() != "1" {
		t.Fatalf("kind, version: got %s, %s", step.Kind(), step.Version())
	}
	e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": step}, Store: f.st, LockPath: f.dir + "/sptflow.lock", LockCodec: lockyaml.Codec{}})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := e.Plan("src@a").Params.(typedParams); !ok || p.Topic != "a" {
		t.Errorf("plan params: got %#v, want typedParams for topic a", e.Plan("src@a").Params)
	}
	sum, err := e.Run(context.Background(), RunConfig{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Executed != 5 || len(k.got) != 5 {
		t.Errorf("executed %d, Run called %d times; want 5 and 5", sum.Executed, len(k.got))
	}
	if _, ok := step.(Estimator); ok {
		t.Error("a kind without Estimate is adapted to an Estimator")
	}
	if _, ok := step.(Sampler); ok {
		t.Error("a kind without Samples is adapted to a Sampler")
	}
}

func TestAdaptOptionalInterfaces(t *testing.T) {
	tests := []struct {
		name               string
		step               Step
		estimator, sampler bool
	}{
		{"plain", Adapt[typedParams](&typedKind{}), false, false},
		{"sampler", Adapt[typedParams](&typedKind{samples: true}), false, true},
		{"estimator", Adapt[typedParams](&estimatingKind{}), true, false},
		{"both", Adapt[typedParams](&estimatingKind{typedKind{samples: true}}), true, true},
	}
	for _, tt := range tests {
		_, est := tt.step.(Estimator)
		_, smp := tt.step.(Sampler)
		if est != tt.estimator || smp != tt.sampler {
			t.Errorf("%s: Estimator %v, Sampler %v; want %v, %v", tt.name, est, smp, tt.estimator, tt.sampler)
		}
		if info, ok := Info(tt.step); !ok || info.Name != "fake" {
			t.Errorf("%s: Info: got %+v, %v", tt.name, info, ok)
		}
	}
	est := Adapt[typedParams](&estimatingKind{}).(Estimator)
	x, err := est.Estimate(context.Background(), &Task{Params: typedParams{N: 3}}, nil)
	if err != nil || x.Requests != Exactly(3) {
		t.Errorf("Estimate: got %+v, %v; want 3 requests", x.Requests, err)
	}
	if _, err := est.Estimate(context.Background(), &Task{Spec: &PartitionSpec{ID: "x"}, Params: "wrong"}, nil); err == nil {
		t.Error("Estimate with parameters of another type: no error")
	}
}

// TestResolveErrorsOncePerNode: a problem every partition of a node shares
// is reported once, without the partition prefix, and typed errors survive.
func TestResolveErrorsOncePerNode(t *testing.T) {
	f := newFixture(t)
	f.with["src@a"] = map[string]any{"bad": true}
	f.with["src@b"] = map[string]any{"bad": true}
	_, err := New(f.graph(), Options{Steps: map[string]Step{"fake": Adapt[typedParams](&typedKind{})}, Store: f.st})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
	want := "test.yaml:9:9: node \"src\": with.bad: no\ntest.yaml:2:2: node src: typed"
	if err.Error() != want {
		t.Errorf("got:\n%s\nwant:\n%s", err, want)
	}
	var te *typedErr
	if !errors.As(err, &te) || te.node != "src" {
		t.Errorf("errors.As(*typedErr): got %v", te)
	}
	if strings.Contains(err.Error(), "src@a") {
		t.Errorf("the partition is named: %s", err)
	}
}
