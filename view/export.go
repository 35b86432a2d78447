package view

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxExportRows bounds an export: it is for sharing a finding, not the data.
const maxExportRows = 500

// Export writes dir/index.html: the app with the rows q selects (at most
// maxExportRows) and the lineage of each, embedded in the page, which
// opens from the file system without a server. It returns the number of
// rows written.
func (ix *Index) Export(ctx context.Context, name string, q Query, dir string) (int, error) {
	q.Page, q.Size = 0, maxExportRows
	page, err := ix.Rows(ctx, q)
	if err != nil {
		return 0, err
	}
	lineages := map[string]*Lineage{} // by item: its rows share it
	requests := map[string]json.RawMessage{}
	byItem := map[string]*Lineage{}
	var rows []Row
	for _, r := range page.Rows {
		l := byItem[r.Item]
		if l == nil {
			if l, err = ix.Lineage(ctx, r.ID); err != nil {
				return 0, err
			}
			if err := ix.detailCalls(ctx, l); err != nil {
				return 0, err
			}
			byItem[r.Item] = l
		}
		l.shareRequests(requests)
		lineages[r.Item] = l
		rows = append(rows, r)
	}
	// The other stages' rows of the exported items, so the lineage view's
	// rows and the stage selector find them.
	for item := range byItem {
		rs, err := ix.db.QueryContext(ctx, "SELECT "+rowCols+rowFrom+" WHERE r.item = ? AND r.stage != ?", item, q.Stage)
		if err != nil {
			return 0, err
		}
		for rs.Next() {
			r, err := scanRow(rs)
			if err != nil {
				rs.Close()
				return 0, err
			}
			rows = append(rows, r)
		}
		rs.Close()
	}
	counts := map[int]int{}
	for _, r := range rows {
		counts[r.Stage]++
	}
	data := map[string]any{
		"info":     &Info{Name: name + " (export)", Rows: counts, Reports: []string{}, Facets: Facets},
		"rows":     rows,
		"lineages": lineages,
		"requests": requests,
	}
	page.Total = len(page.Rows)
	b, err := json.Marshal(data)
	if err != nil {
		return 0, err
	}
	html, err := staticPage(b)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	p := filepath.Join(dir, "index.html")
	if err := os.WriteFile(p, html, 0o644); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	return len(page.Rows), nil
}

// staticPage is index.html with the style sheet, the data and the script
// inlined.
func staticPage(data []byte) ([]byte, error) {
	page, err := assets.ReadFile("assets/index.html")
	if err != nil {
		return nil, err
	}
	css, _ := assets.ReadFile("assets/style.css")
	js, _ := assets.ReadFile("assets/app.js")
	// "</" inside a script element would end it early.
	safe := func(b []byte) string { return strings.ReplaceAll(string(b), "</", `<\/`) }
	out := bytes.Replace(page, []byte(`<link rel="stylesheet" href="style.css">`), []byte("<style>\n"+string(css)+"</style>"), 1)
	out = bytes.Replace(out, []byte(`<script src="app.js"></script>`),
		[]byte("<script>window.SPT_STATIC = "+safe(data)+";</script>\n<script>\n"+safe(js)+"</script>"), 1)
	return out, nil
}

// detailCalls puts each call's record and request into the lineage (an
// export has no server to ask), and gives an answer whose call's request
// is stored that request's curl, before shareRequests drops the calls'.
func (ix *Index) detailCalls(ctx context.Context, l *Lineage) error {
	var err error
	l.eachCalls(func(cs []Call) {
		for i := range cs {
			if err != nil {
				return
			}
			var c *Call
			if c, err = ix.CallDetail(ctx, cs[i].Key); err == nil {
				cs[i] = *c
			}
		}
	})
	for i := range l.Answers {
		if a := &l.Answers[i]; a.Curl == "" && len(a.Calls) > 0 {
			a.Curl = a.Calls[0].Curl
		}
	}
	return err
}

// shareRequests moves the calls' requests into requests, by digest (a
// stage-3 request of tens of KB is named by every record of its batch),
// and drops their curl commands, which repeat them: the export's page
// shows each call's request from there, without curl.
func (l *Lineage) shareRequests(requests map[string]json.RawMessage) {
	l.eachCalls(func(cs []Call) {
		for i := range cs {
			if cs[i].Request != nil {
				requests[cs[i].RequestDigest] = cs[i].Request
			}
			cs[i].Request, cs[i].Curl = nil, ""
		}
	})
}

// eachCalls calls fn with every list of calls of the lineage.
func (l *Lineage) eachCalls(fn func([]Call)) {
	fn(l.Item.Calls)
	for i := range l.Answers {
		fn(l.Answers[i].Calls)
	}
	for i := range l.Records {
		fn(l.Records[i].Calls)
		for j := range l.Records[i].Reviews {
			fn(l.Records[i].Reviews[j].Calls)
		}
	}
}
