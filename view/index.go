package view

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, with FTS5

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// schemaVersion versions the index; a new version makes a new index.
const schemaVersion = 7

const schema = `
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT);
CREATE TABLE rows (
	id INTEGER PRIMARY KEY,
	stage INTEGER NOT NULL,   -- 1 item, 2 answer, 3 intervention record
	topic TEXT NOT NULL,
	file TEXT NOT NULL,       -- batch file, relative to the data directory
	idx INTEGER NOT NULL,     -- item index in the file
	item TEXT NOT NULL,       -- item identity: topic and task text
	model TEXT NOT NULL DEFAULT '',
	variant TEXT NOT NULL DEFAULT '',
	intervention TEXT NOT NULL DEFAULT '',
	itype TEXT NOT NULL DEFAULT '',
	iversion TEXT NOT NULL DEFAULT '',
	verdict TEXT NOT NULL DEFAULT '',
	confidence TEXT NOT NULL DEFAULT '',
	difficulty TEXT NOT NULL DEFAULT '',
	review_rounds TEXT NOT NULL DEFAULT '',
	failed INTEGER NOT NULL DEFAULT 0,
	tags TEXT NOT NULL DEFAULT '',
	answer TEXT NOT NULL DEFAULT '',    -- the answer's identity (stages 2 and 3): item, model, variant
	content INTEGER NOT NULL DEFAULT 0  -- fingerprint of the row's texts and verdict
);
-- The texts the table shows, apart, so that filters and facet counts scan
-- narrow rows.
CREATE TABLE snips (
	id INTEGER PRIMARY KEY,
	task TEXT NOT NULL DEFAULT '',  -- the first 300 characters of T
	text TEXT NOT NULL DEFAULT ''   -- of S (stage 2), I (stage 3), B (stage 1)
);
CREATE TABLE row_tags (row INTEGER NOT NULL, tag TEXT NOT NULL, stage INTEGER NOT NULL);
CREATE VIRTUAL TABLE rows_fts USING fts5(prompt, response, intervention, review, content='', tokenize='unicode61');
CREATE TABLE reviews (topic TEXT, intervention TEXT, batch INTEGER, round INTEGER, verdict INTEGER, model TEXT, evaluation TEXT, thought TEXT, file TEXT, time REAL);
-- Every facet's counts without a filter (the first page's), per stage.
CREATE TABLE facet_counts (stage INTEGER, facet TEXT, value TEXT, n INTEGER);
CREATE TABLE calls (key TEXT PRIMARY KEY, provider TEXT, model TEXT, served TEXT, ok INTEGER, input_tokens INTEGER, output_tokens INTEGER, cache_read INTEGER, cost REAL, attempts INTEGER, run TEXT, time TEXT, simulated INTEGER, partition TEXT, node TEXT, record TEXT);
CREATE TABLE call_fp (fp INTEGER NOT NULL, key TEXT NOT NULL);
CREATE TABLE call_requests (digest TEXT PRIMARY KEY, body TEXT);
`

// indexes are the schema's secondary indexes, made once the tables are
// filled: sorting a column once costs less than keeping its index up to
// date row by row.
const indexes = `
CREATE INDEX rows_item ON rows(item, stage);
CREATE INDEX rows_f_topic ON rows(stage, topic);
CREATE INDEX rows_f_model ON rows(stage, model);
CREATE INDEX rows_f_variant ON rows(stage, variant);
CREATE INDEX rows_f_itype ON rows(stage, itype);
CREATE INDEX rows_f_iversion ON rows(stage, iversion);
CREATE INDEX rows_f_verdict ON rows(stage, verdict);
CREATE INDEX rows_f_confidence ON rows(stage, confidence);
CREATE INDEX rows_f_difficulty ON rows(stage, difficulty);
CREATE INDEX rows_f_review_rounds ON rows(stage, review_rounds);
CREATE INDEX rows_f_failed ON rows(stage, failed);
CREATE INDEX rows_answer ON rows(answer, stage);
CREATE INDEX row_tags_tag ON row_tags(tag, row);
CREATE INDEX row_tags_row ON row_tags(row);
CREATE INDEX row_tags_stage ON row_tags(stage, tag);
CREATE INDEX reviews_key ON reviews(topic, intervention, batch);
CREATE INDEX call_fp_fp ON call_fp(fp);
`

// Index is an open row index.
type Index struct {
	db     *sql.DB
	Digest string
	Path   string
	// Built is how long building took (0 when an existing index was opened).
	Built time.Duration
	// Rows counts the rows by stage.
	Counts map[int]int
	// Skipped lists the data files (and review log lines) left out of the
	// index because they cannot be read, each with why.
	Skipped []string
}

// Close closes the database.
func (ix *Index) Close() error { return ix.db.Close() }

// OpenIndex opens the index of src in dir (<dir>/<digest>.db), building it
// first when it does not exist.
func OpenIndex(ctx context.Context, src Source, dir string) (*Index, error) {
	l, err := src.scan()
	if err != nil {
		return nil, err
	}
	digest, err := src.digest(l)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create index directory: %w", err)
	}
	p := filepath.Join(dir, digest[:32]+".db")
	ix := &Index{Digest: digest, Path: p}
	if _, err := os.Stat(p); err != nil {
		start := time.Now()
		if err := build(ctx, src, l, p); err != nil {
			return nil, err
		}
		ix.Built = time.Since(start)
	}
	if ix.db, err = openDB(p); err != nil {
		return nil, err
	}
	if ix.Counts, err = ix.counts(ctx); err != nil {
		ix.db.Close()
		return nil, err
	}
	if ix.Skipped, err = ix.skipped(ctx); err != nil {
		ix.db.Close()
		return nil, err
	}
	return ix, nil
}

// skipped reads what the build left out (none in an index that predates
// the list: its build stopped at an unreadable file instead).
func (ix *Index) skipped(ctx context.Context) ([]string, error) {
	v, err := ix.meta(ctx, "skipped")
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", ix.Path, err)
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, fmt.Errorf("read index %s: skipped files: %w", ix.Path, err)
	}
	return out, nil
}

func openDB(p string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+p+"?mode=ro&_pragma=query_only(1)&_pragma=cache_size(-8000)")
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", p, err)
	}
	db.SetMaxOpenConns(runtime.NumCPU() + 2)
	return db, nil
}

func (ix *Index) counts(ctx context.Context) (map[int]int, error) {
	rs, err := ix.db.QueryContext(ctx, `SELECT stage, n FROM facet_counts WHERE facet = ''`)
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", ix.Path, err)
	}
	defer rs.Close()
	out := map[int]int{}
	for rs.Next() {
		var s, n int
		if err := rs.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rs.Err()
}

// build writes the index of src to p (through a temporary file renamed into
// place, so a half-built index is never opened).
func build(ctx context.Context, src Source, l layout, p string) error {
	tmp := p + fmt.Sprintf(".tmp%d", os.Getpid())
	os.Remove(tmp)
	db, err := sql.Open("sqlite", "file:"+tmp+"?_pragma=journal_mode(off)&_pragma=synchronous(off)")
	if err != nil {
		return fmt.Errorf("create index: %w", err)
	}
	db.SetMaxOpenConns(1)
	err = func() error {
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, schema); err != nil {
			return fmt.Errorf("create index schema: %w", err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
			return err
		}
		w, err := newWriter(ctx, conn)
		if err != nil {
			return err
		}
		if err := indexFiles(ctx, src.Dir, l, w); err != nil {
			return err
		}
		badReviews, err := indexReviews(ctx, src.Dir, l.reviews, conn)
		if err != nil {
			return err
		}
		skipped, _ := json.Marshal(append(w.skipped, badReviews...))
		if _, err := conn.ExecContext(ctx, `INSERT INTO meta VALUES ('skipped', ?)`, string(skipped)); err != nil {
			return err
		}
		if src.Store != "" {
			if err := indexCalls(ctx, src.Store, conn); err != nil {
				return err
			}
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO meta VALUES ('dir', ?), ('name', ?)`, src.Dir, src.Name); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, indexes); err != nil {
			return fmt.Errorf("create secondary indexes: %w", err)
		}
		if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
			return err
		}
		if err := countFacets(ctx, conn); err != nil {
			return err
		}
		// Statistics, so the planner starts a filtered count from the
		// most selective facet's index.
		_, err = conn.ExecContext(ctx, "ANALYZE")
		return err
	}()
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("build index of %s: %w", src.Dir, err)
	}
	return os.Rename(tmp, p)
}

// countFacets stores every facet's counts without a filter.
func countFacets(ctx context.Context, conn preparer) error {
	for _, f := range Facets {
		q := fmt.Sprintf(`INSERT INTO facet_counts SELECT stage, '%s', %s, count(*) FROM rows GROUP BY stage, %s`, f, f, f)
		if f == "tag" {
			q = `INSERT INTO facet_counts SELECT stage, 'tag', tag, count(*) FROM row_tags GROUP BY stage, tag`
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("count facet %s: %w", f, err)
		}
	}
	_, err := conn.ExecContext(ctx, `INSERT INTO facet_counts SELECT stage, '', '', count(*) FROM rows GROUP BY stage`)
	return err
}

// row is one row to index.
type row struct {
	stage                                   int
	topic, file                             string
	idx                                     int
	item                                    string
	model, variant, intervention            string
	itype, iversion, verdict, confidence    string
	difficulty, reviewRounds                string
	failed                                  bool
	tags                                    []string
	task, text                              string
	ftsPrompt, ftsResp, ftsInterv, ftsRevie string
	content                                 int64
}

// preparer is a connection or a transaction.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// commitEvery is how many batch files' rows one transaction holds: SQLite
// (FTS5's pending terms above all) keeps a transaction's work in memory.
const commitEvery = 8

type writer struct {
	conn                   preparer
	files                  int
	ctx                    context.Context
	rows, snips, tags, fts *sql.Stmt
	next                   int64
	skipped                []string // files left out, with why
}

func newWriter(ctx context.Context, tx preparer) (*writer, error) {
	w := &writer{ctx: ctx, conn: tx}
	var err error
	if w.rows, err = tx.PrepareContext(ctx, `INSERT INTO rows VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`); err != nil {
		return nil, err
	}
	if w.snips, err = tx.PrepareContext(ctx, `INSERT INTO snips VALUES (?,?,?)`); err != nil {
		return nil, err
	}
	if w.tags, err = tx.PrepareContext(ctx, `INSERT INTO row_tags VALUES (?,?,?)`); err != nil {
		return nil, err
	}
	if w.fts, err = tx.PrepareContext(ctx, `INSERT INTO rows_fts(rowid, prompt, response, intervention, review) VALUES (?,?,?,?,?)`); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *writer) add(r *row) error {
	w.next++
	id := w.next
	failed := 0
	if r.failed {
		failed = 1
	}
	answer := ""
	if r.stage > 1 {
		answer = r.item + "\x00" + r.model + "\x00" + r.variant
	}
	tags := ""
	if len(r.tags) > 0 {
		tags = " " + strings.Join(r.tags, " ") + " "
	}
	if _, err := w.rows.ExecContext(w.ctx, id, r.stage, r.topic, r.file, r.idx, r.item, r.model, r.variant, r.intervention,
		r.itype, r.iversion, r.verdict, r.confidence, r.difficulty, r.reviewRounds, failed, tags, answer, r.content); err != nil {
		return fmt.Errorf("index row: %w", err)
	}
	if _, err := w.snips.ExecContext(w.ctx, id, clip(r.task, 300), clip(r.text, 300)); err != nil {
		return fmt.Errorf("index row: %w", err)
	}
	for _, t := range r.tags {
		if _, err := w.tags.ExecContext(w.ctx, id, t, r.stage); err != nil {
			return fmt.Errorf("index tag: %w", err)
		}
	}
	if _, err := w.fts.ExecContext(w.ctx, id, r.ftsPrompt, r.ftsResp, r.ftsInterv, r.ftsRevie); err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	return nil
}

// fileJob is one batch file to parse, and which stages of rows to take
// from it.
type fileJob struct {
	rel     string
	stages  []int
	rows    []*row
	err     error
	done    chan struct{} // parsed
	written chan struct{} // its rows are in the index
}

// indexFiles parses the batch files in parallel and writes their rows in
// file order; a file that cannot be read is left out, and listed in
// w.skipped. Stage-1 and stage-2 rows come from their own directories,
// or, when a source has none (the published data), from the stage-3 files.
func indexFiles(ctx context.Context, dir string, l layout, w *writer) error {
	var jobs []*fileJob
	for _, f := range l.stage1 {
		jobs = append(jobs, &fileJob{rel: f, stages: []int{1}})
	}
	for _, f := range l.stage2 {
		jobs = append(jobs, &fileJob{rel: f, stages: []int{2}})
	}
	for _, f := range l.records {
		st := []int{3}
		if len(l.stage2) == 0 {
			st = append([]int{2}, st...)
		}
		if len(l.stage1) == 0 {
			st = append([]int{1}, st...)
		}
		jobs = append(jobs, &fileJob{rel: f, stages: st})
	}
	for _, j := range jobs {
		j.done, j.written = make(chan struct{}), make(chan struct{})
	}
	work := make(chan *fileJob)
	var wg sync.WaitGroup
	for range max(1, runtime.NumCPU()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				j.rows, j.err = readRows(filepath.Join(dir, filepath.FromSlash(j.rel)), j.rel, j.stages)
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(work)
		for i, j := range jobs {
			// At most a few files ahead of the writer, so memory stays
			// bounded by a few parsed files whatever the data's size.
			if i >= 3 {
				select {
				case <-jobs[i-3].written:
				case <-ctx.Done():
					return
				}
			}
			select {
			case work <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer wg.Wait()
	for _, j := range jobs {
		select {
		case <-j.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if j.err != nil {
			// One unreadable file (cut short, or off the data contract)
			// leaves out its rows, not the whole view.
			w.skipped = append(w.skipped, j.err.Error())
		}
		for _, r := range j.rows {
			if err := w.add(r); err != nil {
				return err
			}
		}
		j.rows = nil
		close(j.written)
		if w.files++; w.files%commitEvery == 0 {
			for _, stmt := range []string{"COMMIT", "BEGIN"} {
				if _, err := w.conn.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("index: %s: %w", stmt, err)
				}
			}
		}
	}
	return nil
}

// readRows parses one batch file into rows of the given stages.
func readRows(p, rel string, stages []int) ([]*row, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	doc, err := spt.ReadBatch(b)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", rel, err)
	}
	data, ok := spt.Data(doc)
	if !ok {
		return nil, nil
	}
	topic, _ := doc.Str("topic")
	if topic == "" {
		topic = path.Base(path.Dir(rel))
	}
	want := map[int]bool{}
	for _, s := range stages {
		want[s] = true
	}
	var out []*row
	for i := range data {
		item, err := spt.Item(data, i)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", rel, err)
		}
		rs, err := itemRows(item, topic, rel, i, want)
		if err != nil {
			return nil, fmt.Errorf("read %s: item %d: %w", rel, i, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// ItemID is the identity of an item across stages and files: its topic
// and task text (or its position when it has no task).
func ItemID(topic string, item *pyjson.Object, file string, i int) string {
	t, _ := item.Str("T")
	if t == "" {
		t = fmt.Sprintf("%s[%d]", file, i)
	}
	h := sha256.Sum256([]byte(topic + "\x00" + t))
	return fmt.Sprintf("%x", h[:10])
}

func itemRows(item *pyjson.Object, topic, rel string, i int, want map[int]bool) ([]*row, error) {
	id := ItemID(topic, item, rel, i)
	a, b, t := str(item, "A"), str(item, "B"), str(item, "T")
	prompt := a + "\n" + b + "\n" + t
	meta := item.Obj("metadata")
	diff := ""
	if meta != nil {
		diff = str(meta, "difficulty")
	}
	var out []*row
	base := func(stage int) *row {
		return &row{stage: stage, topic: topic, file: rel, idx: i, item: id, task: t}
	}
	if want[1] {
		r := base(1)
		r.difficulty, r.text, r.ftsPrompt = diff, b, prompt
		if meta != nil {
			r.tags = strs(meta, "tags")
		}
		r.failed = t == "" || a == "" || b == ""
		out = append(out, r)
	}
	if !want[2] && !want[3] {
		return out, nil
	}
	models, err := spt.Models(item)
	if err != nil {
		return nil, err
	}
	for _, m := range models {
		for _, vn := range spt.Variants {
			v, err := spt.Variant(m.Obj, vn)
			if err != nil {
				return nil, fmt.Errorf("model %s: %w", m.Name, err)
			}
			if v == nil {
				continue
			}
			s := str(v, "S")
			if want[2] {
				r := base(2)
				r.model, r.variant, r.text, r.ftsResp = m.Name, vn, s, s
				r.difficulty = diff
				r.tags = strs(v, "tags")
				r.failed = s == ""
				r.content = fingerprint(s)
				out = append(out, r)
			}
			if !want[3] {
				continue
			}
			recs, _, err := spt.Interventions(v)
			if err != nil {
				return nil, fmt.Errorf("model %s variant %s: %w", m.Name, vn, err)
			}
			for _, rec := range recs {
				r := base(3)
				o := rec.Obj
				r.model, r.variant, r.intervention = m.Name, vn, rec.Key
				if k, err := spt.ParseInterventionKey(rec.Key); err == nil {
					r.itype, r.iversion = k.Type, k.Version
				} else {
					r.itype = rec.Key
				}
				if it := str(o, "intervention_type"); it != "" && r.itype == rec.Key {
					r.itype = it
				}
				r.verdict = str(o, "P")
				r.confidence = str(o, "confidence")
				r.difficulty = str(o, "detection_difficulty_external")
				r.reviewRounds = str(o, "num_stage_3_reviews_made")
				passed := str(o, "stage_3_reviews_passed")
				r.failed = r.verdict == "" || strings.EqualFold(passed, "false") || strings.EqualFold(str(o, "faulty_data"), "true")
				r.tags = strs(o, "tags")
				r.text = str(o, "I")
				r.ftsInterv = r.text
				r.ftsRevie = str(o, "R") + "\n" + str(o, "thought_process")
				r.content = fingerprint(r.verdict + "\x00" + r.text + "\x00" + str(o, "R"))
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// str returns o[k] as text: strings as they are, numbers and booleans as
// Python would print them, "" when absent or null.
func str(o *pyjson.Object, k string) string {
	v, ok := o.Get(k)
	if !ok {
		return ""
	}
	return scalar(v)
}

func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case pyjson.Number:
		return string(x)
	case bool:
		if x {
			return "True"
		}
		return "False"
	default:
		b, err := pyjson.Marshal(v, pyjson.Options{})
		if err != nil {
			return ""
		}
		return string(b)
	}
}

// strs returns the strings of o's list k.
func strs(o *pyjson.Object, k string) []string {
	var out []string
	for _, v := range o.Arr(k) {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, strings.ReplaceAll(s, " ", "_"))
		}
	}
	return out
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// fingerprint identifies a text for matching rows to the LLM calls that
// produced them: the first 8 bytes of the SHA-256 of the trimmed text.
func fingerprint(s string) int64 {
	h := sha256.Sum256([]byte(spt.Strip(s)))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

var errNotFound = errors.New("not found")
