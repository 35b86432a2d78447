package llm_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sptflow/sptflow/llm"
)

// TestLedgerTally writes a ledger as a killed run leaves it — a stored
// call, a call whose unusable reply was paid for and retried, a call still
// in flight, one whose good reply was paid for and not stored yet, one
// served from the store, and a torn last line — and reads it back.
func TestLedgerTally(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spend.jsonl")
	l, err := llm.OpenLedger(path, func(context.Context) (string, string) { return "gen@a", "gen" })
	if err != nil {
		t.Fatal(err)
	}
	u := func(in, out int64) llm.Usage { return llm.Usage{InputTokens: in, OutputTokens: out} }
	for _, s := range []llm.Spend{
		{Event: llm.SpendSent, Call: 1, Model: "opus"},
		{Event: llm.SpendReply, Call: 1, Model: "opus", OK: true, Usage: u(100, 10), CostUSD: 1},
		{Event: llm.SpendStored, Call: 1, Model: "opus"},
		{Event: llm.SpendSent, Call: 5, Model: "opus"},
		{Event: llm.SpendReply, Call: 5, Model: "opus", OK: true, Usage: u(10, 1), CostUSD: 0.25},
		{Event: llm.SpendSent, Call: 2, Model: "opus"},
		{Event: llm.SpendReply, Call: 2, Model: "opus", Error: llm.KindTruncated, Usage: u(100, 50), CostUSD: 2},
		{Event: llm.SpendSent, Call: 3, Model: "opus"},
		{Event: llm.SpendReply, Call: 3, Model: "opus", Error: llm.KindServer},
		{Event: llm.SpendSent, Call: 4, Model: "qwen"},
		{Event: llm.SpendServed, Model: "qwen", Usage: u(7, 7), CostUSD: 0.5},
	} {
		l.Note(t.Context(), s)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(`{"e":"reply","call":4,"usage":{"input_tok`)
	f.Close()

	lines, err := llm.ReadLedger(path)
	if err != nil || len(lines) != 11 || lines[0].Partition != "gen@a" || lines[0].Node != "gen" {
		t.Fatalf("read %d lines (%v), first %+v; want 11 labelled gen@a", len(lines), err, lines[0])
	}
	total, by := llm.Tally(lines, func(s llm.Spend) string { return s.Model })
	want := llm.Spent{Requests: 5, InFlight: 1, Stored: 1, Lost: 1, FailedCalls: 2, Usage: u(210, 61), CostUSD: 3.25,
		FailedUsage: u(100, 50), FailedCostUSD: 2, Served: 1, SavedUSD: 0.5}
	if total != want {
		t.Errorf("total:\n got %+v\nwant %+v", total, want)
	}
	if q := by["qwen"]; q == nil || q.InFlight != 1 || q.Requests != 1 || q.Served != 1 || by["opus"].InFlight != 0 {
		t.Errorf("by model: qwen %+v, opus %+v; want qwen's call in flight", q, by["opus"])
	}
}

// TestStoredAfterAll: a good reply whose stored line a kill cut off is
// counted as stored when the request store holds it from this run, and
// stays lost when it does not.
func TestStoredAfterAll(t *testing.T) {
	var kept, gone llm.RequestKey
	kept[0], gone[0] = 1, 2
	lines := []llm.Spend{
		{Event: llm.SpendSent, Call: 1, Key: kept.String(), Model: "opus", Node: "gen"},
		{Event: llm.SpendReply, Call: 1, Key: kept.String(), Model: "opus", Node: "gen", OK: true, CostUSD: 1},
		{Event: llm.SpendSent, Call: 2, Key: gone.String(), Model: "opus", Node: "gen"},
		{Event: llm.SpendReply, Call: 2, Key: gone.String(), Model: "opus", Node: "gen", OK: true, CostUSD: 1},
	}
	before, _ := llm.Tally(lines, nil)
	if before.Lost != 2 || before.Stored != 0 {
		t.Fatalf("the ledger alone: lost %d, stored %d; want 2, 0", before.Lost, before.Stored)
	}
	asked := 0
	extra := llm.StoredAfterAll(lines, func(k llm.RequestKey) bool { asked++; return k == kept })
	after, byNode := llm.Tally(append(lines, extra...), func(l llm.Spend) string { return l.Node })
	if after.Lost != 1 || after.Stored != 1 || byNode["gen"].Stored != 1 || asked != 2 {
		t.Errorf("with the store: lost %d, stored %d (node gen: %d), store asked %d times; want 1, 1, 1, 2", after.Lost, after.Stored, byNode["gen"].Stored, asked)
	}
	stored := append(lines, llm.Spend{Event: llm.SpendStored, Call: 1, Key: kept.String(), Model: "opus"})
	if extra := llm.StoredAfterAll(stored, func(k llm.RequestKey) bool { return k == kept }); len(extra) != 0 {
		t.Errorf("a reply with its stored line: got %d more lines, want none", len(extra))
	}
}

// TestTallyCutOff: a call an interrupt cut off is neither failed nor in
// flight: it is counted apart, its billing unknown.
func TestTallyCutOff(t *testing.T) {
	lines := []llm.Spend{
		{Event: llm.SpendSent, Call: 1, Model: "opus"},
		{Event: llm.SpendReply, Call: 1, Model: "opus", Error: "cancelled"},
		{Event: llm.SpendSent, Call: 2, Model: "opus"},
		{Event: llm.SpendReply, Call: 2, Model: "opus", Error: llm.KindServer},
	}
	total, _ := llm.Tally(lines, nil)
	if total.CutOff != 1 || total.FailedCalls != 1 || total.InFlight != 0 || total.Requests != 2 {
		t.Errorf("got cut off %d, failed %d, in flight %d, sent %d; want 1, 1, 0, 2", total.CutOff, total.FailedCalls, total.InFlight, total.Requests)
	}
}
