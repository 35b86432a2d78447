package report

import (
	"html"
	"strconv"
	"strings"
)

// HTML renders the document as one self-contained HTML page: inline CSS,
// inline SVG charts and a small inline script that sorts tables when a
// header is clicked. It loads nothing from the network.
func (d *Document) HTML() []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	b.WriteString("<title>" + esc(d.Title) + "</title>\n<style>\n" + css + "</style>\n</head>\n<body>\n<main>\n")
	b.WriteString("<h1>" + esc(d.Title) + "</h1>\n")
	for _, p := range d.Intro {
		b.WriteString("<p>" + esc(p) + "</p>\n")
	}
	writeTOC(&b, d.Sections)
	for i, s := range d.Sections {
		b.WriteString("<section id=\"s" + strconv.Itoa(i+1) + "\">\n<h2>" + esc(s.Title) + "</h2>\n")
		for _, blk := range s.Blocks {
			writeHTMLBlock(&b, blk)
		}
		b.WriteString("</section>\n")
	}
	b.WriteString("</main>\n<script>\n" + sortScript + "</script>\n</body>\n</html>\n")
	return []byte(b.String())
}

func writeTOC(b *strings.Builder, sections []*Section) {
	if len(sections) < 2 {
		return
	}
	b.WriteString("<nav aria-label=\"contents\"><ol>\n")
	for i, s := range sections {
		b.WriteString("<li><a href=\"#s" + strconv.Itoa(i+1) + "\">" + esc(s.Title) + "</a></li>\n")
	}
	b.WriteString("</ol></nav>\n")
}

func writeHTMLBlock(b *strings.Builder, blk Block) {
	switch x := blk.(type) {
	case Paragraph:
		b.WriteString("<p>" + esc(string(x)) + "</p>\n")
	case *Table:
		writeHTMLTable(b, x)
	case *BarChart:
		b.WriteString("<figure>\n" + barSVG(x) + "<figcaption>" + esc(x.Title) + "</figcaption>\n</figure>\n")
	case *Histogram:
		b.WriteString("<figure>\n" + histogramSVG(x) + "<figcaption>" + esc(x.Title) + "</figcaption>\n</figure>\n")
	}
}

func writeHTMLTable(b *strings.Builder, t *Table) {
	b.WriteString("<div class=\"tw\"><table class=\"sortable\">\n")
	if t.Caption != "" {
		b.WriteString("<caption>" + esc(t.Caption) + "</caption>\n")
	}
	b.WriteString("<thead><tr>")
	for _, c := range t.Columns {
		cls := ""
		if c.Numeric {
			cls = " class=\"num\""
		}
		b.WriteString("<th scope=\"col\"" + cls + " title=\"click to sort\">" + esc(c.Name) + "</th>")
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for i, c := range t.Columns {
			if c.Numeric {
				b.WriteString("<td class=\"num\">" + esc(cellAt(r, i)) + "</td>")
			} else {
				b.WriteString("<td>" + esc(cellAt(r, i)) + "</td>")
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table></div>\n")
}

func esc(s string) string { return html.EscapeString(s) }

const css = `:root{color-scheme:light}
body{margin:0;background:#fafafa;color:#1a1a1a;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:28px;margin:8px 0 12px}
h2{font-size:21px;margin:36px 0 12px;padding-top:12px;border-top:2px solid #d0d0d0}
nav ol{columns:2;margin:8px 0 0;padding-left:22px}
nav a{color:#0b5394}
figure{margin:16px 0 24px;background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px}
figcaption{font-weight:600;margin-top:6px;color:#333}
svg{display:block;max-width:100%;height:auto}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#222}
.tw{overflow-x:auto;margin:12px 0 24px}
table{border-collapse:collapse;background:#fff;font-size:14px;min-width:50%}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid #d4d4d4;padding:4px 8px;vertical-align:top}
th{background:#eef2f7;cursor:pointer;user-select:none;text-align:left;vertical-align:bottom;hyphens:manual}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
th[aria-sort=ascending]::after{content:" \25B2"}
th[aria-sort=descending]::after{content:" \25BC"}
tbody tr:nth-child(even){background:#f6f8fa}
`

// sortScript sorts a table's body rows when a header cell is clicked:
// numerically for numeric columns (ignoring "," and "%"), else by text.
const sortScript = `document.querySelectorAll("table.sortable th").forEach(function(th){
th.addEventListener("click",function(){
var t=th.closest("table"),body=t.tBodies[0],i=Array.prototype.indexOf.call(th.parentNode.children,th);
var num=th.classList.contains("num"),asc=th.getAttribute("aria-sort")!=="ascending";
t.querySelectorAll("th").forEach(function(h){h.removeAttribute("aria-sort")});
th.setAttribute("aria-sort",asc?"ascending":"descending");
var key=function(r){var s=r.cells[i]?r.cells[i].textContent:"";if(!num)return s;var v=parseFloat(s.replace(/[,%]/g,""));return isNaN(v)?-Infinity:v};
var rows=Array.prototype.slice.call(body.rows);
rows.sort(function(x,y){var a=key(x),b=key(y),c=num?(a===b?0:(a<b?-1:1)):a.localeCompare(b);return asc?c:-c});
rows.forEach(function(r){body.appendChild(r)});
});});
`
