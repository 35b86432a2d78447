package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
)

// spendFile is the name of a run's spend ledger in its run directory: one
// line per HTTP request sent, per provider call ended (with the usage and
// cost its response reported) and per call served from the request store.
// It is written as the run goes, so `sptflow log` reports what a run sent
// and was billed however it ended (Ctrl-C, kill -9, a failed partition).
const spendFile = "spend.jsonl"

// openSpendLedger opens the ledger of the run in dir; each line names the
// partition and node whose step made the call.
func openSpendLedger(dir string) (*llm.FileLedger, error) {
	return llm.OpenLedger(filepath.Join(dir, spendFile), func(ctx context.Context) (string, string) {
		id, node := engine.PartitionOf(ctx)
		return string(id), node
	})
}

// runSpend is what one run sent and was billed, from its ledger.
type runSpend struct {
	total  llm.Spent
	models map[string]*llm.Spent // by model entry
	nodes  map[string]*llm.Spent // by node ("" for calls outside a step)
	served map[string][]string   // served models by node
}

// readSpend reads and adds up the ledger of the run in dir; ok is false
// when the run has none (it made no call, or predates ledgers).
// stored (may be nil) says whether the request store holds a response
// this run paid for: a good reply whose stored line a kill cut off counts
// as stored when it does (llm.StoredAfterAll).
func readSpend(dir string, stored func(run string) func(llm.RequestKey) bool) (runSpend, bool, error) {
	lines, err := llm.ReadLedger(filepath.Join(dir, spendFile))
	if err != nil || len(lines) == 0 {
		return runSpend{}, false, err
	}
	if stored != nil {
		lines = append(lines, llm.StoredAfterAll(lines, stored(filepath.Base(dir)))...)
	}
	var s runSpend
	s.total, s.models = llm.Tally(lines, func(l llm.Spend) string { return l.Model })
	_, s.nodes = llm.Tally(lines, func(l llm.Spend) string { return l.Node })
	s.served = map[string][]string{}
	for _, l := range lines {
		if l.Served != "" && (l.OK || l.Event == llm.SpendServed) && !slices.Contains(s.served[l.Node], l.Served) {
			s.served[l.Node] = append(s.served[l.Node], l.Served)
		}
	}
	return s, true, nil
}

// spentUsage is a ledger total in the journal's terms: calls stored (new),
// served from the store (cached) and failed provider calls.
func spentUsage(t llm.Spent, served []string) engine.Usage {
	return engine.Usage{Requests: int(t.Stored), Cached: int(t.Served), Failed: int(t.FailedCalls),
		InputTokens: t.Usage.InputTokens, OutputTokens: t.Usage.OutputTokens,
		CacheRead: t.Usage.CacheReadTokens, CacheWrite: t.Usage.CacheWriteTokens,
		CostUSD: t.CostUSD, ServedModels: slices.Sorted(slices.Values(served))}
}

// allServed is every served model of the run.
func (s runSpend) allServed() []string {
	var out []string
	for _, ms := range s.served {
		for _, m := range ms {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// nodeTotals are the ledger's per-node totals, sorted by node name.
func (s runSpend) nodeTotals() []nodeTotal {
	var out []nodeTotal
	for node, t := range s.nodes {
		name := node
		if name == "" {
			name = "(outside any node)"
		}
		out = append(out, nodeTotal{node: name, Usage: spentUsage(*t, s.served[node]), spent: t})
	}
	slices.SortFunc(out, func(a, b nodeTotal) int { return strings.Compare(a.node, b.node) })
	return out
}

// printSpendDetail prints what the "calls ... new, ... cached" figures do
// not say: the HTTP requests sent, calls left in flight, the part paid for
// responses that were not stored, and what the store saved.
func printSpendDetail(w io.Writer, indent string, t llm.Spent) {
	s := fmt.Sprintf("%srequests sent %d", indent, t.Requests)
	if t.InFlight > 0 {
		s += fmt.Sprintf(" (%d in flight when the run stopped: sent, reply never received)", t.InFlight)
	}
	if t.CutOff > 0 {
		s += fmt.Sprintf(" (%d cut off when the run stopped them, at an interrupt or as their partition failed: sent, reply abandoned, billing unknown; the next run asks them again)", t.CutOff)
	}
	if t.Lost > 0 {
		s += fmt.Sprintf("; %d good responses paid for and not stored (the run stopped first; the next run buys them again)", t.Lost)
	}
	if t.FailedUsage != (llm.Usage{}) || t.FailedCostUSD > 0 {
		s += fmt.Sprintf("; paid for responses not stored: tokens %d in, %d out, $%.4f",
			t.FailedUsage.InputTokens, t.FailedUsage.OutputTokens, t.FailedCostUSD)
	}
	fmt.Fprintln(w, s)
	if t.BatchResults > 0 {
		fmt.Fprintf(w, "%sbatch API: %d results, $%.4f (online price $%.4f, saved $%.4f)\n", indent,
			t.BatchResults, t.BatchCostUSD, t.BatchListUSD, t.BatchListUSD-t.BatchCostUSD)
	}
	if t.Served > 0 {
		fmt.Fprintf(w, "%s%s\n", indent, savedText(t.Served, t.SavedUSD))
	}
}

// nodeBatchText words a node's batch-API spending beside its online
// spending ("" when it has no batch result): "batch API: 5 results
// $0.0550 (online price $0.1100, saved $0.0550); online calls $0.0220".
func nodeBatchText(t *llm.Spent) string {
	if t == nil || t.BatchResults == 0 {
		return ""
	}
	s := fmt.Sprintf("batch API: %d results $%.4f (online price $%.4f, saved $%.4f); online calls $%.4f",
		t.BatchResults, t.BatchCostUSD, t.BatchListUSD, t.BatchListUSD-t.BatchCostUSD, t.CostUSD-t.BatchCostUSD)
	if t.Canaries > 0 {
		s += fmt.Sprintf(" (%d canaries)", t.Canaries)
	}
	return s
}

// savedText is "served N from the store, saved $X".
func savedText(n int64, usd float64) string {
	return fmt.Sprintf("served %d from the store, saved $%.4f", n, usd)
}

// logJSON is one run of `sptflow log --json`.
type logJSON struct {
	ID         string                `json:"id"`
	Pipeline   string                `json:"pipeline"`
	Args       []string              `json:"args"`
	Start      string                `json:"start"`
	End        string                `json:"end,omitempty"`
	Finished   bool                  `json:"finished"`
	Partitions engine.Counts         `json:"partitions"`
	Source     string                `json:"llm_source,omitempty"` // "ledger" or "journal"
	LLM        *llm.Spent            `json:"llm,omitempty"`
	Models     map[string]*llm.Spent `json:"models,omitempty"`
	Nodes      map[string]*llm.Spent `json:"nodes,omitempty"`
	Failures   []logFailure          `json:"failures,omitempty"`
	// Waiting are the partitions that ended waiting on provider batches
	// (run --no-wait), with the batches in flight; not failures.
	Waiting []logFailure `json:"waiting,omitempty"`
	// SealedWithFailures are the partitions sealed with failed rows
	// (with.max_failed_rows), asked again by the next run.
	SealedWithFailures []logSealed `json:"sealed_with_failures,omitempty"`
}

type logSealed struct {
	Partition  engine.PartitionID `json:"partition"`
	FailedRows int                `json:"failed_rows"`
}

type logFailure struct {
	Partition engine.PartitionID `json:"partition"`
	Error     string             `json:"error"`
}

// jsonRun renders one run for --json. Runs without a ledger report the
// executed partitions' usage from the journal.
func jsonRun(r runEntry) logJSON {
	j := logJSON{ID: r.ID, Pipeline: r.Pipeline, Args: r.Args, Finished: !r.End.IsZero(), Partitions: r.Counts}
	if !r.Start.IsZero() {
		j.Start = r.Start.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	if j.Finished {
		j.End = r.End.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	for _, f := range r.Failures {
		j.Failures = append(j.Failures, logFailure{f.Partition, f.Error})
	}
	for _, f := range r.Waiting {
		j.Waiting = append(j.Waiting, logFailure{f.Partition, f.Error})
	}
	for _, f := range r.SealedWithFailures {
		j.SealedWithFailures = append(j.SealedWithFailures, logSealed{f.Partition, f.FailedRows})
	}
	switch {
	case r.spend != nil:
		t := r.spend.total
		j.Source, j.LLM, j.Models, j.Nodes = "ledger", &t, r.spend.models, r.spend.nodes
	case r.Usage.Requests+r.Usage.Cached+r.Usage.Failed > 0:
		u := r.Usage
		j.Source = "journal"
		j.LLM = &llm.Spent{Stored: int64(u.Requests), Served: int64(u.Cached), CostUSD: u.CostUSD,
			Usage: llm.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
				CacheReadTokens: u.CacheRead, CacheWriteTokens: u.CacheWrite}}
	}
	return j
}
