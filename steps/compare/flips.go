package compare

import (
	"slices"
)

// Absent labels a record that one side does not have, in the flip matrix.
const Absent = "(absent)"

// verdictOrder is the order of the matrix's labels: the three verdicts,
// then any other value (ERROR, ...) sorted, then Absent.
var verdictOrder = []string{"PASS", "FAIL", "AMBIGUOUS"}

// FlipMatrix counts records by their verdict in A (rows) and in B
// (columns). Records only one side has are counted in the Absent row or
// column.
type FlipMatrix struct {
	Labels []string `json:"labels"`
	// Counts[i][j] is the number of records with verdict Labels[i] in A and
	// Labels[j] in B.
	Counts [][]int `json:"counts"`
	// Matched counts records both sides have; Changed those of them whose
	// verdict differs.
	Matched int `json:"matched"`
	Changed int `json:"changed"`
	OnlyA   int `json:"only_a"`
	OnlyB   int `json:"only_b"`
	// Examples are the first changed records (at most maxExamples).
	Examples []Flip `json:"examples,omitempty"`
}

// Flip is one matched record whose verdict changed.
type Flip struct {
	Record RecordKey `json:"record"`
	A      string    `json:"a"`
	B      string    `json:"b"`
}

const maxExamples = 20

// Flips builds the flip matrix of two sides' records. orderA and orderB
// give the records' reading order, which the examples follow.
func Flips(a, b map[RecordKey]record, orderA, orderB []RecordKey) *FlipMatrix {
	m := &FlipMatrix{Labels: labels(a, b)}
	idx := make(map[string]int, len(m.Labels))
	for i, l := range m.Labels {
		idx[l] = i
	}
	m.Counts = make([][]int, len(m.Labels))
	for i := range m.Counts {
		m.Counts[i] = make([]int, len(m.Labels))
	}
	for _, k := range orderA {
		va := verdictLabel(a[k].verdict)
		rb, ok := b[k]
		if !ok {
			m.OnlyA++
			m.Counts[idx[va]][idx[Absent]]++
			continue
		}
		vb := verdictLabel(rb.verdict)
		m.Matched++
		m.Counts[idx[va]][idx[vb]]++
		if va != vb {
			m.Changed++
			if len(m.Examples) < maxExamples {
				m.Examples = append(m.Examples, Flip{Record: k, A: va, B: vb})
			}
		}
	}
	for _, k := range orderB {
		if _, ok := a[k]; !ok {
			m.OnlyB++
			m.Counts[idx[Absent]][idx[verdictLabel(b[k].verdict)]]++
		}
	}
	return m
}

// Count returns the number of records with verdict va in A and vb in B.
func (m *FlipMatrix) Count(va, vb string) int {
	i, j := slices.Index(m.Labels, va), slices.Index(m.Labels, vb)
	if i < 0 || j < 0 {
		return 0
	}
	return m.Counts[i][j]
}

func verdictLabel(v string) string {
	if v == "" {
		return "(none)"
	}
	return v
}

// labels lists the verdicts present, in verdictOrder, then Absent.
func labels(a, b map[RecordKey]record) []string {
	other := map[string]bool{}
	for _, m := range []map[RecordKey]record{a, b} {
		for _, r := range m {
			if v := verdictLabel(r.verdict); !slices.Contains(verdictOrder, v) {
				other[v] = true
			}
		}
	}
	out := slices.Clone(verdictOrder)
	var extra []string
	for v := range other {
		extra = append(extra, v)
	}
	slices.Sort(extra)
	return append(append(out, extra...), Absent)
}
