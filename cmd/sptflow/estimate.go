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

// priced reports whether anything that would run calls a model (or could
// not be priced): otherwise there is nothing to print.
func (re *runEstimate) priced() bool {
	x := re.total.Estimate
	return x.Requests.High+x.Cached > 0 || re.total.Unpriced > 0
}

// suffix is "; " and the short estimate of x, or "" when the run calls
// no model.
func (re *runEstimate) suffix(x *engine.Estimate) string {
	if !re.priced() {
		return ""
	}
	return "; " + re.short(x)
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
	if !re.priced() {
		return
	}
	fmt.Fprintln(w, "estimate of what would run, per node:")
	width := 0
	for _, n := range re.nodes {
		width = max(width, len(n.Node))
	}
	for _, n := range re.nodes {
		x := n.Estimate
		fmt.Fprintf(w, "  %-*s  %s: %s%s\n", width, n.Node, plural(n.Partitions, "partition"), re.short(&x), unpricedText(n))
	}
	x := re.total.Estimate
	atLeast := ""
	if re.total.Unpriced > 0 {
		atLeast = "at least "
	}
	fmt.Fprintf(w, "total: %s would run: %s%s%s\n", plural(re.total.Partitions, "partition"), atLeast, re.short(&x), unpricedText(re.total))
	for _, b := range x.Basis {
		fmt.Fprintf(w, "  basis: %s\n", b)
	}
	for _, st := range re.sts {
		if st.WillRun() && st.Estimate == nil && (re.keep == nil || re.keep(st.ID)) {
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
	return fmt.Sprintf("; %s not priced", plural(n.Unpriced, "partition"))
}

// plural renders "1 partition" or "n partitions".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
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

// printEstimateVsActual prints, for a run that recorded an estimate, the
// estimate of each node beside what the node sent and cost.
func printEstimateVsActual(w io.Writer, r runEntry) {
	if len(r.Estimates) == 0 {
		return
	}
	fmt.Fprintln(w, "    estimate vs actual:")
	actual := map[string]engine.Usage{}
	var total engine.Usage
	for _, n := range r.nodes {
		actual[n.node] = n.Usage
		total.Add(n.Usage)
	}
	for _, ne := range r.Estimates {
		u := actual[ne.Node]
		if ne.Node == "total" {
			u = total
		}
		x := ne.Estimate
		if x.Requests.High+x.Cached == 0 && u.Requests+u.Cached == 0 {
			continue
		}
		fmt.Fprintf(w, "      %s: estimated %s requests, %s; actual %d requests (+%d from the request store), $%.2f\n",
			ne.Node, rangeText(x.Requests), dollars(x.CostUSD), u.Requests, u.Cached, u.CostUSD)
	}
}
