package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sptflow/sptflow/llm"
)

func TestCountCalls(t *testing.T) {
	dir := t.TempDir()
	l, err := llm.OpenLedger(filepath.Join(dir, spendFile), func(context.Context) (string, string) { return "p", "n" })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, s := range []llm.Spend{
		{Event: llm.SpendSent, Key: "a"},
		{Event: llm.SpendReply, Key: "a", OK: true, Served: "sim/qwen"},
		{Event: llm.SpendStored, Key: "a"},
		{Event: llm.SpendServed, Key: "a", Served: "sim/qwen"},                  // a repeat of this run's request, found stored
		{Event: llm.SpendServed, Key: "b", Served: "fake/claude", Shared: true}, // shared in flight
		{Event: llm.SpendServed, Key: "c", Served: "claude-opus", CostUSD: 0.5}, // bought by an earlier run
		{Event: llm.SpendSent, Key: "d"},
		{Event: llm.SpendReply, Key: "d", Served: "gpt", Error: llm.KindServer}, // failed: no reply counted
		{Event: llm.SpendReply, Key: "e", OK: true, Served: "gpt"},
	} {
		l.Note(ctx, s)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got := countCalls(dir)
	want := ledgerCalls{replies: 5, simulated: 3, stored: 1, storedUSD: 0.5, shared: 2}
	if got != want {
		t.Errorf("countCalls: got %+v, want %+v", got, want)
	}
	lines := servedLines(llm.Totals{Cached: 3, SavedUSD: 0.5}, got)
	wantLines := []string{
		"2 identical requests shared: sent once in this run, the reply served each repeat (counted as cached)",
		"served 1 from the store, saved $0.5000",
	}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("servedLines: got %q, want %q", lines, wantLines)
	}
	if got := servedLines(llm.Totals{Cached: 2, SavedUSD: 0.25}, ledgerCalls{}); !slices.Equal(got, []string{"served 2 from the store, saved $0.2500"}) {
		t.Errorf("servedLines without a ledger: got %q", got)
	}
}

func TestOutcomePrint(t *testing.T) {
	o := runOutcome{dataDir: "data/demo", reports: []string{"data/demo/stage_3_analysis/report.html"},
		train: []trainingSet{{dir: "data/demo/export", train: 1}}, calls: ledgerCalls{replies: 4, simulated: 4}}
	var b bytes.Buffer
	o.print(&b)
	want := `outputs: data/demo
report: data/demo/stage_3_analysis/report.html
training set: 1 sample (1 train, 0 validation) in data/demo/export
simulated: 4 of 4 LLM replies came from simulated models (sim provider or sptflow fake), not real ones
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	runOutcome{dataDir: "out", calls: ledgerCalls{replies: 3}}.print(&b)
	if got := b.String(); got != "outputs: out\n" {
		t.Errorf("no simulated replies: got %q, want only the outputs line", got)
	}
}
