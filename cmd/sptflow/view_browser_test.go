package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sptflow/sptflow/internal/refdata"
	"github.com/sptflow/sptflow/view"
)

// browser returns the path of a Chromium, or skips the test: unless
// SPT_BROWSER_TESTS=1 (as .ci/run sets), then a missing browser fails it.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SPT_BROWSER_TESTS") == "1" {
		t.Fatal("SPT_BROWSER_TESTS=1 but no chromium is installed (apt-get install chromium)")
	}
	t.Skip("no chromium installed: the browser tests of sptflow view are skipped (apt-get install chromium; SPT_BROWSER_TESTS=1 makes this a failure)")
	return ""
}

// artifacts is where the screenshots go: $SPT_ARTIFACTS, or a temporary
// directory the test names.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SPT_ARTIFACTS")
	if dir == "" {
		d, err := os.MkdirTemp("", "sptflow-view-shots-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	dir = filepath.Join(dir, "view")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// page drives one browser tab; its methods fail the test with the page's
// text when a step fails.
type page struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

func (p *page) fail(step string, err error) {
	p.t.Helper()
	body, _ := chromedp.Run(p.ctx, chromedp.Text("body"))
	p.t.Fatalf("%s: %v\npage: %.2000s", step, err, body)
}

func (p *page) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.fail(step, err)
	}
}

// wait polls a JavaScript condition until it holds.
func (p *page) wait(step, expr string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		p.fail(step+": waiting for "+expr, err)
	}
}

func (p *page) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(sel))
	if err != nil {
		p.fail("text of "+sel, err)
	}
	return s
}

func (p *page) eval(expr string) any {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		p.fail("evaluate "+expr, err)
	}
	return v
}

func (p *page) shot(name string) {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.fail("screenshot "+name, err)
	}
	if err := os.WriteFile(filepath.Join(p.shots, name+".png"), buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// newPage starts a headless browser for the test (or skips it).
func newPage(t *testing.T) *page {
	t.Helper()
	exe := browser(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(1400, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel)
	return &page{t: t, ctx: ctx, shots: artifacts(t)}
}

func TestViewBrowser(t *testing.T) {
	browser(t)
	s, hs, _ := demoServer(t, true)
	p := newPage(t) // after the server: its cleanup closes the browser first

	p.do("overview", chromedp.Navigate(hs.URL+"/#/overview"), chromedp.WaitVisible("#partitions"))
	text := p.text("#overview")
	p.shot("1-overview")
	for _, want := range []string{"spt-demo", "generate@sycophancy", "intervene@reward_hacks", "succeeded", "estimate"} {
		if !strings.Contains(text, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	// Comparing, the run tab shows each side's own run.
	if runs := p.eval(`[...document.querySelectorAll('#overview .run')].map(r => r.dataset.run).join(' ')`); strings.Count(fmt.Sprint(runs), " ") != 1 ||
		!strings.Contains(p.text("#run-b"), "spt-demo-b") || p.eval(`document.querySelector('#run').dataset.run !== document.querySelector('#run-b').dataset.run`) != true {
		t.Errorf("overview of a comparison shows runs %q; want each side's own run", runs)
	}

	p.do("rows", chromedp.Navigate(hs.URL+"/#/rows"))
	p.wait("rows", `document.querySelectorAll('#rows tbody tr').length > 0`)
	total0 := p.text("#total")
	p.do("filter by verdict", chromedp.Click(`#facets input[data-facet="verdict"][value="FAIL"]`))
	p.wait("verdict FAIL", `location.hash.includes('verdict=FAIL') && document.querySelectorAll('#rows td.verdict').length > 0 &&
		[...document.querySelectorAll('#rows td.verdict')].every(td => td.textContent === 'FAIL')`)
	total1 := p.text("#total")
	p.shot("2-verdict-fail")
	if total0 == total1 {
		t.Errorf("filtering by verdict FAIL left the total at %s", total0)
	}

	word := fmt.Sprint(p.eval(`(document.querySelector('#rows tbody tr td.text').title.match(/[A-Za-z]{6,}/) || ['budget'])[0]`))
	p.eval(fmt.Sprintf(`(() => { const s = document.querySelector('#search'); s.value = %q; s.dispatchEvent(new Event('input')); return true; })()`, word))
	p.wait("search", `location.hash.includes('q=') && document.querySelectorAll('#rows tbody mark').length > 0`)
	p.shot("3-search")
	// The hit is in view at 1400 px, not in a column scrolled off to the right.
	if p.eval(`(() => { const td = document.querySelector('#rows tbody mark').closest('td').getBoundingClientRect(),
		box = document.querySelector('#rows').closest('.grow').getBoundingClientRect();
		return td.left >= box.left && td.right <= box.right + 1; })()`) != true {
		t.Errorf("search %q: the column with the hit lies outside the table's visible width", word)
	}
	if text := p.text("#rows tbody"); !strings.Contains(strings.ToLower(text), strings.ToLower(word)) {
		t.Errorf("search %q: the rows do not show it", word)
	}

	p.do("open a row", chromedp.Click("#rows tbody tr.row"), chromedp.WaitVisible("#lineage .record"))
	text = p.text("#lineage")
	records := p.eval(`document.querySelectorAll('#lineage .record').length`)
	p.shot("4-lineage")
	// An answer's call, opened, shows its curl (asked of the server then).
	p.do("open an answer's call", chromedp.Click(`#lineage .answers details.call > summary`), chromedp.WaitVisible(`#lineage .answers details.call[open] details.curl`))
	if p.eval(`document.querySelectorAll('#lineage button.copy').length > 0 && document.querySelector('#lineage pre[id^=curl]').textContent.includes('$ANTHROPIC_API_KEY')`) != true {
		t.Errorf("lineage has no copy-as-curl with the key as $ANTHROPIC_API_KEY")
	}
	for _, want := range []string{"Stage 1: the task", "A (unbiased system prompt)", "answer under A", "served by sim/"} {
		if !strings.Contains(text, want) {
			t.Errorf("lineage lacks %q", want)
		}
	}
	if records == float64(0) {
		t.Errorf("lineage shows no intervention record")
	}
	// A stage-3 call: the request that produced it, and its curl.
	// (A text several calls hold lists them under one summary: unfold it.)
	p.eval(`document.querySelectorAll('#lineage .record details.calls').forEach(d => d.open = true); true`)
	p.do("open a stage-3 call", chromedp.Click(`#lineage .record details.call > summary`),
		chromedp.Click(`#lineage .record details.call[open] details.call-request > summary`),
		chromedp.WaitVisible(`#lineage .record details.call[open] pre.request-body`))
	p.shot("4b-stage-3-request")
	reqBody := p.text(`#lineage .record details.call[open] pre.request-body`)
	curl := fmt.Sprint(p.eval(`document.querySelector('#lineage .record details.call[open] pre.curl-text').textContent`))
	for _, want := range []string{`"request_object": "sptflow/llm-request-object/v1"`, `"force_tool": "stage_3_`, `"messages"`, `"system"`} {
		if !strings.Contains(reqBody, want) {
			t.Errorf("stage-3 call's request lacks %s: %.400s", want, reqBody)
		}
	}
	for _, want := range []string{"curl 'https://api.anthropic.com/v1/messages'", `"x-api-key: $ANTHROPIC_API_KEY"`, `"tool_choice":{"name":"stage_3_`} {
		if !strings.Contains(curl, want) {
			t.Errorf("stage-3 call's curl lacks %s: %.400s", want, curl)
		}
	}

	p.do("compare", chromedp.Navigate(hs.URL+"/#/compare"), chromedp.WaitVisible("#flips"),
		chromedp.Click(`#flips a[data-va="PASS"][data-vb="FAIL"]`))
	p.wait("flip PASS to FAIL", `document.querySelector('#pair-filter').textContent.includes('A PASS → B FAIL') && document.querySelectorAll('#pairs tbody tr').length > 0`)
	p.do("open a changed record", chromedp.Click("#pairs tbody tr.row"))
	p.wait("pair", `document.querySelectorAll('#pair .card').length === 2`)
	text = p.text("#compare")
	p.shot("5-compare")
	for _, want := range []string{"matched records", "Verdict flips", "Tag deltas", "changed only"} {
		if !strings.Contains(text, want) {
			t.Errorf("compare view lacks %q", want)
		}
	}
	if n := p.eval(`document.querySelectorAll('#pair .del, #pair .ins').length`); n == float64(0) {
		t.Errorf("the changed record shows no word diff")
	}

	// The export of a selection opens from the file system, with no server.
	out := t.TempDir()
	if _, err := s.Index().Export(context.Background(), "demo", view.ParseQuery(url.Values{"verdict": {"FAIL"}}), out); err != nil {
		t.Fatal(err)
	}
	p.do("export", chromedp.Navigate("file://"+filepath.Join(out, "index.html")))
	p.wait("export rows", `document.querySelectorAll('#rows tbody tr').length > 0`)
	if p.eval(`[...document.querySelectorAll('#rows td.verdict')].every(td => td.textContent === 'FAIL')`) != true {
		t.Errorf("the export shows rows outside its selection")
	}
	p.do("export lineage", chromedp.Click("#rows tbody tr.row"), chromedp.WaitVisible("#lineage .record"))
	p.shot("6-export-lineage")
	// The export keeps requests apart, by digest: an answer's curl is still
	// the stored request's, not one rebuilt from the row.
	if text := p.text("#lineage"); !strings.Contains(text, "curl (the stored request") || strings.Contains(text, "rebuilt from the row") {
		t.Errorf("the export's lineage labels the answers' curl as rebuilt from the row: %.600s", text)
	}
}

// batchRun is the journal and spend ledger of a run whose generate node
// sent one canary online and got 2 results from a provider batch.
var batchRun = map[string]string{
	"journal.jsonl": `{"event":"run_start","pipeline":"spt-batch"}
{"event":"estimate","estimates":[{"node":"generate","estimate":{"requests":{"low":3,"high":9},"cost_usd":{"low":0.1,"high":0.3}}}]}
{"event":"started","partition":"generate@sycophancy","node":"generate"}
{"event":"succeeded","partition":"generate@sycophancy","node":"generate","duration_ms":60000}
{"event":"run_end"}
`,
	"spend.jsonl": `{"e":"canary","key":"k1","model":"opus","provider":"anthropic","partition":"generate@sycophancy","node":"generate"}
{"e":"sent","call":1,"key":"k1","model":"opus","provider":"anthropic","partition":"generate@sycophancy","node":"generate"}
{"e":"reply","call":1,"key":"k1","model":"opus","provider":"anthropic","partition":"generate@sycophancy","node":"generate","usage":{"input_tokens":100,"output_tokens":10},"cost_usd":0.25,"ok":true}
{"e":"stored","call":1,"key":"k1","model":"opus","provider":"anthropic","partition":"generate@sycophancy","node":"generate"}
{"e":"reply","call":2,"key":"k2","model":"opus","provider":"anthropic","partition":"generate@sycophancy","node":"generate","usage":{"input_tokens":100,"output_tokens":10},"cost_usd":0.125,"ok":true,"batch":"msgbatch_1","list_usd":0.25}
{"e":"stored","call":2,"key":"k2","model":"opus","provider":"anthropic","partition":"generate@sycophancy","node":"generate","batch":"msgbatch_1"}
{"e":"reply","call":3,"key":"k3","model":"opus","provider":"anthropic","partition":"generate@sycophancy","node":"generate","usage":{"input_tokens":100,"output_tokens":10},"cost_usd":0.125,"ok":true,"batch":"msgbatch_1","list_usd":0.25}
{"e":"stored","call":3,"key":"k3","model":"opus","provider":"anthropic","partition":"generate@sycophancy","node":"generate","batch":"msgbatch_1"}
`,
}

// A run with provider batches: the Run tab counts calls as sptflow log
// does (3 new: the canary and 2 batch results, against the estimate's
// 3–9), not only the one HTTP request of the online path, and shows the
// batch results with their price.
func TestViewBrowserBatchRun(t *testing.T) {
	browser(t)
	dir := t.TempDir()
	st := filepath.Join(dir, ".sptflow")
	run := filepath.Join(st, "runs", "20261204T000000.000000Z-1")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range batchRun {
		if err := os.WriteFile(filepath.Join(run, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	ledger := filepath.Join(st, "batches", "0123456789ab-0123456789abcdef.json")
	if err := os.MkdirAll(filepath.Dir(ledger), 0o755); err != nil {
		t.Fatal(err)
	}
	entry := `{"name":"0123456789ab-0123456789abcdef","model":"opus","provider":"anthropic","api_model":"claude-opus-4-1","keys":["k4","k5","k6"],
"intent":"2026-12-04T00:00:00Z","batch_id":"msgbatch_2","created":"2026-12-04T00:00:01Z","expires":"2026-12-05T00:00:01Z",
"counts":{"processing":%d,"succeeded":%d,"errored":0,"canceled":0,"expired":0},"polled":"2026-12-04T00:01:00Z"}`
	if err := os.WriteFile(ledger, fmt.Appendf(nil, entry, 3, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := view.NewServer(context.Background(), filepath.Join(st, "view"), view.Source{Name: "spt-batch", Dir: data, Store: st, Pipeline: "spt-batch"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	p := newPage(t)

	p.do("overview", chromedp.Navigate(hs.URL+"/#/overview"), chromedp.WaitVisible("#partitions"))
	p.shot("7-batch-run")
	cells := func(table string) string {
		return fmt.Sprint(p.eval(`[...document.querySelectorAll('` + table + ` tr')].find(r => r.cells[0].textContent.startsWith('generate')).innerText`))
	}
	for table, want := range map[string][]string{
		"#nodes":      {"3–9 req", "\t3\t", "2 · $0.2500 (online $0.5000)", "$0.5000"},
		"#partitions": {"succeeded", "\t3\t", "2 · $0.2500 (online $0.5000)"},
	} {
		got := cells(table)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s row of generate = %q; want %q in it", table, got, w)
			}
		}
	}
	if text := p.text("#overview p"); !strings.Contains(text, "3 calls new (2 from provider batches: $0.2500, online price $0.5000, saved $0.2500)") ||
		!strings.Contains(text, "1 HTTP requests sent online") {
		t.Errorf("run summary = %q; want the calls as sptflow log counts them, batch results and HTTP requests apart", text)
	}
	// The batch in flight, and its progress as the run polls it (live).
	p.wait("batch in flight", `[...document.querySelectorAll('#batches tr')].some(r => r.innerText.startsWith('msgbatch_2\topus\t3\t0\t0\t3'))`)
	if err := os.WriteFile(ledger, fmt.Appendf(nil, entry, 1, 2), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Poll(p.ctx); err != nil {
		t.Fatal(err)
	}
	p.wait("batch progress (server-sent event)", `[...document.querySelectorAll('#batches tr')].some(r => r.innerText.startsWith('msgbatch_2\topus\t3\t2\t0\t1'))`)
	p.shot("8-batch-in-flight")
}

// An item without a B prompt (the published data omits its "B" field)
// showed an empty B box; it says "(none)".
func TestViewBrowserNoBPrompt(t *testing.T) {
	browser(t)
	ref := refdata.Dir(t, "stage_3_tagged")
	s, err := view.NewServer(context.Background(), t.TempDir(), view.Source{Name: "reference", Dir: filepath.Join(ref, "stage_3_tagged")})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	noB, withB := rowsByB(t, hs.URL)
	p := newPage(t)
	p.do("item without B", chromedp.Navigate(fmt.Sprintf("%s/#/row/%d", hs.URL, noB)), chromedp.WaitVisible("#lineage .cols"))
	if got := p.eval(`[...document.querySelectorAll('#lineage .cols')][0].children[1].textContent`); got != "B (biased system prompt)(none: the item has no B prompt)" {
		t.Errorf("B box of row %d (no B) = %q, want it to say (none)", noB, got)
	}
	p.do("item with B", chromedp.Navigate(fmt.Sprintf("%s/#/row/%d", hs.URL, withB)), chromedp.WaitVisible("#lineage .cols"))
	if got := p.eval(`document.querySelectorAll('#lineage pre.no-b').length`); got != float64(0) {
		t.Errorf("row %d (with B) shows %v (none) boxes, want 0", withB, got)
	}
}

// rowsByB finds a row whose item has no B prompt and one whose item has.
func rowsByB(t *testing.T, base string) (noB, withB int) {
	t.Helper()
	for id := 1; id < 5000 && (noB == 0 || withB == 0); id++ {
		resp, err := http.Get(fmt.Sprintf("%s/api/lineage?id=%d", base, id))
		if err != nil {
			t.Fatal(err)
		}
		var l struct {
			Item struct{ B string } `json:"item"`
		}
		err = json.NewDecoder(resp.Body).Decode(&l)
		resp.Body.Close()
		switch {
		case err != nil:
		case l.Item.B == "" && noB == 0:
			noB = id
		case l.Item.B != "" && withB == 0:
			withB = id
		}
	}
	if noB == 0 || withB == 0 {
		t.Fatalf("no rows with and without a B prompt in the published data (found %d, %d)", noB, withB)
	}
	return noB, withB
}

// The page drew a model's card only for the lineage's answers: a record
// whose answer has no stage-2 row (stage_2/ lacks its file) vanished
// with it. The answer read from the stage-3 file shows with its note;
// and were an answer absent from the lineage altogether, its model's
// records would still be drawn.
func TestViewBrowserLineageWithoutStage2(t *testing.T) {
	browser(t)
	dir := viewDemo(t)
	data := filepath.Join(dir, "data", "demo")
	if err := os.RemoveAll(filepath.Join(data, "stage_2", "sycophancy")); err != nil {
		t.Fatal(err)
	}
	s := demoDataServer(t, dir, data)
	// /bare/ serves lineages without their answers.
	mux := http.NewServeMux()
	mux.Handle("/", s.Handler())
	mux.HandleFunc("GET /bare/api/lineage", func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		r.URL.Path = "/api/lineage"
		s.Handler().ServeHTTP(rec, r)
		var l map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
			http.Error(w, rec.Body.String(), rec.Code)
			return
		}
		l["answers"] = []any{}
		json.NewEncoder(w).Encode(l)
	})
	mux.Handle("/bare/", http.StripPrefix("/bare", s.Handler()))
	base := serveHandler(t, mux)
	var p view.Page
	getJSON(t, base, "/api/rows?topic=sycophancy&size=1", &p)
	var l view.Lineage
	getJSON(t, base, "/api/lineage?id="+itoa(int(p.Rows[0].ID)), &l)
	pg := newPage(t)
	for _, prefix := range []string{"", "/bare"} {
		pg.do("lineage "+prefix, chromedp.Navigate(fmt.Sprintf("%s%s/#/row/%d", base, prefix, p.Rows[0].ID)), chromedp.WaitVisible("#lineage"))
		if got := pg.eval(`document.querySelectorAll('#lineage .record').length`); got != float64(len(l.Records)) {
			t.Errorf("%s: the lineage page shows %v records, the lineage has %d", prefix, got, len(l.Records))
		}
		notes := pg.eval(`[...document.querySelectorAll('#lineage .answer-note')].map(n => n.textContent).join('\n')`)
		if prefix == "" && !strings.Contains(fmt.Sprint(notes), "stage_2/ holds no row of this answer") {
			t.Errorf("the answers read from the stage-3 file show no note: %q", notes)
		}
	}
	pg.shot("9-lineage-without-stage-2")
}

// The page lists the data files the index left out, and says when the
// data changed but cannot be indexed, until it can.
func TestViewBrowserDataProblems(t *testing.T) {
	browser(t)
	dir := viewDemo(t)
	data := filepath.Join(dir, "data", "demo")
	cut, _ := breakData(t, data)
	st := filepath.Join(dir, ".sptflow")
	idx := filepath.Join(t.TempDir(), "view")
	s, err := view.NewServer(context.Background(), idx, view.Source{Name: "spt-demo", Dir: data, Store: st, Pipeline: "spt-demo"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	base := serveHandler(t, s.Handler())
	p := newPage(t)
	p.do("rows", chromedp.Navigate(base+"/#/rows"))
	p.wait("rows", `document.body.dataset.ready === '1' && document.querySelectorAll('#rows tbody tr').length > 0`)
	if !p.visible("#skipped") || !strings.Contains(p.eval(`document.querySelector('#skipped').textContent`).(string), filepath.Base(cut)) {
		t.Errorf("the page does not list the cut file %s as left out: %q", filepath.Base(cut), p.eval(`document.querySelector('#skipped').textContent`))
	}
	if p.visible("#data-error") {
		t.Errorf("a data error shows before any")
	}
	p.wait("live", `document.querySelector('#live').textContent === 'live'`)
	if err := os.Rename(idx, idx+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(idx, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, mustRead(t, cut+"~"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s.Poll(p.ctx) == nil {
		t.Fatal("Poll with the index directory a file: no error")
	}
	p.wait("data error", `!document.querySelector('#data-error').hidden && document.querySelector('#data-error').textContent.includes('index directory')`)
	p.shot("10-data-error")
	os.Remove(idx)
	if err := os.Rename(idx+".away", idx); err != nil {
		t.Fatal(err)
	}
	if err := s.Poll(p.ctx); err != nil {
		t.Fatal(err)
	}
	p.wait("data error cleared", `document.querySelector('#data-error').hidden`)
}

// visible reports whether the element is shown.
func (p *page) visible(sel string) bool {
	p.t.Helper()
	return p.eval(`(() => { const e = document.querySelector('`+sel+`'); return !!e && !e.hidden && e.getClientRects().length > 0; })()`) == true
}

// The header's counts and report links were read once, at load: a run
// writing more records or its report left them stale. A live update
// reads them again.
func TestViewBrowserHeaderLive(t *testing.T) {
	browser(t)
	dir := viewDemo(t)
	data := filepath.Join(dir, "data", "demo")
	report := filepath.Join(data, "stage_3_analysis", "report.html")
	if err := os.Rename(report, report+"~"); err != nil {
		t.Fatal(err)
	}
	s := demoDataServer(t, dir, data)
	base := serveHandler(t, s.Handler())
	p := newPage(t) // after the server: its cleanup closes the browser first
	p.do("rows", chromedp.Navigate(base+"/#/rows"))
	p.wait("live", `document.querySelector('#live').textContent === 'live'`)
	before := p.text("#source")
	if got := p.text("#reports"); got != "" {
		t.Fatalf("reports before the run wrote one: %q", got)
	}
	// The run writes another stage-3 file, then its report.
	tagged, _ := filepath.Glob(filepath.Join(data, "stage_3_tagged", "sycophancy", "*.json"))
	if err := os.WriteFile(filepath.Join(filepath.Dir(tagged[0]), "batch_copy.json"), mustRead(t, tagged[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(report+"~", report); err != nil {
		t.Fatal(err)
	}
	if err := s.Poll(p.ctx); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d records", s.Index().Counts[3])
	p.wait("header counts", `document.querySelector('#source').textContent.includes('`+want+`')`)
	p.wait("report link", `[...document.querySelectorAll('#reports a')].some(a => a.getAttribute('href') === 'files/stage_3_analysis/report.html')`)
	if after := p.text("#source"); after == before {
		t.Errorf("header %q did not change with the data", after)
	}
}

// A #/rows?... link pasted (or followed) while on the Rows page did
// nothing: the page took every change of address there for its own.
func TestViewBrowserRowsLink(t *testing.T) {
	p, _ := rowsPage(t, false)
	all := p.text("#total")
	p.eval(`location.hash = '#/rows?verdict=FAIL&sort=confidence'; true`)
	p.wait("pasted link", `document.querySelector('#facets input[data-facet="verdict"][value="FAIL"]').checked &&
		[...document.querySelectorAll('#rows td.verdict')].every(td => td.textContent === 'FAIL') && document.querySelector('#rows th[data-col="confidence"]').textContent.includes('▲')`)
	if got := p.text("#total"); got == all {
		t.Errorf("after the link the total is still %s", got)
	}
	// Back to where it was.
	p.eval(`history.back(); true`)
	p.wait("back", `!location.hash.includes('verdict') && document.querySelector('#total').textContent === '`+all+`'`)
}

// A filter whose value no row left has (a stale link's verdict=NOPE, or
// verdict=AMBIGUOUS with a search no ambiguous record matches) was not
// drawn: "0 rows" with nothing to uncheck. Selected values are drawn, with
// count 0, and "clear filters" removes every filter and the search.
func TestViewBrowserStuckFilter(t *testing.T) {
	p, _ := rowsPage(t, false)
	all := p.text("#total")
	if p.visible("#clear") {
		t.Errorf("clear filters shows with no filter")
	}
	for _, q := range []string{"verdict=NOPE", "verdict=FAIL&tag=nosuchtag&q=zzqxnotaword"} {
		p.eval(`location.hash = "#/rows?` + q + `"; true`) // a link followed, or pasted
		var drawn []string
		for _, kv := range strings.Split(q, "&") {
			if f, v, _ := strings.Cut(kv, "="); f != "q" {
				sel := fmt.Sprintf(`#facets input[data-facet=%q][value=%q]`, f, v)
				drawn = append(drawn, `(i => !!i && i.checked && i.parentElement.querySelector('.n').textContent === '0')(document.querySelector('`+sel+`'))`)
			}
		}
		p.wait(q+": the filters drawn checked with count 0", `document.querySelector('#total').textContent === '0 rows' && `+strings.Join(drawn, " && "))
		if !p.visible("#clear") {
			t.Errorf("%s: no clear filters", q)
		}
	}
	p.shot("11-stuck-filter")
	p.do("clear filters", chromedp.Click("#clear"))
	p.wait("cleared", `document.querySelector('#total').textContent === '`+all+`' && location.hash === '#/rows?' && document.querySelector('#search').value === ''`)
	if p.visible("#clear") {
		t.Errorf("clear filters still shows with no filter")
	}
}

// Search hits were marked one word at a time over the escaped HTML: with
// "user ma*" the second pass marked the "ma" of the first's <mark>
// ("<mark>usermark>"), and "am*" broke "&amp;" apart. The marks leave the
// text as it is.
func TestViewBrowserHighlight(t *testing.T) {
	p, _ := rowsPage(t, false)
	for _, c := range []struct{ text, q, want string }{
		{"the user marks it", "user ma*", "the <mark>user</mark> <mark>ma</mark>rks it"},
		{"a & b am <lt>", "am* lt", "a &amp; b <mark>am</mark> &lt;<mark>lt</mark>&gt;"},
		{"an amp; and a.b", `"a.b" amp`, "an <mark>amp</mark>; and <mark>a.b</mark>"},
		{"marks <b>", "", "marks &lt;b&gt;"},
	} {
		if got := p.eval(fmt.Sprintf(`highlight(%q, %q)`, c.text, c.q)); got != c.want {
			t.Errorf("highlight(%q, %q) = %q, want %q", c.text, c.q, got, c.want)
		}
	}
	// In the table: the text of every cell is the row's text, marked or not.
	for _, q := range []string{"user ma*", "the am*"} {
		// (The table emptied first: only the search's own rows fill it.)
		p.eval(fmt.Sprintf(`(() => { document.querySelector('#rows tbody').innerHTML = ''; const s = document.querySelector('#search'); s.value = %q; s.dispatchEvent(new Event('input')); return true; })()`, q))
		p.wait(q, fmt.Sprintf(`new URLSearchParams(location.hash.split('?')[1] || '').get('q') === %q && document.querySelectorAll('#rows tbody mark').length > 0`, q))
		if bad := p.eval(`[...document.querySelectorAll('#rows td.text')].filter(td => td.textContent !== td.title).map(td => td.innerHTML).slice(0, 3)`); fmt.Sprint(bad) != "[]" {
			t.Errorf("search %q: cells whose marked text differs from the row's: %v", q, bad)
		}
	}
}

// With the server gone the page still said "live", and a filter clicked
// then failed with nothing on the page (an unhandled rejection in the
// console). It says it is disconnected, and what failed.
func TestViewBrowserServerGone(t *testing.T) {
	browser(t)
	_, hs, _ := demoServer(t, false)
	p := newPage(t)
	p.do("rows", chromedp.Navigate(hs.URL+"/#/rows"))
	p.wait("live", `document.body.dataset.ready === '1' && document.querySelector('#live').textContent === 'live' && document.querySelectorAll('#rows tbody tr').length > 0`)
	rows := p.eval(`document.querySelector('#rows tbody').innerHTML`)
	hs.Listener.Close()
	hs.CloseClientConnections()
	p.wait("disconnected", `document.querySelector('#live').textContent.startsWith('disconnected')`)
	p.do("filter", chromedp.Click(`#facets input[data-facet="verdict"][value="FAIL"]`))
	p.wait("error shown", `!document.querySelector('#page-error').hidden && document.querySelector('#page-error').textContent.startsWith('could not load the rows: ')`)
	p.shot("12-server-gone")
	if p.eval(`document.querySelector('#rows tbody').innerHTML`) != rows {
		t.Errorf("the failed request changed the table")
	}
}

// Rows, compared records and sortable headers could not be reached or
// opened from the keyboard, and Space on a facet redrew the facets and
// dropped the focus to the page.
func TestViewBrowserKeyboard(t *testing.T) {
	p, hs := rowsPage(t, true)
	const active = `document.activeElement`
	p.do("space on a facet", chromedp.Focus(`#facets input[data-facet="verdict"][value="FAIL"]`), chromedp.KeyEvent(" "))
	p.wait("facet toggled, still focused", `[...document.querySelectorAll('#rows td.verdict')].every(td => td.textContent === 'FAIL') &&
		`+active+`.matches('#facets input[data-facet="verdict"][value="FAIL"]') && `+active+`.checked`)
	p.do("enter on a header", chromedp.Focus(`#rows th[data-col="confidence"]`), chromedp.KeyEvent("\r"))
	p.wait("sorted, header focused", `location.hash.includes('sort=confidence') && `+active+`.matches('#rows th[data-col="confidence"]') && `+active+`.getAttribute('aria-sort') === 'ascending'`)
	if got := p.eval(`[...document.querySelectorAll('#rows th')].filter(th => th.tabIndex < 0).map(th => th.dataset.col).join(' ')`); got != "task text tags" {
		t.Errorf("headers out of the tab order: %q, want the unsortable task text tags", got)
	}
	id := p.eval(`document.querySelector('#rows tbody tr.row').dataset.id`)
	p.do("enter on a row", chromedp.Focus(`#rows tbody tr.row a`), chromedp.KeyEvent("\r"))
	p.wait("lineage", fmt.Sprintf(`location.hash === '#/row/%v' && document.querySelectorAll('#lineage .record').length > 0`, id))

	p.do("compare", chromedp.Navigate(hs.URL+"/#/compare"))
	p.wait("pairs", `document.querySelectorAll('#pairs tbody tr.row').length > 0`)
	if p.eval(`[...document.querySelectorAll('#pairs tbody tr.row')].every(tr => tr.tabIndex === 0)`) != true {
		t.Errorf("compared records are out of the tab order")
	}
	p.do("enter on a compared record", chromedp.Focus(`#pairs tbody tr.row`), chromedp.KeyEvent("\r"))
	p.wait("pair", `document.querySelectorAll('#pair .card').length === 2`)
}

// Every load asked for /favicon.ico, a 404 the console logged as an
// error. The page names an empty icon.
func TestViewBrowserNoFavicon404(t *testing.T) {
	browser(t)
	s, _, _ := demoServer(t, false)
	var mu sync.Mutex
	var missing []string
	h := s.Handler()
	base := serveHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusNotFound {
			mu.Lock()
			missing = append(missing, r.URL.Path)
			mu.Unlock()
		}
	}))
	p := newPage(t)
	p.do("rows", chromedp.Navigate(base+"/#/rows"))
	p.wait("rows", `document.body.dataset.ready === '1' && document.querySelectorAll('#rows tbody tr').length > 0`)
	time.Sleep(time.Second) // the icon is asked for after the load
	mu.Lock()
	defer mu.Unlock()
	if len(missing) > 0 {
		t.Errorf("the page asked for %q: 404", missing)
	}
}

// statusRecorder notes the status a handler answers with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Paging: ▶ on the last page went back to page 1; #/rows?page=99 with
// nothing selected said "page 100 of 1"; and #/rows?stage=7 drew the
// stage-1 columns over the stage-3 rows the server answered with.
func TestViewBrowserPaging(t *testing.T) {
	browser(t)
	_, hs, _ := demoServer(t, false)
	var all view.Page
	getJSON(t, hs.URL, "/api/rows", &all)
	pages := (all.Total + all.Size - 1) / all.Size
	if pages < 2 {
		t.Fatalf("the demo has %d records: one page, nothing to page through", all.Total)
	}
	p := newPage(t)
	p.do("rows", chromedp.Navigate(hs.URL+"/#/rows"))
	p.wait("rows", `document.body.dataset.ready === '1' && document.querySelectorAll('#rows tbody tr').length > 0`)
	pageno := func(n, of int) string {
		return fmt.Sprintf(`document.querySelector('#pageno').textContent.trim() === 'page %d of %d'`, n, of)
	}
	p.wait("first page", pageno(1, pages)+` && document.querySelector('#prev').disabled && !document.querySelector('#next').disabled`)
	for n := 2; n <= pages; n++ {
		p.do("next", chromedp.Click("#next"))
		p.wait(fmt.Sprint("page ", n), pageno(n, pages))
	}
	p.wait("last page", `document.querySelector('#next').disabled && !document.querySelector('#prev').disabled`)
	p.eval(`document.querySelector('#next').click(); true`)
	time.Sleep(500 * time.Millisecond)
	p.wait("still the last page", pageno(pages, pages))

	for _, c := range []struct{ hash, want string }{
		{"page=99&verdict=NOPE", pageno(1, 1) + ` && document.querySelector('#total').textContent === '0 rows' && !location.hash.includes('page=')`},
		{"page=99", pageno(pages, pages) + fmt.Sprintf(` && location.hash.includes('page=%d') && document.querySelectorAll('#rows tbody tr').length > 0`, pages-1)},
		{"page=-2&verdict=FAIL", pageno(1, 1) + ` && [...document.querySelectorAll('#rows td.verdict')].every(td => td.textContent === 'FAIL')`},
		{"stage=7", pageno(1, pages) + ` && document.querySelector('#stage').value === '3' && !!document.querySelector('#rows th[data-col="intervention"]') && !location.hash.includes('stage=')`},
	} {
		p.eval(`document.querySelector('#rows tbody').innerHTML = ''; location.hash = '#/rows?` + c.hash + `'; true`)
		p.wait(c.hash, `document.querySelectorAll('#rows tbody tr').length > 0 || document.querySelector('#total').textContent === '0 rows'`)
		p.wait(c.hash, c.want)
	}
}

// Comparing, the page never asked for side B: its rows, lineages and
// reports could not be reached. Rows and lineage switch sides, a compared
// record links to each side's lineage, and B's reports are linked.
func TestViewBrowserSideB(t *testing.T) {
	browser(t)
	_, hs, _ := demoServer(t, true)
	in := info(t, hs.URL)
	p := newPage(t)
	p.do("rows", chromedp.Navigate(hs.URL+"/#/rows"))
	p.wait("rows", `document.body.dataset.ready === '1' && document.querySelectorAll('#rows tbody tr').length > 0`)
	if p.eval(`!!document.querySelector('#reports a[href="files/b/stage_3_analysis/report.html"]')`) != true {
		t.Errorf("the header does not link B's report: %s", p.eval(`document.querySelector('#reports').innerHTML`))
	}
	p.eval(`(s => { document.querySelector('#rows tbody').innerHTML = ''; s.value = 'b'; s.dispatchEvent(new Event('change')); return true; })(document.querySelector('#side'))`)
	p.wait("side B's rows", fmt.Sprintf(`location.hash.includes('side=b') && document.querySelector('#total').textContent === '%d rows' && document.querySelectorAll('#rows tbody tr').length > 0`, in.Compare.Rows[3]))
	id := p.eval(`document.querySelector('#rows tbody tr.row').dataset.id`)
	p.do("B's lineage", chromedp.Click(`#rows tbody tr.row a`))
	p.wait("B's lineage", fmt.Sprintf(`location.hash === '#/row/%v?side=b' && document.querySelector('#lineage .side-on') && document.querySelector('#lineage .side-on').textContent.startsWith('B: ')
		&& !!document.querySelector('#lineage .record[data-row="%v"]')`, id, id))
	item := p.eval(`document.querySelector('#lineage p').textContent.match(/item (\w+)/)[1]`)
	p.do("A's lineage of the item", chromedp.Click(`#lineage a.side-other`))
	p.wait("A's lineage", `!location.hash.includes('side=b') && document.querySelector('#lineage .side-on') && document.querySelector('#lineage .side-on').textContent.startsWith('A: ')`)
	if got := p.eval(`document.querySelector('#lineage p').textContent.match(/item (\w+)/)[1]`); got != item {
		t.Errorf("A's lineage shows item %v, B's was %v", got, item)
	}
	p.shot("13-side-a-lineage")

	p.do("compare", chromedp.Navigate(hs.URL+"/#/compare"))
	p.wait("pairs", `document.querySelectorAll('#pairs tbody tr.row[data-a]:not([data-a="0"])[data-b]:not([data-b="0"])').length > 0`)
	b := p.eval(`document.querySelector('#pairs tbody tr.row[data-a]:not([data-a="0"])[data-b]:not([data-b="0"])').dataset.b`)
	p.do("a pair", chromedp.Click(`#pairs tbody tr.row[data-a]:not([data-a="0"])[data-b]:not([data-b="0"])`))
	p.wait("pair links", `document.querySelectorAll('#pair a.lineage-link').length === 2`)
	p.do("B's lineage of the pair", chromedp.Click(`#pair .cols > :nth-child(2) a.lineage-link`))
	p.wait("B's lineage of the pair", fmt.Sprintf(`location.hash === '#/row/%v?side=b' && !!document.querySelector('#lineage .record[data-row="%v"]')`, b, b))
}

// Found while testing the sweep's fixes: two queries in a row (typing
// on) whose first answered last drew the first's rows over the second's,
// under the second's address.
func TestViewBrowserLateAnswer(t *testing.T) {
	browser(t)
	s, _, _ := demoServer(t, false)
	h := s.Handler()
	base := serveHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("q") == "zzqxslow" {
			time.Sleep(1500 * time.Millisecond)
		}
		h.ServeHTTP(w, r)
	}))
	p := newPage(t)
	p.do("rows", chromedp.Navigate(base+"/#/rows"))
	p.wait("rows", `document.body.dataset.ready === '1' && document.querySelectorAll('#rows tbody tr').length > 0`)
	all := p.text("#total")
	search := func(q string) {
		p.eval(fmt.Sprintf(`(s => { s.value = %q; s.dispatchEvent(new Event('input')); return true; })(document.querySelector('#search'))`, q))
	}
	search("zzqxslow")
	p.wait("slow query asked", `location.hash.includes('q=zzqxslow')`)
	search("")
	p.wait("second query", `!location.hash.includes('q=')`)
	time.Sleep(2500 * time.Millisecond) // the slow answer comes in
	if got := p.text("#total"); got != all || !strings.HasSuffix(fmt.Sprint(p.eval(`location.hash`)), "#/rows?") {
		t.Errorf("after the slow query answered last: %s at %v, want %s (the later query's)", got, p.eval(`location.hash`), all)
	}
}

// rowsPage opens the demo's Rows page (of a compared pair with compare) in
// a fresh browser page, once its first rows are drawn.
func rowsPage(t *testing.T, compare bool) (*page, *httptest.Server) {
	t.Helper()
	browser(t)
	_, hs, _ := demoServer(t, compare)
	p := newPage(t)
	p.do("rows", chromedp.Navigate(hs.URL+"/#/rows"))
	p.wait("rows", `document.body.dataset.ready === '1' && document.querySelectorAll('#rows tbody tr').length > 0`)
	return p, hs
}
