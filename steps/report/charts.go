package report

import (
	"math"
	"strconv"
)

// barLayout holds the geometry of a horizontal bar chart.
type barLayout struct {
	labelW, x0, x1 float64 // category label column and plot extent
	top            float64 // y of the first group
	groupH, barH   float64
	max, step      float64
}

func (c *BarChart) dataMax() float64 {
	m := 0.0
	for i := range c.Categories {
		sum := 0.0
		for _, s := range c.Series {
			v := valueAt(s.Values, i)
			sum += v
			m = math.Max(m, v)
		}
		if c.Stacked {
			m = math.Max(m, sum)
		}
	}
	return m
}

// maxLabelChars is the longest category label drawn on one line; longer
// labels wrap onto two lines at a word or "_" boundary (see labelLines).
const maxLabelChars = 52

func (c *BarChart) layout() barLayout {
	l := barLayout{}
	longest, wraps := 0, false
	for _, cat := range c.Categories {
		lines := labelLines(cat)
		wraps = wraps || len(lines) > 1
		longest = max(longest, maxRunes(lines))
	}
	l.labelW = math.Max(60, charW*float64(longest)+12)
	l.x0, l.x1 = l.labelW+12, svgWidth-70
	n := float64(max(len(c.Series), 1))
	switch {
	case c.Stacked || n == 1:
		l.barH, l.groupH = 18, 26
		if wraps {
			l.groupH = 32
		}
	case n <= 3:
		l.barH = 14
		l.groupH = n*l.barH + 12
	default:
		l.barH = 11
		l.groupH = n*l.barH + 12
	}
	l.max, l.step = niceScale(c.dataMax())
	if c.Max > 0 {
		l.max, l.step = niceScale(c.Max)
		l.max = c.Max
	}
	return l
}

func (l barLayout) scale(v float64) float64 {
	return (l.x1 - l.x0) * math.Min(math.Max(v, 0), l.max) / l.max
}

// barSVG draws c as a horizontal grouped or stacked bar chart.
func barSVG(c *BarChart) string {
	var w svgWriter
	l := c.layout()
	var body svgWriter
	y := 8.0
	if len(c.Series) > 1 || c.Stacked {
		y += body.legend(c.Series, l.x0, y, l.x1-l.x0)
	}
	if c.CategoryLabel != "" {
		body.text(l.labelW, y+12, "end", fontBody, c.CategoryLabel, ` font-weight="600"`)
		y += 20
	}
	l.top = y
	axisY := l.top + float64(len(c.Categories))*l.groupH
	c.drawGrid(&body, l, axisY)
	for i, cat := range c.Categories {
		gy := l.top + float64(i)*l.groupH
		body.label(l.labelW, gy+l.groupH/2+4, cat)
		if c.Stacked {
			c.drawStacked(&body, l, i, gy+(l.groupH-l.barH)/2)
		} else {
			c.drawGrouped(&body, l, i, gy+6)
		}
	}
	height := axisY + 48
	w.open(svgWidth, height, c.Title)
	w.b.WriteString(body.b.String())
	return w.close()
}

func (c *BarChart) drawGrid(w *svgWriter, l barLayout, axisY float64) {
	for _, t := range ticks(l.max, l.step) {
		x := l.x0 + l.scale(t)
		w.line(x, l.top-4, x, axisY, "#e3e3e3")
		w.text(x, axisY+16, "middle", fontSmall, tickLabel(t), "")
	}
	w.line(l.x0, axisY, l.x1, axisY, "#555")
	w.line(l.x0, l.top-4, l.x0, axisY, "#555")
	if c.ValueLabel != "" {
		w.text((l.x0+l.x1)/2, axisY+36, "middle", fontBody, c.ValueLabel, ` font-weight="600"`)
	}
}

func (c *BarChart) drawGrouped(w *svgWriter, l barLayout, i int, y float64) {
	for j, s := range c.Series {
		v := valueAt(s.Values, i)
		bw := l.scale(v)
		by := y + float64(j)*l.barH
		w.rect(l.x0, by+1, bw, l.barH-2, seriesColor(s, j), c.Categories[i]+" — "+s.Name+": "+valueText(v))
		w.text(l.x0+bw+4, by+l.barH-3, "start", fontSmall, valueText(v), "")
	}
}

func (c *BarChart) drawStacked(w *svgWriter, l barLayout, i int, y float64) {
	x := l.x0
	total := 0.0
	for j, s := range c.Series {
		v := valueAt(s.Values, i)
		total += v
		bw := l.scale(v)
		w.rect(x, y, bw, l.barH, seriesColor(s, j), c.Categories[i]+" — "+s.Name+": "+valueText(v))
		x += bw
	}
	w.text(x+4, y+l.barH-4, "start", fontSmall, valueText(total), "")
}

func valueText(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return Int(int(v))
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// histogramSVG draws h as vertical bars over its bins.
func histogramSVG(h *Histogram) string {
	const left, right, top, plotH = 78.0, 20.0, 16.0, 240.0
	n := max(len(h.Bins), 1)
	plotW := svgWidth - left - right
	slot := plotW / float64(n)
	labels := make([]string, len(h.Bins))
	m := 0.0
	for i, b := range h.Bins {
		labels[i] = b.Label
		m = math.Max(m, b.Count)
	}
	rotate := charW*float64(maxRunes(labels)) > slot-4
	bottom := 56.0
	if rotate {
		bottom = 24 + charW*float64(min(maxRunes(labels), 24))*0.75 + 24
	}
	ymax, step := niceScale(m)
	var w svgWriter
	w.open(svgWidth, top+plotH+bottom, h.Title)
	axisY := top + plotH
	for _, t := range ticks(ymax, step) {
		y := axisY - plotH*t/ymax
		w.line(left, y, left+plotW, y, "#e3e3e3")
		w.text(left-6, y+4, "end", fontSmall, tickLabel(t), "")
	}
	color := orDefault(h.Color, palette[0])
	for i, b := range h.Bins {
		bh := plotH * b.Count / ymax
		x := left + float64(i)*slot
		w.rect(x+slot*0.1, axisY-bh, slot*0.8, bh, color, b.Label+": "+valueText(b.Count))
		if n <= 40 {
			w.text(x+slot/2, axisY-bh-4, "middle", fontSmall, valueText(b.Count), "")
		}
		lx, ly := x+slot/2, axisY+16
		if rotate {
			w.text(lx, ly, "end", fontSmall, truncate(b.Label, 24), ` transform="rotate(-40 `+f1(lx)+` `+f1(ly)+`)"`)
		} else {
			w.text(lx, ly, "middle", fontSmall, b.Label, "")
		}
	}
	w.line(left, axisY, left+plotW, axisY, "#555")
	w.line(left, top, left, axisY, "#555")
	if h.XLabel != "" {
		w.text(left+plotW/2, top+plotH+bottom-8, "middle", fontBody, h.XLabel, ` font-weight="600"`)
	}
	if h.YLabel != "" {
		cy := top + plotH/2
		w.text(18, cy, "middle", fontBody, h.YLabel, ` font-weight="600" transform="rotate(-90 18 `+f1(cy)+`)"`)
	}
	return w.close()
}
