package view

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
)

// Overview is one run of the project: per partition its state, rows,
// failures, requests, tokens and cost; per node the estimate recorded at
// the run's start against what it sent.
type Overview struct {
	Run        string          `json:"run"`
	Pipeline   string          `json:"pipeline"`
	Ended      bool            `json:"ended"`
	Summary    json.RawMessage `json:"summary,omitempty"`
	Partitions []PartitionView `json:"partitions"`
	Nodes      []NodeView      `json:"nodes"`
	Total      llm.Spent       `json:"total"`
	RateLimits int             `json:"rate_limits"` // replies refused for the rate limit
	Failures   []string        `json:"failures"`
	Runs       []string        `json:"runs"`
	Reports    []string        `json:"reports"`
	// Batches are the provider batches of the store's batch ledger: in
	// flight, or ended and not yet harvested (as `sptflow status` lists
	// them), with their counts as the run last polled them.
	Batches []ProviderBatch `json:"batches"`
}

// ProviderBatch is one provider batch of the batch ledger.
type ProviderBatch struct {
	ID       string `json:"id"` // "" until the provider's id is recorded
	Model    string `json:"model"`
	Requests int    `json:"requests"`
	Done     int    `json:"done"`
	Failed   int    `json:"failed"`
	Pending  int    `json:"pending"`
	Created  string `json:"created,omitempty"`
	Polled   string `json:"polled,omitempty"` // "" if never polled
	ETA      string `json:"eta,omitempty"`
}

// readBatches reads the batch ledger of the store; an unreadable ledger
// shows no batches.
func readBatches(storeDir string, now time.Time) []ProviderBatch {
	entries, _ := llm.ReadBatchLedger(store.Batches(storeDir))
	out := []ProviderBatch{}
	for _, e := range entries {
		b := ProviderBatch{ID: e.BatchID, Model: e.Model, Requests: len(e.Keys), Pending: len(e.Keys)}
		if !e.Created.IsZero() {
			b.Created = e.Created.UTC().Format(time.RFC3339)
		}
		if !e.Polled.IsZero() {
			b.Polled = e.Polled.UTC().Format(time.RFC3339)
		}
		if c := e.Counts; c != nil {
			b.Done, b.Pending, b.Failed = c.Succeeded, c.Processing, c.Errored+c.Expired+c.Canceled
		}
		if eta := e.ETA(now); !eta.IsZero() && b.Pending > 0 {
			b.ETA = eta.UTC().Format(time.RFC3339)
		}
		out = append(out, b)
	}
	return out
}

// PartitionView is one partition of a run.
type PartitionView struct {
	ID         string    `json:"id"`
	Node       string    `json:"node"`
	State      string    `json:"state"` // started, succeeded, failed, cached, ...
	DurationMS int64     `json:"duration_ms"`
	Error      string    `json:"error,omitempty"`
	Rows       int       `json:"rows"`
	Spent      llm.Spent `json:"spent"`
}

// NodeView is one node's estimate and spend.
type NodeView struct {
	Node     string          `json:"node"`
	Estimate json.RawMessage `json:"estimate,omitempty"`
	Spent    llm.Spent       `json:"spent"`
}

// runDirs lists the store's runs of pipeline ("" = every run), oldest
// first (run IDs sort by time). A run's pipeline is read from its
// journal's run_start event.
func runDirs(storeDir, pipeline string) []string {
	m, _ := filepath.Glob(filepath.Join(storeDir, "runs", "*", "journal.jsonl"))
	out := []string{}
	for _, p := range m {
		id := filepath.Base(filepath.Dir(p))
		if pipeline == "" || runPipeline(storeDir, id) == pipeline {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// ReadOverview reads run id (the latest of pipeline when "") of the
// store; Runs lists the runs of pipeline name ("" = every run).
func ReadOverview(storeDir, id, pipeline string) (*Overview, error) {
	runs := runDirs(storeDir, pipeline)
	ov := &Overview{Runs: runs, Partitions: []PartitionView{}, Nodes: []NodeView{}, Failures: []string{},
		Batches: readBatches(storeDir, time.Now())}
	if id == "" && len(runs) > 0 {
		id = runs[len(runs)-1]
	}
	if id == "" {
		return ov, nil
	}
	ov.Run = id
	dir := filepath.Join(storeDir, "runs", id)
	parts := map[string]*PartitionView{}
	var order []string
	estimates := map[string]json.RawMessage{}
	var nodeOrder []string
	_ = readJSONL(filepath.Join(dir, "journal.jsonl"), func(line []byte) {
		var e struct {
			Event      string          `json:"event"`
			Partition  string          `json:"partition"`
			Node       string          `json:"node"`
			Pipeline   string          `json:"pipeline"`
			DurationMS int64           `json:"duration_ms"`
			Error      string          `json:"error"`
			Summary    json.RawMessage `json:"summary"`
			Estimates  []struct {
				Node     string          `json:"node"`
				Estimate json.RawMessage `json:"estimate"`
			} `json:"estimates"`
		}
		if json.Unmarshal(line, &e) != nil {
			return
		}
		switch {
		case e.Event == "run_start":
			ov.Pipeline = e.Pipeline
		case e.Event == "run_end":
			ov.Ended, ov.Summary = true, e.Summary
		case e.Event == "estimate":
			for _, x := range e.Estimates {
				estimates[x.Node] = x.Estimate
				nodeOrder = append(nodeOrder, x.Node)
			}
		case e.Partition != "":
			p := parts[e.Partition]
			if p == nil {
				p = &PartitionView{ID: e.Partition, Node: e.Node}
				parts[e.Partition] = p
				order = append(order, e.Partition)
			}
			p.State = e.Event
			if e.DurationMS > 0 {
				p.DurationMS = e.DurationMS
			}
			if e.Error != "" {
				p.Error = e.Error
				if !waitingEvent(e.Event) {
					ov.Failures = append(ov.Failures, e.Partition+": "+e.Error)
				}
			}
		}
	})
	lines, _ := llm.ReadLedger(filepath.Join(dir, "spend.jsonl"))
	for _, l := range lines {
		if l.Event == llm.SpendReply && l.Error == "rate_limit" {
			ov.RateLimits++
		}
	}
	total, byPart := llm.Tally(lines, func(s llm.Spend) string { return s.Partition })
	_, byNode := llm.Tally(lines, func(s llm.Spend) string { return s.Node })
	ov.Total = total
	for _, id := range order {
		p := parts[id]
		if s := byPart[id]; s != nil {
			p.Spent = *s
		}
		ov.Partitions = append(ov.Partitions, *p)
	}
	for n := range byNode {
		if n != "" && !slices.Contains(nodeOrder, n) {
			nodeOrder = append(nodeOrder, n)
		}
	}
	for _, n := range nodeOrder {
		nv := NodeView{Node: n, Estimate: estimates[n]}
		if s := byNode[n]; s != nil {
			nv.Spent = *s
		}
		if n == "total" && byNode[n] == nil {
			nv.Spent = total // the estimate's total line
		}
		ov.Nodes = append(ov.Nodes, nv)
	}
	return ov, nil
}

// runPipelines caches runPipeline by journal path: a journal's
// run_start event is written once and never changes, and the live
// signature lists the runs at every poll.
var runPipelines sync.Map // journal path → pipeline name

// runPipeline is the pipeline named by the run_start event of run id's
// journal ("" when it has none yet); it reads up to that event only.
func runPipeline(storeDir, id string) string {
	p := filepath.Join(storeDir, "runs", id, "journal.jsonl")
	if name, ok := runPipelines.Load(p); ok {
		return name.(string)
	}
	name := readRunPipeline(p)
	if name != "" {
		runPipelines.Store(p, name)
	}
	return name
}

// readRunPipeline reads the pipeline of journal p's run_start event.
func readRunPipeline(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		if !strings.Contains(sc.Text(), `"run_start"`) {
			continue
		}
		var e struct {
			Event    string `json:"event"`
			Pipeline string `json:"pipeline"`
		}
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Event == "run_start" {
			return e.Pipeline
		}
	}
	return ""
}

func readJSONL(p string, fn func([]byte)) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		fn(sc.Bytes())
	}
	return sc.Err()
}

// waitingEvent reports whether a journal event is a partition waiting on
// provider batches (run --no-wait) or not started because of one: its
// error says why, but it is not a failure.
func waitingEvent(event string) bool {
	return event == "waiting" || event == "not_started"
}
