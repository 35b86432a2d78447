package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func sampleDoc() *Document {
	d := &Document{Title: "Stage 3 <analysis>", Intro: []string{"Intro & more."}}
	d.Add("Tables", &Table{
		Caption: "Per topic",
		Columns: []Column{{Name: "topic"}, {Name: "records", Numeric: true}},
		Rows:    [][]string{{"sycophancy", "1,200"}, {"a|b", "3"}, {"short"}},
	})
	d.Add("Charts",
		&BarChart{Title: "Verdicts", Categories: []string{"t1", "t2"}, Stacked: true,
			Series:     []Series{{Name: "PASS", Values: []float64{3, 4}}, {Name: "FAIL", Values: []float64{1, 2.5}}},
			ValueLabel: "records", CategoryLabel: "topic"},
		&BarChart{Title: "Rates", Categories: []string{"t1"}, Max: 100,
			Series: []Series{{Name: "A pass", Values: []float64{75}}, {Name: "B pass", Values: []float64{20}}}},
		HistogramOf("Tokens", "output tokens", []float64{1, 50, 150, 2048, 5000}, []float64{100, 500, 2048}),
		Paragraph("done"),
	)
	return d
}

func TestMarkdown(t *testing.T) {
	got := string(sampleDoc().Markdown())
	for _, want := range []string{
		"# Stage 3 <analysis>\n",
		"## Tables\n",
		"**Per topic**\n\n| topic | records |\n|---|---:|\n| sycophancy | 1,200 |\n| a\\|b | 3 |\n| short |  |\n",
		"**Verdicts**\n\n| topic | PASS | FAIL |\n|---|---:|---:|\n| t1 | 3 | 1 |\n| t2 | 4 | 2.5 |\n",
		"| < 100 | 2 |\n| [100, 500) | 1 |\n| [500, 2048) | 0 |\n| >= 2048 | 2 |\n",
		"\ndone\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q; got:\n%s", want, got)
		}
	}
}

func TestHTMLSelfContained(t *testing.T) {
	got := sampleDoc().HTML()
	s := string(got)
	for _, want := range []string{
		"<title>Stage 3 &lt;analysis&gt;</title>",
		`<th scope="col" class="num" title="click to sort">records</th>`,
		`<td class="num">1,200</td>`,
		"<td>a|b</td>",
		"<svg xmlns=",
		`aria-label="Verdicts"`,
		"<title>t2 — FAIL: 2.5</title>",
		">records</text>", // value axis label
		">output tokens</text>",
		"table.sortable",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	// Nothing may be fetched: no src/href to another document, no @import or url().
	bad := regexp.MustCompile(`(?i)(src=|href="(https?:)?//|@import|url\()`)
	if m := bad.FindString(s); m != "" {
		t.Errorf("html references an external resource: %q", m)
	}
	if !bytes.Equal(got, sampleDoc().HTML()) {
		t.Error("two renderings of the same document differ")
	}
}

func TestHistogramOf(t *testing.T) {
	h := HistogramOf("h", "x", []float64{-1, 0, 9.99, 10, 20, 1e9}, []float64{0, 10, 20})
	want := []Bin{{"< 0", 1}, {"[0, 10)", 2}, {"[10, 20)", 1}, {">= 20", 2}}
	if len(h.Bins) != len(want) {
		t.Fatalf("got %d bins, want %d", len(h.Bins), len(want))
	}
	for i := range want {
		if h.Bins[i] != want[i] {
			t.Errorf("bin %d: got %+v, want %+v", i, h.Bins[i], want[i])
		}
	}
}

func TestNiceScale(t *testing.T) {
	tests := []struct{ in, max, step float64 }{
		{0, 1, 0.2}, {7, 8, 2}, {100, 100, 20}, {12345, 12500, 2500}, {0.3, 0.3, 0.1},
	}
	for _, tt := range tests {
		m, s := niceScale(tt.in)
		if diff(m, tt.max) > 1e-9 || diff(s, tt.step) > 1e-9 {
			t.Errorf("niceScale(%v): got (%v, %v), want (%v, %v)", tt.in, m, s, tt.max, tt.step)
		}
	}
}

func diff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestInt(t *testing.T) {
	tests := map[int]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567"}
	for in, want := range tests {
		if got := Int(in); got != want {
			t.Errorf("Int(%d): got %q, want %q", in, got, want)
		}
	}
}

func TestLabelLines(t *testing.T) {
	long := "detection_difficulty_easier_externally_than_internally" // 54 runes
	tests := []struct {
		in   string
		want []string
	}{
		{"sycophancy", []string{"sycophancy"}},
		{strings.Repeat("x", maxLabelChars), []string{strings.Repeat("x", maxLabelChars)}},
		{long, []string{"detection_difficulty_easier_", "externally_than_internally"}},
		{"a very long model name with spaces that goes on and on", []string{"a very long model name with", "spaces that goes on and on"}},
		{strings.Repeat("y", 60), []string{strings.Repeat("y", 30), strings.Repeat("y", 30)}},
		{strings.Repeat("z", 120), []string{strings.Repeat("z", 52), strings.Repeat("z", 51) + "…"}},
	}
	for _, tt := range tests {
		got := labelLines(tt.in)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("labelLines(%q):\ngot  %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestLongLabelsNotCut: a bar chart draws every category label in full
// (wrapped, never cut) and keeps the plot inside the SVG width.
func TestLongLabelsNotCut(t *testing.T) {
	long := "detection_difficulty_easier_externally_than_internally"
	c := &BarChart{Title: "Tags", Categories: []string{"short", long}, Series: []Series{{Name: "n", Values: []float64{3, 117}}}}
	svg := barSVG(c)
	for _, want := range []string{"<title>" + long + "</title>detection_difficulty_easier_<tspan", ">externally_than_internally</tspan>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q:\n%s", want, svg)
		}
	}
	if strings.Contains(svg, "…") {
		t.Errorf("a label was cut:\n%s", svg)
	}
	if l := c.layout(); l.x0 >= l.x1-200 {
		t.Errorf("plot too narrow: x0 %v, x1 %v", l.x0, l.x1)
	}
}

// TestTableHeadersWrap: wide tables fit the page because header cells
// wrap (numeric cells do not).
func TestTableHeadersWrap(t *testing.T) {
	if !regexp.MustCompile(`\nth\{[^}]*\}`).MatchString(css) || strings.Contains(regexp.MustCompile(`\nth\{[^}]*\}`).FindString(css), "nowrap") {
		t.Errorf("th must wrap; css:\n%s", css)
	}
	if !strings.Contains(css, "td.num{white-space:nowrap}") {
		t.Errorf("numeric cells must not wrap; css:\n%s", css)
	}
}
