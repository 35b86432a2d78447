package view

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Facets are the row columns the table filters and counts by, in the
// order the page shows them; "tag" is the tags of each row.
var Facets = []string{"topic", "model", "variant", "itype", "iversion", "verdict", "confidence", "difficulty", "review_rounds", "failed", "tag"}

// sortable are the columns rows sort by.
var sortable = []string{"id", "topic", "model", "variant", "intervention", "verdict", "confidence", "difficulty", "review_rounds", "failed"}

// Query selects rows: a stage, facet values (any of a facet's values; every
// tag listed), a full-text search, a sort and a page.
type Query struct {
	Stage   int
	Filters map[string][]string
	Search  string
	Sort    string
	Desc    bool
	Page    int // from 0
	Size    int
}

// ParseQuery reads a query from URL parameters: stage, q, sort, desc,
// page, size, and one parameter per facet (repeated for several values).
func ParseQuery(v url.Values) Query {
	q := Query{Stage: 3, Filters: map[string][]string{}, Search: v.Get("q"), Sort: v.Get("sort"), Desc: v.Get("desc") == "1", Size: 50}
	if s, err := strconv.Atoi(v.Get("stage")); err == nil && s >= 1 && s <= 3 {
		q.Stage = s
	}
	if p, err := strconv.Atoi(v.Get("page")); err == nil && p >= 0 {
		q.Page = p
	}
	if s, err := strconv.Atoi(v.Get("size")); err == nil && s > 0 {
		q.Size = min(s, 500)
	}
	for _, f := range Facets {
		if vs := v[f]; len(vs) > 0 {
			q.Filters[f] = vs
		}
	}
	return q
}

// where builds the WHERE clause of q, leaving out the filter of facet skip.
func (q Query) where(skip string) (string, []any) {
	conds := []string{"r.stage = ?"}
	args := []any{q.Stage}
	for _, f := range Facets {
		vs := q.Filters[f]
		if f == skip || len(vs) == 0 {
			continue
		}
		if f == "tag" {
			for _, t := range vs {
				conds = append(conds, "r.id IN (SELECT row FROM row_tags WHERE tag = ?)")
				args = append(args, t)
			}
			continue
		}
		ph := strings.TrimSuffix(strings.Repeat("?,", len(vs)), ",")
		conds = append(conds, fmt.Sprintf("r.%s IN (%s)", f, ph))
		for _, v := range vs {
			args = append(args, v)
		}
	}
	if m := matchExpr(q.Search); m != "" {
		// Each row's own texts are indexed once: an item's prompts on its
		// stage-1 row, an answer on its stage-2 row. A record matches when
		// its own texts, its answer's or its item's prompts hold every word.
		fts := "SELECT rowid FROM rows_fts WHERE rows_fts MATCH ?"
		c := fts
		args = append(args, m)
		if q.Stage >= 2 {
			c += " UNION SELECT x.id FROM rows x WHERE x.item IN (SELECT item FROM rows WHERE stage = 1 AND id IN (" + fts + ")) AND x.stage = ?"
			args = append(args, m, q.Stage)
		}
		if q.Stage == 3 {
			c += " UNION SELECT x.id FROM rows x WHERE x.answer IN (SELECT answer FROM rows WHERE stage = 2 AND id IN (" + fts + ")) AND x.stage = 3"
			args = append(args, m)
		}
		c = "r.id IN (" + c + ")"
		conds = append(conds, "("+c+")")
	}
	return strings.Join(conds, " AND "), args
}

// matchExpr turns what the user typed into an FTS5 query: every word (or
// "quoted phrase") must occur; a word ending in * matches as a prefix.
// Control characters separate words (FTS5 rejects a NUL in a query).
func matchExpr(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	var parts []string
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		var term string
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				term, s = s[1:], ""
			} else {
				term, s = s[1:1+end], s[2+end:]
			}
		} else {
			end := strings.IndexByte(s, ' ')
			if end < 0 {
				end = len(s)
			}
			term, s = s[:end], s[end:]
		}
		prefix := strings.HasSuffix(term, "*")
		term = strings.TrimRight(term, "*")
		if strings.TrimSpace(term) == "" {
			continue
		}
		p := `"` + strings.ReplaceAll(term, `"`, `""`) + `"`
		if prefix {
			p += "*"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// Row is one row of the table.
type Row struct {
	ID           int64    `json:"id"`
	Stage        int      `json:"stage"`
	Topic        string   `json:"topic"`
	File         string   `json:"file"`
	Index        int      `json:"index"`
	Item         string   `json:"item"`
	Model        string   `json:"model"`
	Variant      string   `json:"variant"`
	Intervention string   `json:"intervention"`
	Verdict      string   `json:"verdict"`
	Confidence   string   `json:"confidence"`
	Difficulty   string   `json:"difficulty"`
	ReviewRounds string   `json:"review_rounds"`
	Failed       bool     `json:"failed"`
	Tags         []string `json:"tags"`
	Task         string   `json:"task"`
	Text         string   `json:"text"`
}

// Page is one page of rows and the total the query selects.
type Page struct {
	Total int   `json:"total"`
	Page  int   `json:"page"`
	Size  int   `json:"size"`
	Rows  []Row `json:"rows"`
}

const rowCols = `r.id, r.stage, r.topic, r.file, r.idx, r.item, r.model, r.variant, r.intervention, r.verdict, r.confidence, r.difficulty, r.review_rounds, r.failed, r.tags, s.task, s.text`

// rowFrom is the FROM clause of rowCols.
const rowFrom = ` FROM rows r JOIN snips s ON s.id = r.id`

// Rows returns one page of the rows q selects.
func (ix *Index) Rows(ctx context.Context, q Query) (*Page, error) {
	where, args := q.where("")
	p := &Page{Page: q.Page, Size: q.Size, Rows: []Row{}}
	if where == "r.stage = ?" {
		p.Total = ix.Counts[q.Stage]
	} else if err := ix.db.QueryRowContext(ctx, "SELECT count(*) FROM rows r WHERE "+where, args...).Scan(&p.Total); err != nil {
		return nil, fmt.Errorf("count rows: %w", err)
	}
	order := "r.id"
	if slices.Contains(sortable, q.Sort) {
		order = "r." + q.Sort
		if q.Sort == "confidence" || q.Sort == "review_rounds" {
			order = "CAST(r." + q.Sort + " AS REAL)"
		}
		if q.Desc {
			order += " DESC"
		}
		order += ", r.id"
	}
	rows, err := ix.db.QueryContext(ctx, "SELECT "+rowCols+rowFrom+" WHERE "+where+" ORDER BY "+order+" LIMIT ? OFFSET ?",
		append(args, q.Size, q.Page*q.Size)...)
	if err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, err
		}
		p.Rows = append(p.Rows, r)
	}
	return p, rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanRow(s scanner) (Row, error) {
	var r Row
	var tags string
	err := s.Scan(&r.ID, &r.Stage, &r.Topic, &r.File, &r.Index, &r.Item, &r.Model, &r.Variant, &r.Intervention, &r.Verdict,
		&r.Confidence, &r.Difficulty, &r.ReviewRounds, &r.Failed, &tags, &r.Task, &r.Text)
	r.Tags = strings.Fields(tags)
	if r.Tags == nil {
		r.Tags = []string{}
	}
	return r, err
}

// Count is one facet value and how many rows have it.
type Count struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facets counts, for every facet, the rows of each value among the rows
// q selects without its own filter on that facet (so other values of a
// facet stay visible). Facets with a single empty value are left out.
func (ix *Index) Facets(ctx context.Context, q Query) (map[string][]Count, error) {
	if where, _ := q.where(""); where != "r.stage = ?" {
		return ix.facetsOnePass(ctx, q)
	}
	return ix.facetsEach(ctx, q)
}

// facetsEach counts each facet with its own query: for the unfiltered
// query, whose counts are stored, and as the definition the one-pass count
// is tested against.
func (ix *Index) facetsEach(ctx context.Context, q Query) (map[string][]Count, error) {
	out := map[string][]Count{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(Facets))
	for i, f := range Facets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs, err := ix.facet(ctx, q, f)
			errs[i] = err
			mu.Lock()
			if len(cs) > 1 || len(cs) == 1 && cs[0].Value != "" {
				out[f] = cs
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (ix *Index) facet(ctx context.Context, q Query, f string) ([]Count, error) {
	where, args := q.where(f)
	var sqlText string
	switch {
	case where == "r.stage = ?":
		// No filter: the counts stored when the index was built.
		sqlText = "SELECT value, n FROM facet_counts WHERE stage = ? AND facet = '" + f + "' ORDER BY n DESC, value"
	case f == "tag":
		sqlText = "SELECT t.tag, count(*) FROM row_tags t JOIN rows r ON r.id = t.row WHERE " + where + " GROUP BY t.tag ORDER BY count(*) DESC, t.tag"
	default:
		// "+" keeps the planner from walking the whole stage in the
		// grouped column's index: it starts from a filter's index instead.
		sqlText = fmt.Sprintf("SELECT +r.%s, count(*) FROM rows r WHERE %s GROUP BY +r.%s ORDER BY count(*) DESC, 1", f, where, f)
	}
	rows, err := ix.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("count %s: %w", f, err)
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Value, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
