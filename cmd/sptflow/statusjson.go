package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/sptflow/sptflow/engine"
)

// statusDoc is the document `sptflow status --json` prints. Its shape is
// stable (README "status --json"): every field is always present, empty
// values are "", [] or {} and an absent estimate is null; fields are only
// ever added, and Schema changes when one changes meaning.
type statusDoc struct {
	Schema     int                  `json:"schema"`
	Pipeline   string               `json:"pipeline"`
	File       string               `json:"file"`
	Partitions []partitionDoc       `json:"partitions"`
	Counts     map[engine.State]int `json:"counts"`
	Estimate   estimateDoc          `json:"estimate"`
	Env        []envDoc             `json:"env"`
	// Batches are the provider batches of the store's batch ledger, as
	// last polled (batches.go).
	Batches []batchDoc `json:"batches"`
}

// partitionDoc is one partition's status.
type partitionDoc struct {
	ID      string            `json:"id"`
	Node    string            `json:"node"`
	Kind    string            `json:"kind"`
	Foreach map[string]string `json:"foreach"`
	State   engine.State      `json:"state"`
	// Key is the current node key (hex); "" while an upstream is not up
	// to date. Output is the sealed output's manifest digest and Content
	// its content digest, "" unless up to date.
	Key     string       `json:"key"`
	Output  string       `json:"output"`
	Content string       `json:"content"`
	Reasons []string     `json:"reasons"`
	Changes []changeJSON `json:"changes"`
	Replica int          `json:"replica"`
	// Estimate is what running it would cost; null when up to date
	// (without failed rows) or not priced (then EstimateError says why).
	Estimate      *estimateJSON `json:"estimate"`
	EstimateError string        `json:"estimate_error"`
	// FailedRows are the failed rows an up-to-date output was sealed
	// with (with.max_failed_rows); the next run asks them again.
	FailedRows int `json:"failed_rows"`
	// Remote: the up-to-date output is sealed in the remote store only;
	// run pulls it.
	Remote bool `json:"remote"`
}

// changeJSON is a key component that differs from the key the lock file
// records; Old is "" when it was added, New when it was removed.
type changeJSON struct {
	Component string `json:"component"`
	Old       string `json:"old"`
	New       string `json:"new"`
}

// estimateDoc is the price of what would run, per node and in total.
type estimateDoc struct {
	Nodes []nodeEstimateJSON `json:"nodes"`
	Total nodeEstimateJSON   `json:"total"`
}

// nodeEstimateJSON is engine.NodeEstimate with every field present.
type nodeEstimateJSON struct {
	Node       string       `json:"node"`
	Partitions int          `json:"partitions"` // partitions that would run
	Unpriced   int          `json:"unpriced"`   // of which without an estimate
	Estimate   estimateJSON `json:"estimate"`
}

// estimateJSON is engine.Estimate with every field present.
type estimateJSON struct {
	Requests     engine.Range   `json:"requests"`
	Cached       int64          `json:"cached"`
	InputTokens  engine.Range   `json:"input_tokens"`
	CacheRead    engine.Range   `json:"cache_read_tokens"`
	OutputTokens engine.Range   `json:"output_tokens"`
	CostUSD      engine.Dollars `json:"cost_usd"`
	Forecast     bool           `json:"forecast"`
	Basis        []string       `json:"basis"`
}

func estimateOf(x engine.Estimate) estimateJSON {
	return estimateJSON{Requests: x.Requests, Cached: x.Cached, InputTokens: x.InputTokens,
		CacheRead: x.CacheRead, OutputTokens: x.OutputTokens, CostUSD: x.CostUSD,
		Forecast: x.Forecast, Basis: orEmpty(x.Basis)}
}

func nodeEstimateOf(n engine.NodeEstimate) nodeEstimateJSON {
	return nodeEstimateJSON{Node: n.Node, Partitions: n.Partitions, Unpriced: n.Unpriced, Estimate: estimateOf(n.Estimate)}
}

// envDoc is an environment variable (an API key) a real run of what is
// not up to date needs.
type envDoc struct {
	Name string `json:"name"`
	Set  bool   `json:"set"`
}

// writeStatusJSON prints sts (priced by re) as a statusDoc.
func writeStatusJSON(w io.Writer, pr *project, sts []engine.PartitionStatus, re *runEstimate) error {
	doc := statusDoc{Schema: 1, Pipeline: pr.p.Name, File: pr.p.Path, Partitions: []partitionDoc{},
		Counts:   map[engine.State]int{engine.UpToDate: 0, engine.Stale: 0, engine.Missing: 0},
		Estimate: estimateDoc{Nodes: []nodeEstimateJSON{}, Total: nodeEstimateOf(re.total)}, Env: []envDoc{}}
	for _, n := range re.nodes {
		doc.Estimate.Nodes = append(doc.Estimate.Nodes, nodeEstimateOf(n))
	}
	specs := map[engine.PartitionID]*engine.PartitionSpec{}
	for _, p := range pr.eng.Graph().Partitions {
		specs[p.ID] = p
	}
	var run []engine.PartitionID
	for _, st := range sts {
		doc.Counts[st.State]++
		doc.Partitions = append(doc.Partitions, partitionOf(pr.eng, specs[st.ID], st))
		if st.WillRun() {
			run = append(run, st.ID)
		}
	}
	doc.Env = envDocs(pr.eng, run)
	batches, err := readBatchDocs(pr.st.Dir(), time.Now())
	if err != nil {
		return err
	}
	doc.Batches = batches
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func partitionOf(eng *engine.Engine, spec *engine.PartitionSpec, st engine.PartitionStatus) partitionDoc {
	d := partitionDoc{ID: string(st.ID), Node: st.Node, Kind: st.Kind, Foreach: map[string]string{},
		State: st.State, Reasons: orEmpty(st.Reasons), Changes: []changeJSON{}, FailedRows: st.FailedRows, Remote: st.Remote}
	for _, c := range st.Changes {
		d.Changes = append(d.Changes, changeJSON{Component: c.Component, Old: c.Old, New: c.New})
	}
	if st.Estimate != nil {
		x := estimateOf(*st.Estimate)
		d.Estimate = &x
	}
	if spec != nil {
		for _, kv := range spec.Foreach {
			d.Foreach[kv.Key] = kv.Value
		}
	}
	if !st.Key.IsZero() {
		d.Key = st.Key.String()
	}
	if !st.Output.IsZero() {
		d.Output, d.Content = st.Output.String(), st.Content.String()
	}
	if r, ok := eng.Replica(st.ID); ok {
		d.Replica = r.N
	}
	if st.EstimateErr != nil {
		d.EstimateError = st.EstimateErr.Error()
	}
	return d
}

// envDocs lists, sorted, the variables the partitions ids need.
func envDocs(eng *engine.Engine, ids []engine.PartitionID) []envDoc {
	var names []string
	for _, id := range ids {
		for _, v := range eng.Plan(id).Env {
			if !slices.Contains(names, v) {
				names = append(names, v)
			}
		}
	}
	slices.Sort(names)
	out := []envDoc{}
	for _, v := range names {
		out = append(out, envDoc{Name: v, Set: os.Getenv(v) != ""})
	}
	return out
}

// orEmpty returns s, or an empty slice for nil, so that it encodes as [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
