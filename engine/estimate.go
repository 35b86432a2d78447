package engine

import (
	"context"
	"fmt"
	"slices"
)

// Range is a low–high count: requests or tokens whose number depends on
// what happens at run time (rejected batches asked again, say).
type Range struct {
	Low  int64 `json:"low"`
	High int64 `json:"high"`
}

// Exactly returns the range [n, n].
func Exactly(n int64) Range { return Range{n, n} }

// Add returns r + o.
func (r Range) Add(o Range) Range { return Range{r.Low + o.Low, r.High + o.High} }

// Times returns r × n.
func (r Range) Times(n int64) Range { return Range{r.Low * n, r.High * n} }

// Dollars is a low–high cost in USD.
type Dollars struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Add returns d + o.
func (d Dollars) Add(o Dollars) Dollars { return Dollars{d.Low + o.Low, d.High + o.High} }

// Estimate is what running a partition would cost, computed before it
// runs. Token counts cover the requests that would be sent; CacheRead is
// the part of InputTokens a provider would serve from its prompt cache
// (priced at its cache-read price).
type Estimate struct {
	Requests     Range   `json:"requests"` // requests that would be sent
	Cached       int64   `json:"cached"`   // requests the request store would answer
	InputTokens  Range   `json:"input_tokens"`
	CacheRead    Range   `json:"cache_read_tokens"`
	OutputTokens Range   `json:"output_tokens"`
	CostUSD      Dollars `json:"cost_usd"`
	// Forecast is true when some upstream output does not exist yet and
	// the estimate rests on its forecast (its expected size).
	Forecast bool `json:"forecast,omitempty"`
	// Basis says, in words, where the figures that are not exact come
	// from ("output tokens of sonnet/stage_3_generation: mean of 40 stored
	// responses"), one line each, deduplicated.
	Basis []string `json:"basis,omitempty"`
	// Output is what the partition's output is expected to hold, for the
	// estimates of its dependents; nil when the step cannot say.
	Output *Forecast `json:"-"`
}

// Add adds o's counts, tokens, cost and basis to x (not its Output).
func (x *Estimate) Add(o Estimate) {
	x.Requests = x.Requests.Add(o.Requests)
	x.Cached += o.Cached
	x.InputTokens = x.InputTokens.Add(o.InputTokens)
	x.CacheRead = x.CacheRead.Add(o.CacheRead)
	x.OutputTokens = x.OutputTokens.Add(o.OutputTokens)
	x.CostUSD = x.CostUSD.Add(o.CostUSD)
	x.Forecast = x.Forecast || o.Forecast
	for _, b := range o.Basis {
		x.Note(b)
	}
}

// Note adds a basis line unless it is there already.
func (x *Estimate) Note(basis string) {
	if !slices.Contains(x.Basis, basis) {
		x.Basis = append(x.Basis, basis)
	}
}

// Forecast is what a partition's output is expected to contain before it
// exists. The engine passes it from a step's estimate to the estimates of
// the partitions that need it, without interpreting it: Shape is the
// step's own description (item counts, mean sizes), which the steps that
// read that kind's output understand.
type Forecast struct {
	ID    PartitionID
	Kind  string
	Items Range // records the output is expected to hold
	Shape any
}

// Estimator is implemented by steps that call models, so `status` and
// `run --dry-run` can price a partition before it runs. t.Out, t.Progress
// and t.Usage are nil; t.Upstream holds the needs whose outputs exist (are
// up to date), and ups the forecasts of the others, in needs order. A step
// that cannot use a forecast returns an error.
type Estimator interface {
	Estimate(ctx context.Context, t *Task, ups []*Forecast) (Estimate, error)
}

// Estimate prices every partition of sts that would run (WillRun), in
// topological order, so that a partition whose upstream will run is priced
// from that upstream's forecast. Steps that are not Estimators cost
// nothing and forecast nothing. A partition is left without an estimate
// (nil) when its step fails to estimate it or an upstream that will run
// has no forecast; its Reasons say why.
func (e *Engine) Estimate(ctx context.Context, sts []PartitionStatus) {
	byID := make(map[PartitionID]*PartitionStatus, len(sts))
	for i := range sts {
		byID[sts[i].ID] = &sts[i]
	}
	for i := range sts {
		st := &sts[i]
		if !st.WillRun() {
			continue
		}
		x, err := e.estimate(ctx, st, byID)
		if err != nil {
			st.EstimateErr = err
			continue
		}
		st.Estimate = x
	}
}

// estimate prices one partition given the estimates of its needs.
func (e *Engine) estimate(ctx context.Context, st *PartitionStatus, byID map[PartitionID]*PartitionStatus) (*Estimate, error) {
	n := e.nodes[st.ID]
	est, ok := n.step.(Estimator)
	if !ok {
		return &Estimate{}, nil
	}
	t := &Task{Spec: n.spec, Params: n.plan.Params, Plan: n.plan, Inputs: n.files(),
		Log: e.opt.Log.With().Str(FieldPartition, string(n.spec.ID)).Str(FieldKind, n.spec.Kind).Logger()}
	var ups []*Forecast
	for _, u := range e.g.Needs[st.ID] {
		us := byID[u]
		if us.State != UpToDate {
			if us.Estimate == nil || us.Estimate.Output == nil {
				return nil, fmt.Errorf("upstream %s will run and cannot be forecast", u)
			}
			ups = append(ups, us.Estimate.Output)
			continue
		}
		if us.Remote { // its files are not here; status reads no more than its manifest
			return nil, fmt.Errorf("upstream %s is sealed only in the remote store (sptflow store pull brings it here)", u)
		}
		m, d, err := e.opt.Store.GetManifest(us.Key)
		if err != nil {
			return nil, fmt.Errorf("upstream %s: %w", u, err)
		}
		un := e.nodes[u]
		t.Upstream = append(t.Upstream, Upstream{ID: u, Node: un.spec.Node, Kind: un.spec.Kind, Foreach: un.spec.Foreach,
			Digest: d, Files: upstreamFiles(e.opt.Store, m, un.files()), OutputDir: un.plan.OutputDir})
	}
	x, err := est.Estimate(ctx, t, ups)
	if err != nil {
		return nil, err
	}
	x.Forecast = x.Forecast || len(ups) > 0
	if x.Output != nil {
		x.Output.ID, x.Output.Kind = st.ID, st.Kind
	}
	return &x, nil
}

// NodeEstimate is the estimate of a node's partitions that would run.
type NodeEstimate struct {
	Node       string   `json:"node"`
	Partitions int      `json:"partitions"`         // partitions that would run
	Unpriced   int      `json:"unpriced,omitempty"` // of which without an estimate
	Estimate   Estimate `json:"estimate"`
}

// EstimateByNode sums the estimates of the partitions of sts that would
// run (and, if keep is not nil, that keep accepts) by node, in the
// order nodes first appear in sts. The second result is the total.
func EstimateByNode(sts []PartitionStatus, keep func(PartitionID) bool) ([]NodeEstimate, NodeEstimate) {
	var out []NodeEstimate
	idx := map[string]int{}
	total := NodeEstimate{Node: "total"}
	for _, st := range sts {
		if !st.WillRun() || (keep != nil && !keep(st.ID)) {
			continue
		}
		i, ok := idx[st.Node]
		if !ok {
			i = len(out)
			idx[st.Node] = i
			out = append(out, NodeEstimate{Node: st.Node})
		}
		for _, ne := range []*NodeEstimate{&out[i], &total} {
			ne.Partitions++
			if st.Estimate == nil {
				ne.Unpriced++
				continue
			}
			ne.Estimate.Add(*st.Estimate)
		}
	}
	return out, total
}
