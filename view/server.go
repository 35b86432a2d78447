package view

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sptflow/sptflow/steps/compare"
)

//go:embed assets
var assets embed.FS

// Side is one experiment the server shows: its source and its index.
type Side struct {
	Src Source
	ix  atomic.Pointer[Index]
}

// Index returns the side's current index (replaced when the data change).
func (d *Side) Index() *Index { return d.ix.Load() }

// Server serves the app and its API over one source, or two to compare.
type Server struct {
	A, B     *Side // B is nil unless comparing
	IndexDir string

	mu      sync.Mutex
	subs    map[chan event]struct{}
	lastSig string
	lastErr string // the last poll's error, as the page was told it
	pairs   []Pair // cached matching of A and B
	report  *compare.Report
}

// event is one server-sent event: its name and JSON data.
type event struct{ name, data string }

// NewServer opens (building when needed) the index of each source in
// indexDir. With two sources the app compares them.
func NewServer(ctx context.Context, indexDir string, srcs ...Source) (*Server, error) {
	if len(srcs) == 0 || len(srcs) > 2 {
		return nil, fmt.Errorf("view: want one or two sources, got %d", len(srcs))
	}
	s := &Server{IndexDir: indexDir, subs: map[chan event]struct{}{}}
	for i, src := range srcs {
		ix, err := OpenIndex(ctx, src, indexDir)
		if err != nil {
			return nil, err
		}
		side := &Side{Src: src}
		side.ix.Store(ix)
		if i == 0 {
			s.A = side
		} else {
			s.B = side
		}
	}
	s.lastSig = s.liveSignature()
	return s, nil
}

// Index returns the current index of side A.
func (s *Server) Index() *Index { return s.A.ix.Load() }

// Close closes the indexes.
func (s *Server) Close() error {
	var errs []error
	for _, side := range []*Side{s.A, s.B} {
		if side != nil {
			errs = append(errs, side.ix.Load().Close())
		}
	}
	return errors.Join(errs...)
}

// Handler is the app and its API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/info", s.info)
	mux.HandleFunc("GET /api/rows", s.rows)
	mux.HandleFunc("GET /api/facets", s.facets)
	mux.HandleFunc("GET /api/lineage", s.lineage)
	mux.HandleFunc("GET /api/call", s.call)
	mux.HandleFunc("GET /api/overview", s.overview)
	mux.HandleFunc("GET /api/compare", s.compare)
	mux.HandleFunc("GET /api/compare/pairs", s.comparePairs)
	mux.HandleFunc("GET /api/compare/pair", s.comparePair)
	mux.HandleFunc("GET /api/events", s.events)
	mux.Handle("GET /files/", http.StripPrefix("/files/", http.FileServer(http.Dir(s.A.Src.Dir))))
	if s.B != nil {
		// Side B's reports (a directory "b" of side A's data would be
		// hidden by it, but the layout has none).
		mux.Handle("GET /files/b/", http.StripPrefix("/files/b/", http.FileServer(http.Dir(s.B.Src.Dir))))
	}
	return mux
}

func (s *Server) side(r *http.Request) *Side {
	if r.URL.Query().Get("side") == "b" && s.B != nil {
		return s.B
	}
	return s.A
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	if err := enc.Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func fail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	if errors.Is(err, errNotFound) {
		code = http.StatusNotFound
	}
	http.Error(w, err.Error(), code)
}

// Info is what the page shows in its header.
type Info struct {
	Name    string      `json:"name"`
	Dir     string      `json:"dir"`
	Digest  string      `json:"digest"`
	Index   string      `json:"index"`
	BuildMS int64       `json:"build_ms"`
	Rows    map[int]int `json:"rows"`
	Store   bool        `json:"store"`
	Compare *Info       `json:"compare,omitempty"`
	Reports []string    `json:"reports"`
	Facets  []string    `json:"facets"`
	// Skipped lists the data files left out of the index (unreadable),
	// each with why.
	Skipped []string `json:"skipped"`
}

func sideInfo(side *Side) *Info {
	ix := side.ix.Load()
	in := &Info{Name: side.Src.Name, Dir: side.Src.Dir, Digest: ix.Digest, Index: ix.Path, BuildMS: ix.Built.Milliseconds(),
		Rows: ix.Counts, Store: side.Src.Store != "", Reports: []string{}, Facets: Facets, Skipped: ix.Skipped}
	if in.Skipped == nil {
		in.Skipped = []string{}
	}
	for _, rep := range []string{"stage_3_analysis/report.html", "stage_3_analysis/report.md", "reports/evaluation.html", "export/summary.json"} {
		if _, err := os.Stat(filepath.Join(side.Src.Dir, filepath.FromSlash(rep))); err == nil {
			in.Reports = append(in.Reports, rep)
		}
	}
	m, _ := filepath.Glob(filepath.Join(side.Src.Dir, dirReviews, "*_summary.json"))
	for _, p := range m {
		in.Reports = append(in.Reports, path.Join(dirReviews, filepath.Base(p)))
	}
	return in
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	in := sideInfo(s.A)
	if s.B != nil {
		in.Compare = sideInfo(s.B)
	}
	writeJSON(w, in)
}

func (s *Server) rows(w http.ResponseWriter, r *http.Request) {
	p, err := s.side(r).ix.Load().Rows(r.Context(), ParseQuery(r.URL.Query()))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, p)
}

func (s *Server) facets(w http.ResponseWriter, r *http.Request) {
	f, err := s.side(r).ix.Load().Facets(r.Context(), ParseQuery(r.URL.Query()))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, f)
}

// SideLineage is a lineage as the API serves it: comparing, with the side
// it is of and the row of the same item on the other side.
type SideLineage struct {
	*Lineage
	Side string `json:"side,omitempty"` // "a" or "b" when comparing
	// Other is the row on the other side standing for the same row: the
	// same record (model, variant, intervention) of the same item, else a
	// row of the item at the same stage, else its first row; 0 when the
	// other side lacks the item.
	Other int64 `json:"other,omitempty"`
}

func (s *Server) lineage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	if err != nil {
		http.Error(w, "lineage: want id=<row id>", http.StatusBadRequest)
		return
	}
	side := s.side(r)
	l, err := side.ix.Load().Lineage(r.Context(), id)
	if err != nil {
		fail(w, err)
		return
	}
	out := SideLineage{Lineage: l}
	if s.B != nil {
		other := s.B
		out.Side = "a"
		if side == s.B {
			out.Side, other = "b", s.A
		}
		out.Other = other.ix.Load().rowLike(r.Context(), side.ix.Load(), id)
	}
	writeJSON(w, out)
}

// call serves one call of a lineage in full: its record, its request and
// the request's curl (a lineage carries each call's summary).
func (s *Server) call(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	if key == "" {
		http.Error(w, "call: want key=<request key>", http.StatusBadRequest)
		return
	}
	c, err := s.side(r).ix.Load().CallDetail(r.Context(), key)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, c)
}

// rowLike returns the row of this index that stands for row id of index
// from (SideLineage.Other).
func (ix *Index) rowLike(ctx context.Context, from *Index, id int64) int64 {
	var item, model, variant, interv string
	var stage int
	if from.db.QueryRowContext(ctx, `SELECT item, stage, model, variant, intervention FROM rows WHERE id = ?`, id).
		Scan(&item, &stage, &model, &variant, &interv) != nil {
		return 0
	}
	var out int64
	_ = ix.db.QueryRowContext(ctx, `SELECT id FROM rows WHERE item = ?
		ORDER BY (stage = ? AND model = ? AND variant = ? AND intervention = ?) DESC, stage = ? DESC, stage, id LIMIT 1`,
		item, stage, model, variant, interv, stage).Scan(&out)
	return out
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	side := s.side(r)
	if side.Src.Store == "" {
		writeJSON(w, &Overview{Partitions: []PartitionView{}, Nodes: []NodeView{}, Failures: []string{}, Runs: []string{}})
		return
	}
	run := r.URL.Query().Get("run")
	if run == "" {
		run = side.Src.Run
	}
	ov, err := ReadOverview(side.Src.Store, run, side.Src.Pipeline)
	if err != nil {
		fail(w, err)
		return
	}
	ix := side.ix.Load()
	for i := range ov.Partitions {
		p := &ov.Partitions[i]
		ov.Partitions[i].Rows = ix.partitionRows(r.Context(), p.Node, p.ID)
	}
	writeJSON(w, ov)
}

// partitionRows counts the rows a partition produced: its node's stage,
// restricted to its topic when it has one.
func (ix *Index) partitionRows(ctx context.Context, node, id string) int {
	stage := map[string]int{"generate": 1, "infer": 2, "intervene": 3, "tag": 3}[node]
	if stage == 0 {
		return 0
	}
	_, topic, _ := strings.Cut(id, "@")
	if k, v, ok := strings.Cut(topic, "="); ok && k == "topic" {
		topic = v
	}
	q := `SELECT count(*) FROM rows WHERE stage = ?`
	args := []any{stage}
	if topic != "" && !strings.Contains(topic, ",") {
		q += ` AND topic = ?`
		args = append(args, topic)
	}
	var n int
	_ = ix.db.QueryRowContext(ctx, q, args...).Scan(&n)
	return n
}

// CompareView is the comparison's summary.
type CompareView struct {
	A       string          `json:"a"`
	B       string          `json:"b"`
	Report  *compare.Report `json:"report"`
	Matched int             `json:"matched"`
	Changed int             `json:"changed"`
	OnlyA   int             `json:"only_a"`
	OnlyB   int             `json:"only_b"`
}

func (s *Server) comparison(ctx context.Context) ([]Pair, *compare.Report, error) {
	if s.B == nil {
		return nil, nil, fmt.Errorf("compare: %w: start the viewer with two experiments", errNotFound)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pairs != nil {
		return s.pairs, s.report, nil
	}
	pairs, err := Pairs(ctx, s.A.ix.Load(), s.B.ix.Load())
	if err != nil {
		return nil, nil, err
	}
	sa, err := compareSide("A", s.A.Src)
	if err != nil {
		return nil, nil, err
	}
	sb, err := compareSide("B", s.B.Src)
	if err != nil {
		return nil, nil, err
	}
	rep, err := compare.Compare(sa, sb)
	if err != nil {
		return nil, nil, err
	}
	s.pairs, s.report = pairs, rep
	return pairs, rep, nil
}

func (s *Server) compare(w http.ResponseWriter, r *http.Request) {
	pairs, rep, err := s.comparison(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	v := CompareView{A: s.A.Src.Name, B: s.B.Src.Name, Report: rep}
	for _, p := range pairs {
		switch {
		case p.A == 0:
			v.OnlyB++
		case p.B == 0:
			v.OnlyA++
		default:
			v.Matched++
			if p.Changed {
				v.Changed++
			}
		}
	}
	writeJSON(w, v)
}

// PairPage is a page of matched records.
type PairPage struct {
	Total int    `json:"total"`
	Page  int    `json:"page"`
	Size  int    `json:"size"`
	Pairs []Pair `json:"pairs"`
}

func (s *Server) comparePairs(w http.ResponseWriter, r *http.Request) {
	pairs, _, err := s.comparison(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	q := r.URL.Query()
	changed := q.Get("changed") == "1"
	va, vb := q.Get("va"), q.Get("vb")
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get("size"))
	if size <= 0 || size > 500 {
		size = 50
	}
	out := PairPage{Page: max(page, 0), Size: size, Pairs: []Pair{}}
	for _, p := range pairs {
		if changed && !p.Changed || va != "" && verdictOr(p.VerdictA, p.A) != va || vb != "" && verdictOr(p.VerdictB, p.B) != vb {
			continue
		}
		if out.Total >= out.Page*size && len(out.Pairs) < size {
			out.Pairs = append(out.Pairs, p)
		}
		out.Total++
	}
	writeJSON(w, out)
}

func verdictOr(v string, id int64) string {
	if id == 0 {
		return compare.Absent
	}
	if v == "" {
		return "(none)"
	}
	return v
}

// PairView is one matched record on both sides, with word diffs.
type PairView struct {
	A     *RecordView `json:"a"`
	B     *RecordView `json:"b"`
	TaskA string      `json:"task"`
	DiffI []Op        `json:"diff_I"`
	DiffR []Op        `json:"diff_R"`
}

func (s *Server) comparePair(w http.ResponseWriter, r *http.Request) {
	if s.B == nil {
		fail(w, fmt.Errorf("compare: %w", errNotFound))
		return
	}
	q := r.URL.Query()
	var v PairView
	for _, x := range []struct {
		side *Side
		id   string
		into **RecordView
	}{{s.A, q.Get("a"), &v.A}, {s.B, q.Get("b"), &v.B}} {
		id, err := strconv.ParseInt(x.id, 10, 64)
		if err != nil || id == 0 {
			continue
		}
		rv, task, err := x.side.ix.Load().Record(r.Context(), id)
		if err != nil {
			fail(w, err)
			return
		}
		*x.into = rv
		v.TaskA = task
	}
	var ia, ib, ra, rb string
	if v.A != nil {
		ia, ra = v.A.I, v.A.R
	}
	if v.B != nil {
		ib, rb = v.B.I, v.B.R
	}
	v.DiffI, v.DiffR = WordDiff(ia, ib), WordDiff(ra, rb)
	writeJSON(w, v)
}

// Record returns the stage-3 record of row id and its task.
func (ix *Index) Record(ctx context.Context, id int64) (*RecordView, string, error) {
	row, err := scanRow(ix.db.QueryRowContext(ctx, "SELECT "+rowCols+rowFrom+" WHERE r.id = ? AND r.stage = 3", id))
	if err != nil {
		return nil, "", fmt.Errorf("record %d: %w", id, errNotFound)
	}
	l, err := ix.Lineage(ctx, id)
	if err != nil {
		return nil, "", err
	}
	for i := range l.Records {
		if l.Records[i].Row == row.ID {
			return &l.Records[i], l.Item.T, nil
		}
	}
	return nil, "", fmt.Errorf("record %d: %w", id, errNotFound)
}
