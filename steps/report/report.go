// Package report renders human-readable reports for the analysis steps
// (analyze, analyze_eval): a Document of titled sections holding paragraphs,
// tables and charts, rendered as Markdown or as one self-contained HTML page.
//
// The HTML page needs no network: CSS is inline, charts are inline SVG drawn
// here, and a few lines of inline JavaScript make tables sortable by clicking
// a header. Colours come from the Okabe-Ito palette, which stays readable for
// the common forms of colour blindness. Header cells of tables wrap, so a
// table of a dozen numeric columns fits a 1400 px window without scrolling
// sideways; a bar chart's category labels longer than 52 characters wrap
// onto two lines instead of being cut (TestHTMLLayoutInChromium checks both
// in headless Chromium when SPT_BROWSER_TESTS is set). Rendering is
// deterministic: the same Document always gives the same bytes.
package report

import (
	"math"
	"strconv"
	"strings"
)

// Document is a report: a title, an optional introduction and sections.
type Document struct {
	Title    string
	Intro    []string // paragraphs shown under the title
	Sections []*Section
}

// Section is a titled part of a document holding blocks in order.
type Section struct {
	Title  string
	Blocks []Block
}

// Block is one element of a section: Paragraph, *Table, *BarChart or *Histogram.
type Block interface{ block() }

// Paragraph is a block of plain text (escaped in HTML, written as is in Markdown).
type Paragraph string

// Column describes a table column. Numeric columns are right-aligned and
// sort numerically in the HTML page.
type Column struct {
	Name    string
	Numeric bool
}

// Table is a table of preformatted cells. Rows shorter than Columns are
// padded with empty cells.
type Table struct {
	Caption string
	Columns []Column
	Rows    [][]string
}

// Series is one named series of a bar chart: one value per category.
// Color, when set, overrides the palette colour (a CSS colour).
type Series struct {
	Name   string
	Values []float64
	Color  string
}

// BarChart is a horizontal bar chart: one group of bars per category, one
// bar per series, or one stacked bar per category when Stacked is set.
type BarChart struct {
	Title      string
	Categories []string
	Series     []Series
	Stacked    bool
	// ValueLabel names the value axis ("records", "% of records").
	ValueLabel string
	// CategoryLabel names the category axis ("topic").
	CategoryLabel string
	// Max fixes the end of the value axis (100 for percentages); 0 picks a
	// round value above the data.
	Max float64
}

// Bin is one bar of a histogram.
type Bin struct {
	Label string // e.g. "[100, 500)"
	Count float64
}

// Histogram is a vertical bar chart of counts over ordered bins.
type Histogram struct {
	Title  string
	Bins   []Bin
	XLabel string
	YLabel string
	Color  string // optional CSS colour
}

func (Paragraph) block()  {}
func (*Table) block()     {}
func (*BarChart) block()  {}
func (*Histogram) block() {}

// Add appends a new section with the given title and blocks and returns it.
func (d *Document) Add(title string, blocks ...Block) *Section {
	s := &Section{Title: title, Blocks: blocks}
	d.Sections = append(d.Sections, s)
	return s
}

// Add appends blocks to the section.
func (s *Section) Add(blocks ...Block) { s.Blocks = append(s.Blocks, blocks...) }

// HistogramOf counts values into bins delimited by edges: bin i holds
// edges[i] <= v < edges[i+1]; values below edges[0] and at or above the last
// edge fall in the first and last bins respectively, so nothing is dropped.
// Labels read "[lo, hi)", "< lo" and ">= hi".
func HistogramOf(title, xLabel string, values []float64, edges []float64) *Histogram {
	h := &Histogram{Title: title, XLabel: xLabel, YLabel: "count"}
	if len(edges) < 2 {
		return h
	}
	h.Bins = make([]Bin, len(edges)+1)
	h.Bins[0].Label = "< " + Num(edges[0], -1)
	for i := 0; i+1 < len(edges); i++ {
		h.Bins[i+1].Label = "[" + Num(edges[i], -1) + ", " + Num(edges[i+1], -1) + ")"
	}
	h.Bins[len(edges)].Label = ">= " + Num(edges[len(edges)-1], -1)
	for _, v := range values {
		h.Bins[binIndex(v, edges)].Count++
	}
	return h
}

func binIndex(v float64, edges []float64) int {
	for i, e := range edges {
		if v < e {
			return i
		}
	}
	return len(edges)
}

// Num formats v with the given number of decimals; decimals < 0 uses the
// shortest representation.
func Num(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// Int formats an integer with thousands separators (12,345).
func Int(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Pct formats a percentage with one decimal: "12.5%".
func Pct(v float64) string { return Num(v, 1) + "%" }
