package compare

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/steps/report"
)

// Diff is a whole `sptflow diff`: the two sides named, their partitions
// compared by node key, and their data compared.
type Diff struct {
	A          string                 `json:"a"`
	B          string                 `json:"b"`
	Partitions []engine.PartitionDiff `json:"partitions"`
	Data       *Report                `json:"data,omitempty"`
	// Notes say what was not compared (when there is no data comparison).
	Notes []string `json:"notes,omitempty"`
}

// Counts returns how many partitions are in each state.
func (d *Diff) Counts() map[engine.DiffState]int {
	c := map[engine.DiffState]int{}
	for _, p := range d.Partitions {
		c[p.State]++
	}
	return c
}

// stateLabel is a state for people.
func stateLabel(s engine.DiffState) string {
	switch s {
	case engine.DiffSameBytes:
		return "same data"
	case engine.DiffOnlyA:
		return "only in A"
	case engine.DiffOnlyB:
		return "only in B"
	}
	return string(s)
}

// WriteText writes the diff for a terminal: the partitions that differ and
// why, then the data.
func (d *Diff) WriteText(w io.Writer) {
	fmt.Fprintf(w, "A: %s\nB: %s\n\n", d.A, d.B)
	c := d.Counts()
	fmt.Fprintf(w, "partitions: %d compared: %d same, %d changed (%d of them with the same data), %d only in A, %d only in B, %d unknown\n",
		len(d.Partitions), c[engine.DiffSame], c[engine.DiffChanged]+c[engine.DiffSameBytes], c[engine.DiffSameBytes],
		c[engine.DiffOnlyA], c[engine.DiffOnlyB], c[engine.DiffUnknown])
	for _, p := range d.Partitions {
		if p.State == engine.DiffSame {
			continue
		}
		fmt.Fprintf(w, "  %-10s %s\n", stateLabel(p.State), p.ID)
		for _, why := range p.Why {
			fmt.Fprintf(w, "      %s\n", why)
		}
	}
	if d.Data != nil {
		fmt.Fprintln(w)
		d.Data.WriteText(w)
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// WriteText writes the data comparison.
func (r *Report) WriteText(w io.Writer) {
	f := r.Flips
	fmt.Fprintf(w, "stage-3 records (%s output): A %d, B %d; matched %d, only in A %d, only in B %d\n",
		r.Source, r.A.Records, r.B.Records, f.Matched, f.OnlyA, f.OnlyB)
	var vs []string
	for _, v := range r.VerdictDeltas() {
		vs = append(vs, fmt.Sprintf("%s %d → %d (%+d)", v.Name, v.A, v.B, v.Delta))
	}
	if len(vs) > 0 {
		fmt.Fprintf(w, "verdicts: %s\n", strings.Join(vs, ", "))
	}
	fmt.Fprintf(w, "verdict flips: %d of %d matched records changed verdict (rows A, columns B)\n", f.Changed, f.Matched)
	writeMatrix(w, f)
	writeTags(w, r.Tags)
	if r.A.Export != nil && r.B.Export != nil {
		a, b := r.A.Export, r.B.Export
		fmt.Fprintf(w, "export: train %d → %d (%+d), validation %d → %d (%+d)\n",
			a.Train, b.Train, b.Train-a.Train, a.Validation, b.Validation, b.Validation-a.Validation)
	}
	if r.A.Reviews != nil || r.B.Reviews != nil {
		fmt.Fprintf(w, "stage-3 reviews: A %s; B %s", reviewText(r.A.Reviews), reviewText(r.B.Reviews))
		if r.A.Reviews != nil && r.B.Reviews != nil {
			fmt.Fprintf(w, "; acceptance %+.1f points", 100*(r.B.Reviews.Rate()-r.A.Reviews.Rate()))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "cost: A %s; B %s; %+.4f USD\n", usageText(r.A.Usage), usageText(r.B.Usage), r.B.Usage.DataCostUSD()-r.A.Usage.DataCostUSD())
	for _, n := range nodesOf(r) {
		a, b := r.A.ByNode[n], r.B.ByNode[n]
		if a != b {
			fmt.Fprintf(w, "  %-12s $%.4f → $%.4f, %d → %d requests\n", n, a.DataCostUSD(), b.DataCostUSD(), a.Requests, b.Requests)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func writeMatrix(w io.Writer, f *FlipMatrix) {
	const first = 12
	fmt.Fprintf(w, "  %-*s", first, "A \\ B")
	for _, l := range f.Labels {
		fmt.Fprintf(w, " %10s", l)
	}
	fmt.Fprintln(w)
	for i, l := range f.Labels {
		fmt.Fprintf(w, "  %-*s", first, l)
		for j := range f.Labels {
			fmt.Fprintf(w, " %10d", f.Counts[i][j])
		}
		fmt.Fprintln(w)
	}
}

func writeTags(w io.Writer, tags []CountDelta) {
	if tags == nil {
		return
	}
	same := 0
	var changed []CountDelta
	for _, t := range tags {
		if t.Delta == 0 {
			same++
		} else {
			changed = append(changed, t)
		}
	}
	fmt.Fprintf(w, "tag counts: %d changed, %d unchanged\n", len(changed), same)
	for _, t := range changed {
		fmt.Fprintf(w, "  %-56s %5d → %-5d %+d\n", t.Name, t.A, t.B, t.Delta)
	}
}

func reviewText(r *Reviews) string {
	if r == nil {
		return "not recorded"
	}
	return fmt.Sprintf("%d made, %d accepted (%.1f%%)", r.Made, r.Accepted, 100*r.Rate())
}

// usageText is a side's cost: what its outputs' responses cost, and, when
// some were served from the request store, how much of it its runs paid.
func usageText(u Usage) string {
	paid := ""
	if u.ServedCostUSD != 0 {
		paid = fmt.Sprintf(", $%.4f of it paid by the runs that sealed them", u.CostUSD)
	}
	return fmt.Sprintf("$%.4f (%d requests, %d cached%s; %s in / %s out tokens)", u.DataCostUSD(), u.Requests, u.Cached, paid,
		report.Int(u.InputTokens), report.Int(u.OutputTokens))
}

// nodesOf lists the nodes either side has usage for, sorted.
func nodesOf(r *Report) []string {
	var ns []string
	for _, m := range []map[string]Usage{r.A.ByNode, r.B.ByNode} {
		for n := range m {
			if !slices.Contains(ns, n) {
				ns = append(ns, n)
			}
		}
	}
	slices.Sort(ns)
	return ns
}

// VerdictDeltas compares the verdict counts, in the flip matrix's order.
func (r *Report) VerdictDeltas() []CountDelta {
	var out []CountDelta
	for _, l := range r.Flips.Labels {
		a, b := r.A.Verdicts[l], r.B.Verdicts[l]
		if l != Absent && a+b > 0 {
			out = append(out, CountDelta{Name: l, A: a, B: b, Delta: b - a})
		}
	}
	return out
}
