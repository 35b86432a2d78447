package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// layoutProbe, appended to a page, lists after load every table wrapper
// that scrolls sideways and every SVG text drawn outside its chart.
const layoutProbe = `<script>
window.addEventListener("load",function(){var bad=[];
document.querySelectorAll(".tw").forEach(function(d,i){if(d.scrollWidth>d.clientWidth+1)bad.push("table "+i+" scrolls sideways: "+d.scrollWidth+" > "+d.clientWidth)});
document.querySelectorAll("svg").forEach(function(s,i){var r=s.getBoundingClientRect();s.querySelectorAll("text").forEach(function(t){var b=t.getBoundingClientRect();
if(b.left<r.left-1||b.right>r.right+1)bad.push("chart "+i+": text outside the chart: "+t.textContent)})});
var p=document.createElement("pre");p.id="layout-check";p.textContent=bad.length?bad.join("\n"):"LAYOUT OK";document.body.appendChild(p);});
</script>`

// TestHTMLLayoutInChromium opens a wide report in headless Chromium at
// 1400 px and checks that no table scrolls sideways and no chart text is
// cut. It runs when SPT_BROWSER_TESTS is set (Chromium takes seconds).
func TestHTMLLayoutInChromium(t *testing.T) {
	if os.Getenv("SPT_BROWSER_TESTS") == "" {
		t.Skip("SPT_BROWSER_TESTS is not set: skipping the headless Chromium layout check")
	}
	browser, err := exec.LookPath("chromium")
	if err != nil {
		// CI sets SPT_BROWSER_TESTS=1 and must not pass without the check.
		t.Fatalf("SPT_BROWSER_TESTS is set but chromium is not installed: %v", err)
	}
	d := &Document{Title: "Layout"}
	cols := []Column{{Name: "topic"}}
	for _, n := range []string{"records", "A", "B", "A pass %", "A fail %", "B pass %", "B fail %", "quality", "avg conf.", "difficulty int.", "difficulty ext.", "focus mismatch"} {
		cols = append(cols, Column{Name: n, Numeric: true})
	}
	row := []string{"reasoning_metacognition", "5,292", "3,540", "1,752", "86.7", "10.9", "18.0", "77.9", "82.3", "4.21", "1.10", "1.43", "4,093"}
	tags := []string{"confidence_below_5", "detection_difficulty_easier_externally_than_internally", "a_tag_name_that_is_even_longer_than_any_the_tagger_writes_today"}
	d.Add("Wide", &Table{Caption: "Per topic", Columns: cols, Rows: [][]string{row, row}},
		&BarChart{Title: "Tags", Categories: tags, Series: []Series{{Name: "count", Values: []float64{18474, 117, 3}}}, ValueLabel: "tag applications", CategoryLabel: "tag"},
		HistogramOf("Lengths", "output tokens", []float64{1, 50, 150, 2048}, []float64{100, 500, 2048}))
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, []byte(strings.Replace(string(d.HTML()), "</body>", layoutProbe+"</body>", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1400,3000", "--virtual-time-budget=2000",
		"--dump-dom", "file://"+page).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	m := regexp.MustCompile(`(?s)<pre id="layout-check">(.*?)</pre>`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no layout result in the page:\n%s", out)
	}
	if got := string(m[1]); got != "LAYOUT OK" {
		t.Errorf("layout problems at 1400 px:\n%s", got)
	}
}
