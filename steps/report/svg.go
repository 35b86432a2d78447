package report

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// palette is the Okabe-Ito colour-blind-safe palette, most distinct first.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#F0E442", "#000000"}

func seriesColor(s Series, i int) string {
	if s.Color != "" {
		return s.Color
	}
	return palette[i%len(palette)]
}

const (
	svgWidth  = 900.0
	charW     = 7.0 // approximate width of a 12px character
	fontSmall = "11"
	fontBody  = "12"
)

// svgWriter accumulates SVG elements with coordinates rounded to 0.1.
type svgWriter struct{ b strings.Builder }

func f1(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

func (w *svgWriter) rect(x, y, width, height float64, fill, title string) {
	w.b.WriteString(`<rect x="` + f1(x) + `" y="` + f1(y) + `" width="` + f1(math.Max(width, 0)) + `" height="` + f1(math.Max(height, 0)) + `" fill="` + fill + `">`)
	if title != "" {
		w.b.WriteString("<title>" + esc(title) + "</title>")
	}
	w.b.WriteString("</rect>\n")
}

func (w *svgWriter) line(x1, y1, x2, y2 float64, stroke string) {
	w.b.WriteString(`<line x1="` + f1(x1) + `" y1="` + f1(y1) + `" x2="` + f1(x2) + `" y2="` + f1(y2) + `" stroke="` + stroke + `" stroke-width="1"/>` + "\n")
}

// text writes a text element; anchor is start, middle or end; extra holds
// further attributes (e.g. a transform).
func (w *svgWriter) text(x, y float64, anchor, size, s, extra string) {
	w.b.WriteString(`<text x="` + f1(x) + `" y="` + f1(y) + `" text-anchor="` + anchor + `" font-size="` + size + `"` + extra + `>` + esc(s) + "</text>\n")
}

func (w *svgWriter) open(width, height float64, label string) {
	w.b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + f1(width) + ` ` + f1(height) + `" width="` + f1(width) + `" height="` + f1(height) + `" role="img" aria-label="` + esc(label) + `">` + "\n")
}

func (w *svgWriter) close() string { w.b.WriteString("</svg>\n"); return w.b.String() }

// niceScale returns a round axis maximum at or above v and its tick step.
func niceScale(v float64) (max, step float64) {
	if !(v > 0) || math.IsInf(v, 0) {
		return 1, 0.2
	}
	raw := v / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if raw <= m*mag {
			step = m * mag
			break
		}
	}
	return math.Ceil(v/step-1e-9) * step, step
}

func ticks(max, step float64) []float64 {
	var t []float64
	for i := 0; ; i++ {
		v := float64(i) * step
		if v > max+step*1e-6 {
			return t
		}
		t = append(t, v)
	}
}

func tickLabel(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return Int(int(v))
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// label draws a category label right-aligned at x, centred on baseline y:
// one line, or two lines 13px apart when it is longer than maxLabelChars.
// The full label is the element's tooltip.
func (w *svgWriter) label(x, y float64, s string) {
	lines := labelLines(s)
	if len(lines) == 1 {
		w.text(x, y, "end", fontBody, s, "")
		return
	}
	w.b.WriteString(`<text x="` + f1(x) + `" y="` + f1(y-6.5) + `" text-anchor="end" font-size="` + fontBody + `"><title>` + esc(s) + "</title>" +
		esc(lines[0]) + `<tspan x="` + f1(x) + `" dy="13">` + esc(lines[1]) + "</tspan></text>\n")
}

// labelLines splits a label longer than maxLabelChars in two at the word
// or "_" / "-" / "/" boundary nearest its middle (the break character ends
// the first line); a second line still too long is cut with "…".
func labelLines(s string) []string {
	r := []rune(s)
	if len(r) <= maxLabelChars {
		return []string{s}
	}
	cut := -1
	for i, c := range r {
		if (c == ' ' || c == '_' || c == '-' || c == '/') && i+1 <= maxLabelChars {
			if cut < 0 || abs(i+1-len(r)/2) < abs(cut-len(r)/2) {
				cut = i + 1
			}
		}
	}
	if cut <= 0 || cut >= len(r) {
		cut = min(len(r)/2, maxLabelChars)
	}
	first := strings.TrimRight(string(r[:cut]), " ")
	return []string{first, truncate(strings.TrimLeft(string(r[cut:]), " "), maxLabelChars)}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func maxRunes(ss []string) int {
	m := 0
	for _, s := range ss {
		m = max(m, utf8.RuneCountInString(s))
	}
	return m
}

// legend draws the series names in rows starting at (x, y) within width
// and returns the height used.
func (w *svgWriter) legend(series []Series, x, y, width float64) float64 {
	cx, cy := x, y
	for i, s := range series {
		itemW := 14 + 6 + charW*float64(utf8.RuneCountInString(s.Name)) + 18
		if cx > x && cx+itemW > x+width {
			cx, cy = x, cy+20
		}
		w.rect(cx, cy, 14, 14, seriesColor(s, i), "")
		w.text(cx+20, cy+11.5, "start", fontBody, s.Name, "")
		cx += itemW
	}
	return cy - y + 24
}
