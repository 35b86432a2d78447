package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/internal/refdata"
	"github.com/sptflow/sptflow/view"
)

// demoB is an experiment on the demo: another stage-3 max_tokens, so the
// sim reviewer writes other records, into its own data directory.
const demoB = `extends: demo.yaml
name: spt-demo-b
data: data/demo_b
models:
  sonnet: {provider: sim, model: claude-sonnet-4-5-20250929, max_tokens: 30000, sim: {review_rejection_rate: 0.15}}
`

// viewDemo is a new project in which the demo and demoB have run.
func viewDemo(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	if err := run(ctx, []string{"init", dir}, io.Discard, io.Discard); err != nil {
		t.Fatalf("init: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pipelines", "demo_b.yaml"), []byte(demoB), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"demo.yaml", "demo_b.yaml"} {
		if err := run(ctx, []string{"run", filepath.Join(dir, "pipelines", p), "--log-level", "error"}, io.Discard, io.Discard); err != nil {
			t.Fatalf("run %s: %v", p, err)
		}
	}
	return dir
}

// demoServer serves the demo (and demoB when compare is set).
func demoServer(t testing.TB, compare bool) (*view.Server, *httptest.Server, string) {
	t.Helper()
	dir := viewDemo(t)
	st := filepath.Join(dir, ".sptflow")
	srcs := []view.Source{{Name: "spt-demo", Dir: filepath.Join(dir, "data", "demo"), Store: st, Pipeline: "spt-demo"}}
	if compare {
		srcs = append(srcs, view.Source{Name: "spt-demo-b", Dir: filepath.Join(dir, "data", "demo_b"), Store: st, Pipeline: "spt-demo-b"})
	}
	s, err := view.NewServer(context.Background(), filepath.Join(st, "view"), srcs...)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return s, hs, dir
}

func getJSON(t testing.TB, base, path string, into any) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

func TestViewRowsFacetsSearch(t *testing.T) {
	_, hs, _ := demoServer(t, false)
	var info view.Info
	getJSON(t, hs.URL, "/api/info", &info)
	if info.Rows[1] != 24 || info.Rows[2] < 24 || info.Rows[2] > 48 || info.Rows[3] == 0 {
		t.Errorf("info rows = %v, want 24 items (3 topics × 2 batches × 4), 24-48 answers (A, and B when asked) and records", info.Rows)
	}
	var all view.Page
	getJSON(t, hs.URL, "/api/rows?size=10", &all)
	if all.Total != info.Rows[3] || len(all.Rows) != 10 {
		t.Fatalf("rows: total %d, page %d rows; want %d, 10", all.Total, len(all.Rows), info.Rows[3])
	}
	var last view.Page
	getJSON(t, hs.URL, "/api/rows?size=10&page="+itoa((all.Total-1)/10), &last)
	if want := all.Total - (all.Total-1)/10*10; len(last.Rows) != want {
		t.Errorf("last page has %d rows, want %d", len(last.Rows), want)
	}
	var facets map[string][]view.Count
	getJSON(t, hs.URL, "/api/facets", &facets)
	verdicts := map[string]int{}
	for _, c := range facets["verdict"] {
		verdicts[c.Value] = c.Count
	}
	if verdicts["PASS"] == 0 || verdicts["FAIL"] == 0 {
		t.Fatalf("verdict facet = %v, want PASS and FAIL", facets["verdict"])
	}
	for _, f := range []string{"topic", "variant", "itype", "iversion", "confidence", "tag", "review_rounds"} {
		if len(facets[f]) == 0 {
			t.Errorf("facet %s is missing: %v", f, facets)
		}
	}
	var fails view.Page
	getJSON(t, hs.URL, "/api/rows?verdict=FAIL&size=500&sort=confidence&desc=1", &fails)
	if fails.Total != verdicts["FAIL"] {
		t.Errorf("verdict=FAIL selects %d rows, the facet says %d", fails.Total, verdicts["FAIL"])
	}
	for i, r := range fails.Rows {
		if r.Verdict != "FAIL" {
			t.Errorf("verdict=FAIL row %d has verdict %q", r.ID, r.Verdict)
		}
		if i > 0 && atof(r.Confidence) > atof(fails.Rows[i-1].Confidence) {
			t.Errorf("sort=confidence desc: %s after %s", r.Confidence, fails.Rows[i-1].Confidence)
		}
	}
	// The facet counts of a filtered query: other verdicts stay listed.
	getJSON(t, hs.URL, "/api/facets?verdict=FAIL", &facets)
	if len(facets["verdict"]) < 2 {
		t.Errorf("verdict facet under verdict=FAIL = %v, want every verdict still listed", facets["verdict"])
	}
	tag := facets["tag"][0]
	var tagged view.Page
	getJSON(t, hs.URL, "/api/rows?verdict=FAIL&tag="+url.QueryEscape(tag.Value), &tagged)
	if tagged.Total != tag.Count {
		t.Errorf("verdict=FAIL&tag=%s selects %d rows, the facet says %d", tag.Value, tagged.Total, tag.Count)
	}
	// Full-text search: a word of one record's task finds it.
	word := longestWord(all.Rows[0].Task)
	var found view.Page
	getJSON(t, hs.URL, "/api/rows?q="+url.QueryEscape(word)+"&size=500", &found)
	if found.Total == 0 || found.Total == all.Total {
		t.Fatalf("q=%s found %d of %d rows, want some", word, found.Total, all.Total)
	}
	hit := false
	for _, r := range found.Rows {
		hit = hit || r.ID == all.Rows[0].ID
	}
	if !hit {
		t.Errorf("q=%s does not find row %d, whose task holds it", word, all.Rows[0].ID)
	}
	var none view.Page
	getJSON(t, hs.URL, "/api/rows?q=zzqxnotaword", &none)
	if none.Total != 0 {
		t.Errorf("q=zzqxnotaword found %d rows", none.Total)
	}
	var s2 view.Page
	getJSON(t, hs.URL, "/api/rows?stage=2&variant=A", &s2)
	if s2.Total != 24 {
		t.Errorf("stage=2&variant=A: %d rows, want 24", s2.Total)
	}
}

func TestViewLineage(t *testing.T) {
	_, hs, _ := demoServer(t, false)
	var p view.Page
	getJSON(t, hs.URL, "/api/rows?variant=B&size=1", &p)
	r := p.Rows[0]
	var l view.Lineage
	getJSON(t, hs.URL, "/api/lineage?id="+itoa(int(r.ID)), &l)
	if l.Item.T == "" || l.Item.A == "" || l.Item.B == "" || l.Item.Batch.BatchID == "" || !strings.HasPrefix(l.Item.Batch.File, "stage_1/") {
		t.Errorf("lineage item = %+v, want A, B, T and the stage-1 batch", l.Item)
	}
	if len(l.Answers) != 2 {
		t.Fatalf("lineage has %d answers, want A and B of qwen", len(l.Answers))
	}
	for _, a := range l.Answers {
		if a.S == "" || len(a.Calls) == 0 {
			t.Errorf("answer %s %s: S %q, %d calls; want the answer and its call", a.Model, a.Variant, a.S, len(a.Calls))
			continue
		}
		c := a.Calls[0]
		if !c.Simulated || !strings.HasPrefix(c.Served, "sim/") || c.Attempts < 1 || c.Node != "infer" {
			t.Errorf("answer call = %+v, want a simulated infer call", c)
		}
		// The call's stored request has its curl, asked for when the
		// call is opened; the answer has none of its own.
		var full view.Call
		getJSON(t, hs.URL, "/api/call?key="+c.Key, &full)
		if !strings.Contains(full.Curl, "$ANTHROPIC_API_KEY") || strings.Contains(full.Curl, "test-key") || a.Curl != "" {
			t.Errorf("call curl = %q, answer curl %q; want the call's with the key as $ANTHROPIC_API_KEY, none of the answer's", full.Curl, a.Curl)
		}
	}
	var rec *view.RecordView
	for i := range l.Records {
		if l.Records[i].Row == r.ID {
			rec = &l.Records[i]
		}
	}
	if rec == nil {
		t.Fatalf("lineage of row %d lacks the row's record: %+v", r.ID, l.Records)
	}
	if rec.Verdict != r.Verdict || rec.I == "" || rec.R == "" || len(rec.Calls) == 0 || len(rec.Reviews) == 0 {
		t.Errorf("record = verdict %q, I %d bytes, R %d bytes, %d calls, %d reviews; want the record's verdict %q, texts, calls and reviews",
			rec.Verdict, len(rec.I), len(rec.R), len(rec.Calls), len(rec.Reviews), r.Verdict)
	}
	// Every record's reviews are its batch's rounds, 1 to the number it
	// made, though two stage-2 files number their batches alike.
	for _, x := range l.Records {
		var f struct {
			Made   json.Number `json:"num_stage_3_reviews_made"`
			Passed bool        `json:"stage_3_reviews_passed"`
		}
		if err := json.Unmarshal(x.Fields, &f); err != nil {
			t.Fatal(err)
		}
		if string(f.Made) != itoa(len(x.Reviews)) {
			t.Errorf("record %d made %s reviews, the lineage shows %d", x.Row, f.Made, len(x.Reviews))
			continue
		}
		for i, rv := range x.Reviews {
			last := i == len(x.Reviews)-1
			if rv.Round != i+1 || last && rv.Accepted != f.Passed || !last && rv.Accepted {
				t.Errorf("record %d review %d: round %d, accepted %v", x.Row, i, rv.Round, rv.Accepted)
			}
		}
	}
	for _, c := range rec.Calls {
		if c.Node != "intervene" || !strings.HasSuffix(c.Partition, "@"+r.Topic) {
			t.Errorf("record call from %s (%s), want intervene@%s", c.Partition, c.Node, r.Topic)
		}
	}
	resp, err := http.Get(hs.URL + "/api/lineage?id=999999")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("lineage of a missing row: %s, want 404", resp.Status)
	}
}

func TestViewOverview(t *testing.T) {
	_, hs, _ := demoServer(t, false)
	var ov view.Overview
	getJSON(t, hs.URL, "/api/overview", &ov)
	if ov.Pipeline != "spt-demo" || !ov.Ended || len(ov.Partitions) != 14 {
		t.Fatalf("overview = pipeline %q, ended %v, %d partitions; want spt-demo's run, 14 partitions", ov.Pipeline, ov.Ended, len(ov.Partitions))
	}
	nodes := map[string]view.NodeView{}
	for _, n := range ov.Nodes {
		nodes[n.Node] = n
	}
	if n := nodes["intervene"]; n.Estimate == nil || n.Spent.Requests == 0 {
		t.Errorf("intervene node = %+v, want its estimate and requests", n)
	}
	if n := nodes["total"]; n.Spent.Requests != ov.Total.Requests || ov.Total.Requests == 0 {
		t.Errorf("total line: %d requests, want the run's %d", n.Spent.Requests, ov.Total.Requests)
	}
	for _, p := range ov.Partitions {
		if p.State != "succeeded" {
			t.Errorf("partition %s: state %s", p.ID, p.State)
		}
		if strings.HasPrefix(p.ID, "generate@") && (p.Rows != 8 || p.Spent.Requests == 0) {
			t.Errorf("partition %s: %d rows, %d requests; want 8 items and its requests", p.ID, p.Rows, p.Spent.Requests)
		}
	}
	var info view.Info
	getJSON(t, hs.URL, "/api/info", &info)
	resp, err := http.Get(hs.URL + "/files/stage_3_analysis/report.html")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !contains(info.Reports, "stage_3_analysis/report.html") {
		t.Errorf("report link: %s, reports %v", resp.Status, info.Reports)
	}
}

func TestViewCompare(t *testing.T) {
	_, hs, _ := demoServer(t, true)
	var c view.CompareView
	getJSON(t, hs.URL, "/api/compare", &c)
	m := c.Report.Flips
	if c.Matched == 0 || c.Matched != m.Matched || m.Changed == 0 || c.Changed < m.Changed || len(c.Report.Tags) == 0 {
		t.Fatalf("compare: matched %d (flip matrix %d), changed %d (verdicts %d), %d tag deltas", c.Matched, m.Matched, c.Changed, m.Changed, len(c.Report.Tags))
	}
	var all, changed view.PairPage
	getJSON(t, hs.URL, "/api/compare/pairs?size=500", &all)
	getJSON(t, hs.URL, "/api/compare/pairs?size=500&changed=1", &changed)
	if all.Total != c.Matched+c.OnlyA+c.OnlyB || changed.Total != c.Changed+c.OnlyA+c.OnlyB {
		t.Errorf("pairs: %d, changed %d; want %d and %d", all.Total, changed.Total, c.Matched+c.OnlyA+c.OnlyB, c.Changed+c.OnlyA+c.OnlyB)
	}
	var flipped view.PairPage
	getJSON(t, hs.URL, "/api/compare/pairs?size=500&va=PASS&vb=FAIL", &flipped)
	if flipped.Total != m.Count("PASS", "FAIL") {
		t.Errorf("PASS→FAIL pairs: %d, the flip matrix says %d", flipped.Total, m.Count("PASS", "FAIL"))
	}
	p := flipped.Pairs[0]
	var pv view.PairView
	getJSON(t, hs.URL, "/api/compare/pair?a="+itoa(int(p.A))+"&b="+itoa(int(p.B)), &pv)
	if pv.A == nil || pv.B == nil || pv.A.Verdict != "PASS" || pv.B.Verdict != "FAIL" || pv.TaskA == "" {
		t.Fatalf("pair = %+v", pv)
	}
	var a, b strings.Builder
	for _, op := range pv.DiffR {
		if op.Op != "+" {
			a.WriteString(op.Text)
		}
		if op.Op != "-" {
			b.WriteString(op.Text)
		}
	}
	if a.String() != pv.A.R || b.String() != pv.B.R {
		t.Errorf("the word diff of R does not rebuild both texts")
	}
}

func TestViewEvents(t *testing.T) {
	s, hs, dir := demoServer(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 256)
	n, _ := resp.Body.Read(buf)
	if !strings.Contains(string(buf[:n]), "event: hello") {
		t.Fatalf("first event = %q", buf[:n])
	}
	// A run of the viewed pipeline going on: its journal grows (demoB ran
	// later, but the view shows spt-demo's runs only).
	runs, _ := filepath.Glob(filepath.Join(dir, ".sptflow", "runs", "*", "journal.jsonl"))
	last := ""
	for _, r := range runs {
		if b, err := os.ReadFile(r); err == nil && strings.Contains(string(b), `"pipeline":"spt-demo"`) {
			last = r
		}
	}
	f, err := os.OpenFile(last, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"event":"note"}` + "\n")
	f.Close()
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	n, _ = resp.Body.Read(buf)
	if got := string(buf[:n]); !strings.Contains(got, "event: update") || !strings.Contains(got, `"run"`) {
		t.Errorf("event after the journal grew = %q, want an update about the run", got)
	}
}

func TestViewExport(t *testing.T) {
	s, _, _ := demoServer(t, false)
	dir := t.TempDir()
	q := view.ParseQuery(url.Values{"verdict": {"FAIL"}})
	n, err := s.Index().Export(context.Background(), "demo", q, dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if n == 0 || !strings.Contains(page, "window.SPT_STATIC") || strings.Contains(page, `src="app.js"`) || strings.Contains(page, `href="style.css"`) {
		t.Errorf("export of %d rows is not one self-contained page", n)
	}
	if strings.Count(page, `"verdict":"PASS"`) > 0 && !strings.Contains(page, `"stage":2`) {
		t.Errorf("export holds PASS records, want only the FAIL selection (and its items' other stages)")
	}
}

func atof(s string) float64 {
	var f float64
	_ = json.Unmarshal([]byte(s), &f)
	return f
}

func longestWord(s string) string {
	best := ""
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') }) {
		if len(w) > len(best) {
			best = w
		}
	}
	return best
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestViewLiveData(t *testing.T) {
	s, _, dir := demoServer(t, false)
	before := s.Index()
	// The run writes another stage-3 file: a new digest, a new index.
	tagged := filepath.Join(dir, "data", "demo", "stage_3_tagged", "sycophancy")
	files, _ := filepath.Glob(filepath.Join(tagged, "*.json"))
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tagged, "batch_sycophancy_copy.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := s.Index()
	if after.Digest == before.Digest || after.Counts[3] <= before.Counts[3] {
		t.Errorf("after a new file: digest %.8s → %.8s, records %d → %d; want a new index with more records",
			before.Digest, after.Digest, before.Counts[3], after.Counts[3])
	}
}

var servingRE = regexp.MustCompile(`serving (http://\S+)/ `)

// serveView runs `sptflow view ARGS --addr 127.0.0.1:0` until the test
// ends and returns the address it serves, or the error it stopped with.
func serveView(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"view", "--addr", "127.0.0.1:0", "--log-level", "error"}, args...), &bytes.Buffer{}, &stderr)
	}()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.After(2 * time.Minute)
	for {
		if m := servingRE.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], nil
		}
		select {
		case err := <-done:
			done <- err
			if err == nil {
				err = errors.New("stopped without serving: " + stderr.String())
			}
			return "", err
		case <-deadline:
			t.Fatalf("sptflow view %v: not serving after 2 minutes: %s", args, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// writeLock writes the lock file of dir with only the named pipelines to
// name, in dir.
func writeLock(t *testing.T, dir, name string, keep ...string) string {
	t.Helper()
	lf, err := store.ReadLockFile(filepath.Join(dir, "sptflow.lock"), lockyaml.Codec{})
	if err != nil {
		t.Fatal(err)
	}
	for p := range lf.Pipelines {
		if !contains(keep, p) {
			delete(lf.Pipelines, p)
		}
	}
	b, err := lockyaml.Codec{}.Encode(lf)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestViewLockFiles compares the outputs two lock files pin, read from the
// store: the same matched records, flip matrix and tag deltas as comparing
// the two pipelines' data directories.
func TestViewLockFiles(t *testing.T) {
	dir := viewDemo(t)
	st := filepath.Join(dir, ".sptflow")
	ps, err := view.NewServer(context.Background(), filepath.Join(st, "view"),
		view.Source{Name: "spt-demo", Dir: filepath.Join(dir, "data", "demo"), Store: st, Pipeline: "spt-demo"},
		view.Source{Name: "spt-demo-b", Dir: filepath.Join(dir, "data", "demo_b"), Store: st, Pipeline: "spt-demo-b"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	var want view.CompareView
	pipelines := serveHandler(t, ps.Handler())
	getJSON(t, pipelines, "/api/compare", &want)

	a := writeLock(t, dir, "A.lock", "spt-demo")
	b := writeLock(t, dir, "B.lock", "spt-demo-b")
	// The data directories are gone: the viewer reads the store.
	if err := os.RemoveAll(filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, base string, wantA, wantB string) {
		t.Helper()
		var c view.CompareView
		getJSON(t, base, "/api/compare", &c)
		m := c.Report.Flips
		if !strings.Contains(c.A, wantA) || !strings.Contains(c.B, wantB) {
			t.Errorf("compare sides %q, %q; want %s and %s", c.A, c.B, wantA, wantB)
		}
		if c.Matched == 0 || c.Matched != want.Matched || c.Changed != want.Changed || c.OnlyA != want.OnlyA || c.OnlyB != want.OnlyB {
			t.Errorf("compare: matched %d, changed %d, only A %d, only B %d; the pipelines' compare says %d, %d, %d, %d",
				c.Matched, c.Changed, c.OnlyA, c.OnlyB, want.Matched, want.Changed, want.OnlyA, want.OnlyB)
		}
		if m.Matched != want.Report.Flips.Matched || m.Changed == 0 || m.Changed != want.Report.Flips.Changed ||
			m.Count("PASS", "FAIL") != want.Report.Flips.Count("PASS", "FAIL") {
			t.Errorf("flip matrix: matched %d, changed %d, PASS→FAIL %d; the pipelines': %d, %d, %d", m.Matched, m.Changed, m.Count("PASS", "FAIL"),
				want.Report.Flips.Matched, want.Report.Flips.Changed, want.Report.Flips.Count("PASS", "FAIL"))
		}
		if len(c.Report.Tags) == 0 || len(c.Report.Tags) != len(want.Report.Tags) {
			t.Errorf("%d tag deltas, the pipelines' compare has %d", len(c.Report.Tags), len(want.Report.Tags))
		}
		// The sides' summaries: the records of the pinned outputs.
		var sums struct {
			Report struct {
				A, B struct {
					Records int `json:"records"`
				}
			} `json:"report"`
		}
		getJSON(t, base, "/api/compare", &sums)
		if ra, rb := sums.Report.A.Records, sums.Report.B.Records; ra == 0 || rb == 0 || ra != info(t, base).Rows[3] {
			t.Errorf("report: %d records in A, %d in B; want A's %d indexed records", ra, rb, info(t, base).Rows[3])
		}
		var flipped view.PairPage
		getJSON(t, base, "/api/compare/pairs?size=500&va=PASS&vb=FAIL", &flipped)
		if flipped.Total != m.Count("PASS", "FAIL") || flipped.Total == 0 {
			t.Fatalf("PASS→FAIL pairs: %d, the flip matrix says %d", flipped.Total, m.Count("PASS", "FAIL"))
		}
		p := flipped.Pairs[0]
		var pv view.PairView
		getJSON(t, base, "/api/compare/pair?a="+itoa(int(p.A))+"&b="+itoa(int(p.B)), &pv)
		if pv.A == nil || pv.B == nil || pv.A.Verdict != "PASS" || pv.B.Verdict != "FAIL" || pv.TaskA == "" || pv.A.R == "" {
			t.Errorf("pair = %+v", pv)
		}
		info := info(t, base)
		if info.Rows[1] != 24 || info.Rows[3] == 0 || info.Compare == nil || info.Compare.Rows[3] == 0 {
			t.Errorf("info rows = %v, compare %+v; want every stage of the pinned outputs", info.Rows, info.Compare)
		}
	}

	t.Run("files", func(t *testing.T) {
		base, err := serveView(t, a, b)
		if err != nil {
			t.Fatal(err)
		}
		check(t, base, "A.lock (pipeline spt-demo)", "B.lock (pipeline spt-demo-b)")
	})
	t.Run("pipeline flag", func(t *testing.T) {
		lock := filepath.Join(dir, "sptflow.lock")
		base, err := serveView(t, lock, lock, "--pipeline", "spt-demo,spt-demo-b")
		if err != nil {
			t.Fatal(err)
		}
		check(t, base, "(pipeline spt-demo)", "(pipeline spt-demo-b)")
		// Without --pipeline, two pipelines neither of which differs: which one?
		_, err = serveView(t, lock, lock)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--pipeline") {
			t.Errorf("two pipelines without --pipeline: %v, want a usage error asking for --pipeline", err)
		}
		// Of two pipelines both locks hold, the only one that differs.
		lf, err := store.ReadLockFile(lock, lockyaml.Codec{})
		if err != nil {
			t.Fatal(err)
		}
		lf.Pipelines["spt-demo-b"] = lf.Pipelines["spt-demo"]
		enc, _ := lockyaml.Codec{}.Encode(lf)
		both := filepath.Join(dir, "both.lock")
		if err := os.WriteFile(both, enc, 0o644); err != nil {
			t.Fatal(err)
		}
		base, err = serveView(t, both, lock)
		if err != nil {
			t.Fatal(err)
		}
		var c view.CompareView
		getJSON(t, base, "/api/compare", &c)
		if !strings.HasSuffix(c.A, "(pipeline spt-demo-b)") || !strings.HasSuffix(c.B, "(pipeline spt-demo-b)") ||
			c.Matched != want.Matched || c.Report.Flips.Count("PASS", "FAIL") != want.Report.Flips.Count("PASS", "FAIL") {
			// both.lock's spt-demo-b pins spt-demo's outputs: the pipelines' comparison again.
			t.Errorf("the pipeline that differs: %q vs %q, matched %d, PASS→FAIL %d; want spt-demo-b, %d, %d",
				c.A, c.B, c.Matched, c.Report.Flips.Count("PASS", "FAIL"), want.Matched, want.Report.Flips.Count("PASS", "FAIL"))
		}
		_, err = serveView(t, lock, lock, "--pipeline", "nope")
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), `no pipeline "nope"`) {
			t.Errorf("--pipeline nope: %v", err)
		}
	})
	t.Run("one of each", func(t *testing.T) {
		_, err := serveView(t, a, filepath.Join(dir, "pipelines", "demo.yaml"))
		if !errors.Is(err, errUsage) {
			t.Errorf("a lock file and a pipeline: %v, want a usage error", err)
		}
	})
	t.Run("missing store entry", func(t *testing.T) {
		lf, err := store.ReadLockFile(b, lockyaml.Codec{})
		if err != nil {
			t.Fatal(err)
		}
		e := lf.Pipelines["spt-demo-b"]["tag@sycophancy"]
		e.Output = strings.Repeat("ab", 32)
		lf.Pipelines["spt-demo-b"]["tag@sycophancy"] = e
		enc, _ := lockyaml.Codec{}.Encode(lf)
		c := filepath.Join(dir, "C.lock")
		if err := os.WriteFile(c, enc, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = serveView(t, a, c)
		if err == nil || !strings.Contains(err.Error(), "does not hold 1 of the") || !strings.Contains(err.Error(), "tag@sycophancy (output abababababab)") {
			t.Errorf("a lock pinning an output the store lacks: %v", err)
		}
	})
	t.Run("git revision", func(t *testing.T) {
		git, err := exec.LookPath("git")
		if err != nil {
			t.Skip("no git")
		}
		g := func(args ...string) {
			t.Helper()
			cmd := exec.Command(git, append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v: %s", args, err, out)
			}
		}
		g("init", "-q")
		g("add", "A.lock")
		g("commit", "-q", "-m", "A")
		// The committed lock, not the file: A.lock now pins B's outputs.
		if err := os.WriteFile(a, mustRead(t, b), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Chdir(dir)
		base, err := serveView(t, "HEAD:A.lock", "B.lock")
		if err != nil {
			t.Fatal(err)
		}
		check(t, base, "HEAD:A.lock (pipeline spt-demo)", "B.lock (pipeline spt-demo-b)")
		_, err = serveView(t, "HEAD:nope.lock", "B.lock")
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "git show") {
			t.Errorf("a revision without the file: %v", err)
		}
	})
}

func serveHandler(t *testing.T, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL
}

func info(t *testing.T, base string) view.Info {
	t.Helper()
	var in view.Info
	getJSON(t, base, "/api/info", &in)
	return in
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// --select without --export was ignored: the server started on every row.
func TestViewSelectNeedsExport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // else it serves until then
	defer cancel()
	err := run(ctx, []string{"view", "--data", t.TempDir(), "--select", "verdict=FAIL", "--addr", "127.0.0.1:0"}, io.Discard, io.Discard)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--export") {
		t.Errorf("view --select without --export: err = %v; want a usage error naming --export", err)
	}
}

// "index ready" logged took=73.511274 (milliseconds, unlabelled); other
// log lines name a duration duration_ms.
func TestViewIndexLogDuration(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the index of a --data outside a project
	t.Setenv("HOME", t.TempDir())
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"view", "--data", t.TempDir(), "--export", t.TempDir(), "--select", "verdict=FAIL", "--log-format", "json"}, io.Discard, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`.*"index ready".*`).FindString(stderr.String())
	if !regexp.MustCompile(`"duration_ms":[0-9]+[,}]`).MatchString(line) || strings.Contains(line, `"took"`) {
		t.Errorf("index ready log = %s; want duration_ms in whole milliseconds", stderr.String())
	}
}

// An export of more rows than it holds said "(500 rows)" as if that were
// the whole selection.
func TestViewExportSaysItIsCapped(t *testing.T) {
	ref := refdata.Dir(t, "stage_3_tagged")
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the index of a --data outside a project
	t.Setenv("HOME", t.TempDir())
	var stdout bytes.Buffer
	err := run(context.Background(), []string{"view", "--data", filepath.Join(ref, "stage_3_tagged"), "--export", t.TempDir(),
		"--select", "verdict=FAIL", "--log-level", "error"}, &stdout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`\(the first 500 of [0-9]+ selected rows: an export holds at most 500`).MatchString(stdout.String()) {
		t.Errorf("export of every FAIL record of the published data printed %q; want it to say it kept 500 of them", stdout.String())
	}
}

// A data directory with nothing in the original layout served an empty
// table with no word of why.
func TestViewEmptyDataWarns(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"view", "--data", t.TempDir(), "--export", t.TempDir(), "--select", "verdict=FAIL"}, io.Discard, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "no rows to show: the directory holds no batch files in the original layout") {
		t.Errorf("view --data EMPTY: stderr = %q; want a warning that it found no rows and why", stderr.String())
	}
}

// A stage-3 file whose items stage_1/ lacks (its stage-1 file gone, or
// the file left from another run) answered every lineage of it with a 500,
// "item X has no stage-1 row"; the stage-3 file's copy of the item stands
// in, with a note saying so.
func TestViewLineageWithoutStage1(t *testing.T) {
	dir := viewDemo(t)
	data := filepath.Join(dir, "data", "demo")
	if err := os.RemoveAll(filepath.Join(data, "stage_1", "sycophancy")); err != nil {
		t.Fatal(err)
	}
	s := demoDataServer(t, dir, data)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	var p view.Page
	getJSON(t, hs.URL, "/api/rows?topic=sycophancy&size=1", &p)
	if len(p.Rows) == 0 {
		t.Fatal("no stage-3 row of sycophancy")
	}
	var l struct {
		Item struct {
			A, T string
			Note string `json:"note"`
		} `json:"item"`
		Records []json.RawMessage `json:"records"`
	}
	getJSON(t, hs.URL, "/api/lineage?id="+itoa(int(p.Rows[0].ID)), &l)
	if l.Item.T == "" || l.Item.A == "" || !strings.Contains(l.Item.Note, "stage_1/ holds no row of this item") || len(l.Records) == 0 {
		t.Errorf("lineage without a stage-1 row: item %+v, %d records; want the item from the stage-3 file, a note, the records", l.Item, len(l.Records))
	}
}

// A stage-3 record whose stage-2 file is missing lost its answer: the
// lineage had the records and no answer (answers: []), and the page,
// drawing a model's card only for its answers, showed none of them. The
// record's stage-3 file holds the answer (inferences[model][variant]): it
// stands in, with a note, as the item does without stage_1/.
func TestViewLineageWithoutStage2(t *testing.T) {
	dir := viewDemo(t)
	data := filepath.Join(dir, "data", "demo")
	if err := os.RemoveAll(filepath.Join(data, "stage_2", "sycophancy")); err != nil {
		t.Fatal(err)
	}
	s := demoDataServer(t, dir, data)
	hs := serveHandler(t, s.Handler())
	var p view.Page
	getJSON(t, hs, "/api/rows?topic=sycophancy&size=1", &p)
	if len(p.Rows) == 0 {
		t.Fatal("no stage-3 row of sycophancy")
	}
	var l view.Lineage
	getJSON(t, hs, "/api/lineage?id="+itoa(int(p.Rows[0].ID)), &l)
	if len(l.Records) == 0 {
		t.Fatal("lineage without a stage-2 row has no records")
	}
	for _, r := range l.Records {
		var a *view.AnswerView
		for i := range l.Answers {
			if l.Answers[i].Model == r.Model && l.Answers[i].Variant == r.Variant {
				a = &l.Answers[i]
			}
		}
		switch {
		case a == nil:
			t.Errorf("record %d (%s %s) has no answer in the lineage; answers: %+v", r.Row, r.Model, r.Variant, l.Answers)
		case a.S == "" || a.Row != 0 || !strings.Contains(a.Note, "stage_2/ holds no row of this answer") || !strings.Contains(a.Note, "stage_3_tagged/sycophancy/"):
			t.Errorf("answer of record %d: S %q, row %d, note %q; want S from the stage-3 file, no row, a note naming it", r.Row, a.S, a.Row, a.Note)
		case len(a.Calls) == 0:
			t.Errorf("answer of record %d read from the stage-3 file: no call found for it", r.Row)
		}
	}
	// Another topic's answers keep their stage-2 rows, with no note.
	var other view.Lineage
	getJSON(t, hs, "/api/rows?topic=reward_hacks&size=1", &p)
	getJSON(t, hs, "/api/lineage?id="+itoa(int(p.Rows[0].ID)), &other)
	for _, a := range other.Answers {
		if a.Row == 0 || a.Note != "" {
			t.Errorf("answer with a stage-2 row: row %d, note %q; want its row and no note", a.Row, a.Note)
		}
	}
}

// breakData cuts one of the demo's stage-3 files short (keeping it whole
// in PATH~) and gives another a string confidence (off the data contract),
// and returns their paths.
func breakData(t *testing.T, data string) (truncated, offContract string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(data, "stage_3_tagged", "*", "*.json"))
	if len(files) < 2 {
		t.Fatalf("want two stage-3 files, have %v", files)
	}
	b := mustRead(t, files[0])
	if err := os.WriteFile(files[0]+"~", b, 0o644); err != nil { // the whole file, to put back
		t.Fatal(err)
	}
	if err := os.WriteFile(files[0], b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	b = mustRead(t, files[1])
	c := regexp.MustCompile(`"confidence": [0-9]+`).ReplaceAll(b, []byte(`"confidence": "high"`))
	if bytes.Equal(b, c) {
		t.Fatalf("%s has no confidence to change", files[1])
	}
	if err := os.WriteFile(files[1], c, 0o644); err != nil {
		t.Fatal(err)
	}
	return files[0], files[1]
}

// One unreadable data file (cut short, or off the data contract) stopped
// the viewer from starting: "build index of ...: read ...: parse batch
// file". It is left out, with a warning the page shows.
func TestViewSkipsUnreadableFile(t *testing.T) {
	dir := viewDemo(t)
	data := filepath.Join(dir, "data", "demo")
	cut, off := breakData(t, data)
	reviews, _ := filepath.Glob(filepath.Join(data, "stage_3_reviews", "*_reviews.jsonl"))
	f, err := os.OpenFile(reviews[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"dataset": "cut sh` + "\n")
	f.Close()
	s := demoDataServer(t, dir, data)
	in := info(t, serveHandler(t, s.Handler()))
	want := []string{filepath.Base(cut), filepath.Base(off), filepath.Base(reviews[0]) + ":"}
	if len(in.Skipped) != len(want) {
		t.Fatalf("skipped = %q; want %d entries: the cut file, the file off contract, the review line", in.Skipped, len(want))
	}
	for i, w := range want {
		if !strings.Contains(in.Skipped[i], w) {
			t.Errorf("skipped[%d] = %q; want it to name %s", i, in.Skipped[i], w)
		}
	}
	if in.Rows[1] != 24 || in.Rows[3] == 0 {
		t.Errorf("rows = %v; want the other files' rows", in.Rows)
	}
}

// event reads the next server-sent event of a stream.
func nextEvent(t *testing.T, r *bufio.Reader) (name, data string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream: %v (after %q %q)", err, name, data)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		case line == "" && name != "":
			return name, data
		}
	}
}

// A data change the viewer could not index stopped every live update:
// Poll returned at the failure before telling the page anything (a run's
// progress too, which it then forgot), and Watch dropped the error. The
// page now hears of the run, and of the failure; once the data can be
// indexed again, of the data and that the failure is over.
func TestViewPollError(t *testing.T) {
	dir := viewDemo(t)
	st := filepath.Join(dir, ".sptflow")
	idx := filepath.Join(t.TempDir(), "view")
	src := view.Source{Name: "spt-demo", Dir: filepath.Join(dir, "data", "demo"), Store: st, Pipeline: "spt-demo"}
	s, err := view.NewServer(context.Background(), idx, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", serveHandler(t, s.Handler())+"/api/events", nil)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req) // an event that never comes fails the test
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewReader(resp.Body)
	if name, _ := nextEvent(t, events); name != "hello" {
		t.Fatalf("first event %q", name)
	}
	// The index directory cannot be written, the data and the run change.
	if err := os.Rename(idx, idx+".away"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(idx, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tagged, _ := filepath.Glob(filepath.Join(src.Dir, "stage_3_tagged", "sycophancy", "*.json"))
	if err := os.WriteFile(filepath.Join(filepath.Dir(tagged[0]), "batch_copy.json"), mustRead(t, tagged[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	journals, _ := filepath.Glob(filepath.Join(st, "runs", "*", "journal.jsonl"))
	for _, j := range journals {
		f, err := os.OpenFile(j, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(`{"event":"note"}` + "\n")
		f.Close()
	}
	if err := s.Poll(ctx); err == nil || !strings.Contains(err.Error(), "index directory") {
		t.Errorf("Poll with the index directory a file: %v, want the error", err)
	}
	name, d := nextEvent(t, events)
	if name != "update" || !strings.Contains(d, `"run"`) || strings.Contains(d, `"data"`) {
		t.Errorf("event = %s %s; want an update about the run", name, d)
	}
	if name, d = nextEvent(t, events); name != "data-error" || !strings.Contains(d, "index directory") {
		t.Errorf("event = %s %s; want a data-error naming the failure", name, d)
	}
	// The same failure again: no new event; then the directory is back.
	if err := s.Poll(ctx); err == nil {
		t.Errorf("second Poll: no error")
	}
	if err := os.Remove(idx); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(idx+".away", idx); err != nil {
		t.Fatal(err)
	}
	if err := s.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if name, d = nextEvent(t, events); name != "update" || !strings.Contains(d, `"data"`) {
		t.Errorf("event after the fix = %s %s; want an update about the data", name, d)
	}
	if name, d = nextEvent(t, events); name != "data-error" || d != `{"error":""}` {
		t.Errorf("event after the fix = %s %s; want the data-error cleared", name, d)
	}
}

// A NUL in the search (/api/rows?q=%00) answered 500: FTS5 rejected the
// query. Control characters separate words.
func TestViewSearchControlChars(t *testing.T) {
	_, hs, _ := demoServer(t, false)
	var all, nul, word view.Page
	getJSON(t, hs.URL, "/api/rows", &all)
	getJSON(t, hs.URL, "/api/rows?q=%00", &nul)
	if nul.Total != all.Total {
		t.Errorf("q=%%00 selects %d rows, want all %d (no word to search)", nul.Total, all.Total)
	}
	w := longestWord(all.Rows[0].Task)
	getJSON(t, hs.URL, "/api/rows?q="+url.QueryEscape("\x00"+w+"\x1f"), &word)
	if word.Total == 0 || word.Total == all.Total {
		t.Errorf("q=NUL %s US selects %d of %d rows, want those with %s", w, word.Total, all.Total, w)
	}
	var facets map[string][]view.Count
	getJSON(t, hs.URL, "/api/facets?q=%00%01", &facets)
}

// A port in use said "sptflow: sptflow view: listen on ADDR: listen tcp
// ADDR: bind: address already in use" (the address twice, no hint), and
// only after the index was built. It is checked first, and says what to do.
func TestViewAddrInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	// Data whose index cannot be built: the address is checked before.
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "stage_1"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	var stderr bytes.Buffer
	err = run(context.Background(), []string{"view", "--data", data, "--addr", addr}, io.Discard, &stderr)
	var out bytes.Buffer
	report(&out, err)
	want := "sptflow: address " + addr + " is in use; pick another with --addr (127.0.0.1:0 for any free port)\n"
	if out.String() != want {
		t.Errorf("view --addr BUSY printed %q, want %q", out.String(), want)
	}
	if exitCode(err) != exitFailed {
		t.Errorf("exit code %d, want %d", exitCode(err), exitFailed)
	}
}

// `sptflow view a.lock b.lock` with the files missing said "read
// pipeline: open a.lock": a *.lock argument that is not a file was taken
// for a pipeline (and with one of two missing, for "one of each"). It is
// a lock file, and the message says it is missing; sptflow diff alike.
func TestViewMissingLockFiles(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	present := writeLockFile(t, dir)
	for _, args := range [][]string{
		{"view", "--addr", "127.0.0.1:0", "a.lock", "b.lock"},
		{"view", "--addr", "127.0.0.1:0", present, "a.lock"},
		{"diff", "a.lock", "b.lock"},
		{"diff", present, "a.lock"},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		if !errors.Is(err, errUsage) || !strings.Contains(fmt.Sprint(err), "lock file a.lock does not exist") {
			t.Errorf("sptflow %s: %v; want a usage error saying lock file a.lock does not exist", strings.Join(args, " "), err)
		}
	}
}

// writeLockFile writes an empty lock file, sptflow.lock, in dir.
func writeLockFile(t *testing.T, dir string) string {
	t.Helper()
	b, err := lockyaml.Codec{}.Encode(&store.LockFile{})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "sptflow.lock")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Comparing, side B could only be read through the Compare tab: its
// reports were not served (/files/ is A's directory), and a lineage did
// not say which side it was of or where the item is on the other side.
func TestViewSideB(t *testing.T) {
	_, hs, dir := demoServer(t, true)
	for path, file := range map[string]string{
		"/files/stage_3_analysis/report.html":   filepath.Join(dir, "data", "demo", "stage_3_analysis", "report.html"),
		"/files/b/stage_3_analysis/report.html": filepath.Join(dir, "data", "demo_b", "stage_3_analysis", "report.html"),
	} {
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Equal(b, mustRead(t, file)) {
			t.Errorf("GET %s: %s, %d bytes; want %s", path, resp.Status, len(b), file)
		}
	}
	in := info(t, hs.URL)
	if in.Compare == nil || !contains(in.Compare.Reports, "stage_3_analysis/report.html") {
		t.Errorf("info of side B lists reports %v", in.Compare)
	}
	type sideLineage struct {
		view.Lineage
		Side  string `json:"side"`
		Other int64  `json:"other"`
	}
	var rows view.Page
	getJSON(t, hs.URL, "/api/rows?side=b&size=1", &rows)
	var b, a sideLineage
	getJSON(t, hs.URL, "/api/lineage?side=b&id="+itoa(int(rows.Rows[0].ID)), &b)
	if b.Side != "b" || b.Other == 0 {
		t.Fatalf("lineage of B's row %d: side %q, other %d; want b and A's row", rows.Rows[0].ID, b.Side, b.Other)
	}
	getJSON(t, hs.URL, "/api/lineage?id="+itoa(int(b.Other)), &a)
	var rb, ra *view.RecordView
	for i := range b.Records {
		if b.Records[i].Row == rows.Rows[0].ID {
			rb = &b.Records[i]
		}
	}
	for i := range a.Records {
		if a.Records[i].Row == b.Other {
			ra = &a.Records[i]
		}
	}
	switch {
	case a.Side != "a" || a.Item.ID != b.Item.ID:
		t.Errorf("A's lineage of row %d: side %q, item %s; want a, item %s", b.Other, a.Side, a.Item.ID, b.Item.ID)
	case rb == nil || ra == nil || ra.Model != rb.Model || ra.Variant != rb.Variant || ra.Intervention != rb.Intervention:
		t.Errorf("B's record %+v stands for A's %+v; want the same model, variant and intervention", rb, ra)
	}
	if a.Other != rows.Rows[0].ID {
		t.Errorf("A's row %d: other %d; want B's row %d back", b.Other, a.Other, rows.Rows[0].ID)
	}
	var one struct {
		Side *string `json:"side"`
	}
	_, hs1, _ := demoServer(t, false)
	getJSON(t, hs1.URL, "/api/lineage?id=1", &one)
	if one.Side != nil {
		t.Errorf("a lineage with no comparison names a side %q", *one.Side)
	}
}

// A lineage carried every call's request object, a curl repeating its
// body and the stored record: 1-4 MB for one demo item (6-17 MB after a
// few runs), most of it requests that many calls share. It carries the
// calls' summaries; /api/call sends one call in full when it is opened.
func TestViewLineagePayload(t *testing.T) {
	_, hs, _ := demoServer(t, false)
	var p view.Page
	getJSON(t, hs.URL, "/api/rows?size=500", &p)
	var most int
	for _, r := range p.Rows {
		resp, err := http.Get(hs.URL + "/api/lineage?id=" + itoa(int(r.ID)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		most = max(most, len(b))
	}
	if most > 128<<10 {
		t.Errorf("the largest lineage of the demo is %d KB; want its calls' summaries only (about 40 KB)", most>>10)
	}
	var l view.Lineage
	getJSON(t, hs.URL, "/api/lineage?id="+itoa(int(p.Rows[0].ID)), &l)
	c := l.Records[0].Calls[0]
	var full view.Call
	getJSON(t, hs.URL, "/api/call?key="+c.Key, &full)
	if full.Key != c.Key || full.Request == nil || full.Curl == "" || full.Record == nil || full.CostUSD != c.CostUSD {
		t.Errorf("/api/call of %.12s: request %d bytes, curl %d, record %d; want them all, and the summary's cost", c.Key, len(full.Request), len(full.Curl), len(full.Record))
	}
	resp, err := http.Get(hs.URL + "/api/call?key=nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/api/call of an unknown key: %s, want 404", resp.Status)
	}
}

// demoDataServer is a viewer of the data directory data of the demo
// project in dir (its store and pipeline name), closed when the test ends.
func demoDataServer(t *testing.T, dir, data string) *view.Server {
	t.Helper()
	st := filepath.Join(dir, ".sptflow")
	s, err := view.NewServer(context.Background(), filepath.Join(st, "view"), view.Source{Name: "spt-demo", Dir: data, Store: st, Pipeline: "spt-demo"})
	if err != nil {
		t.Fatalf("viewer of %s: %v", data, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
