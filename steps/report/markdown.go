package report

import (
	"strings"
)

// Markdown renders the document as GitHub-flavoured Markdown. Charts become
// a bold title followed by a table of their data, so nothing is lost in a
// plain-text reader.
func (d *Document) Markdown() []byte {
	var b strings.Builder
	b.WriteString("# " + mdLine(d.Title) + "\n")
	for _, p := range d.Intro {
		b.WriteString("\n" + p + "\n")
	}
	for _, s := range d.Sections {
		b.WriteString("\n## " + mdLine(s.Title) + "\n")
		for _, blk := range s.Blocks {
			b.WriteString("\n")
			writeMDBlock(&b, blk)
		}
	}
	return []byte(b.String())
}

func writeMDBlock(b *strings.Builder, blk Block) {
	switch x := blk.(type) {
	case Paragraph:
		b.WriteString(string(x) + "\n")
	case *Table:
		if x.Caption != "" {
			b.WriteString("**" + mdLine(x.Caption) + "**\n\n")
		}
		writeMDTable(b, x.Columns, x.Rows)
	case *BarChart:
		b.WriteString("**" + mdLine(x.Title) + "**\n\n")
		writeMDTable(b, barColumns(x), barRows(x))
	case *Histogram:
		b.WriteString("**" + mdLine(x.Title) + "**\n\n")
		rows := make([][]string, len(x.Bins))
		for i, bin := range x.Bins {
			rows[i] = []string{bin.Label, Num(bin.Count, -1)}
		}
		writeMDTable(b, []Column{{Name: orDefault(x.XLabel, "bin")}, {Name: orDefault(x.YLabel, "count"), Numeric: true}}, rows)
	}
}

// barColumns and barRows give a bar chart's data as a table.
func barColumns(c *BarChart) []Column {
	cols := []Column{{Name: orDefault(c.CategoryLabel, "category")}}
	for _, s := range c.Series {
		cols = append(cols, Column{Name: s.Name, Numeric: true})
	}
	return cols
}

func barRows(c *BarChart) [][]string {
	rows := make([][]string, len(c.Categories))
	for i, cat := range c.Categories {
		row := []string{cat}
		for _, s := range c.Series {
			row = append(row, Num(valueAt(s.Values, i), -1))
		}
		rows[i] = row
	}
	return rows
}

func writeMDTable(b *strings.Builder, cols []Column, rows [][]string) {
	b.WriteString("|")
	for _, c := range cols {
		b.WriteString(" " + mdCell(c.Name) + " |")
	}
	b.WriteString("\n|")
	for _, c := range cols {
		if c.Numeric {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("|")
		for i := range cols {
			b.WriteString(" " + mdCell(cellAt(r, i)) + " |")
		}
		b.WriteString("\n")
	}
}

func mdLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r", ""), "\n", " ")
}

func cellAt(r []string, i int) string {
	if i < len(r) {
		return r[i]
	}
	return ""
}

func valueAt(v []float64, i int) float64 {
	if i < len(v) {
		return v[i]
	}
	return 0
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
