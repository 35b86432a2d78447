package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/sptflow/sptflow/engine"
)

// runEstimate is the price of a run before it starts: per node and in total,
// over the partitions that would execute.
type runEstimate struct {
	nodes []engine.NodeEstimate
	total engine.NodeEstimate
	sts   []engine.PartitionStatus
	keep  func(engine.PartitionID) bool
}

// estimateRun prices the partitions of sts that keep accepts (all when
// keep is nil) and are not up to date.
func estimateRun(ctx context.Context, eng *engine.Engine, sts []engine.PartitionStatus, keep func(engine.PartitionID) bool) *runEstimate {
	eng.Estimate(ctx, sts)
	nodes, total := engine.EstimateByNode(sts, keep)
	return &runEstimate{nodes: nodes, total: total, sts: sts, keep: keep}
}

// short renders an estimate on one line: requests (and those the request
// store answers), tokens and dollars.
func (re *runEstimate) short(x *engine.Estimate) string {
	if x == nil {
		return "not priced"
	}
	if x.Requests.High == 0 && x.Cached == 0 {
		return "no LLM requests"
	}
	s := fmt.Sprintf("%s requests", rangeText(x.Requests))
	if x.Cached > 0 {
		s += fmt.Sprintf(" (+%s from the request store)", num(x.Cached))
	}
	if x.Requests.High == 0 {
		return s + ", $0"
	}
	s += fmt.Sprintf(", tokens %s in", rangeText(x.InputTokens))
	if x.CacheRead.High > 0 {
		s += fmt.Sprintf(" (%s cached)", rangeText(x.CacheRead))
	}
	s += fmt.Sprintf(", %s out, %s", rangeText(x.OutputTokens), dollars(x.CostUSD))
	return s
}

// print writes the estimate per node, the total, what the figures rest on
// and what could not be priced.
func (re *runEstimate) print(w io.Writer, needKeys []string) {
	if re.total.Partitions == 0 {
		return
	}
	fmt.Fprintln(w, "estimate of what would run, per node:")
	width := 0
	for _, n := range re.nodes {
		width = max(width, len(n.Node))
	}
	for _, n := range re.nodes {
		x := n.Estimate
		fmt.Fprintf(w, "  %-*s  %3d partitions: %s%s\n", width, n.Node, n.Partitions, re.short(&x), unpricedText(n))
	}
	x := re.total.Estimate
	atLeast := ""
	if re.total.Unpriced > 0 {
		atLeast = "at least "
	}
	fmt.Fprintf(w, "total: %d partitions would run: %s%s%s\n", re.total.Partitions, atLeast, re.short(&x), unpricedText(re.total))
	for _, b := range x.Basis {
		fmt.Fprintf(w, "  basis: %s\n", b)
	}
	for _, st := range re.sts {
		if st.State != engine.UpToDate && st.Estimate == nil && (re.keep == nil || re.keep(st.ID)) {
			fmt.Fprintf(w, "  not priced: %s: %v\n", st.ID, st.EstimateErr)
		}
	}
	if len(needKeys) > 0 {
		fmt.Fprintf(w, "a real run needs %s (prices need no key)\n", strings.Join(needKeys, ", "))
	}
}

func unpricedText(n engine.NodeEstimate) string {
	if n.Unpriced == 0 {
		return ""
	}
	return fmt.Sprintf("; %d partitions not priced", n.Unpriced)
}

// envNeeds lists the API-key variables the partitions ids need, each
// marked "(not set)" when the environment lacks it.
func envNeeds(eng *engine.Engine, ids []engine.PartitionID) []string {
	var names []string
	for _, id := range ids {
		for _, v := range eng.Plan(id).Env {
			if !slices.Contains(names, v) {
				names = append(names, v)
			}
		}
	}
	slices.Sort(names)
	for i, v := range names {
		if os.Getenv(v) == "" {
			names[i] += " (not set)"
		}
	}
	return names
}

// rangeText renders "n" or "low–high".
func rangeText(r engine.Range) string {
	if r.Low == r.High {
		return num(r.Low)
	}
	return num(r.Low) + "–" + num(r.High)
}

// dollars renders "$x" or "$low–high".
func dollars(d engine.Dollars) string {
	if fmt.Sprintf("%.2f", d.Low) == fmt.Sprintf("%.2f", d.High) {
		return fmt.Sprintf("$%.2f", d.High)
	}
	return fmt.Sprintf("$%.2f–%.2f", d.Low, d.High)
}

// num renders n with thousands separators.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + num(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
