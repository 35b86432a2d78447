package view

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// refSource is the published data (SPT_REFERENCE_DATA), or a skip.
func refSource(t testing.TB) Source {
	t.Helper()
	dir := os.Getenv("SPT_REFERENCE_DATA")
	if dir == "" {
		t.Skip("SPT_REFERENCE_DATA is not set: the test needs the published data (stage_3_tagged/)")
	}
	return Source{Name: "reference", Dir: filepath.Join(dir, "stage_3_tagged")}
}

// refIndex builds the index of the published data in a temporary directory.
func refIndex(t *testing.T) *Index {
	t.Helper()
	ix, err := OpenIndex(context.Background(), refSource(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// TestReference builds the index of the published data once and queries it.
func TestReference(t *testing.T) {
	ix := refIndex(t)
	t.Run("index", func(t *testing.T) { testReferenceIndex(t, ix) })
	t.Run("api", func(t *testing.T) { testReferenceAPI(t, ix) })
	t.Run("facets in one pass", func(t *testing.T) { testFacetsOnePass(t, ix) })
}

func testReferenceIndex(t *testing.T, ix *Index) {
	t.Logf("built in %v; rows %v", ix.Built, ix.Counts)
	if got, want := ix.Counts[3], 29930; got != want {
		t.Errorf("stage-3 rows = %d, want %d", got, want)
	}
}

func testReferenceAPI(t *testing.T, ix *Index) {
	ctx := context.Background()
	start := time.Now()
	p, err := ix.Rows(ctx, ParseQuery(url.Values{}))
	if err != nil {
		t.Fatal(err)
	}
	f, err := ix.Facets(ctx, ParseQuery(url.Values{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first page and facets in %v", time.Since(start))
	if p.Total != 29930 || len(p.Rows) != 50 {
		t.Errorf("first page: total %d, %d rows; want 29930, 50", p.Total, len(p.Rows))
	}
	n := 0
	for _, c := range f["topic"] {
		n += c.Count
	}
	if len(f["topic"]) != 7 || n != 29930 {
		t.Errorf("topic facet: %d topics, %d rows; want 7 (the published topics with files), 29930", len(f["topic"]), n)
	}
	verdicts := map[string]int{}
	for _, c := range f["verdict"] {
		verdicts[c.Value] = c.Count
	}
	fails, err := ix.Rows(ctx, ParseQuery(url.Values{"verdict": {"FAIL"}, "page": {"3"}}))
	if err != nil {
		t.Fatal(err)
	}
	if fails.Total != verdicts["FAIL"] || len(fails.Rows) != 50 || fails.Rows[0].Verdict != "FAIL" {
		t.Errorf("verdict=FAIL page 4: total %d (facet %d), %d rows", fails.Total, verdicts["FAIL"], len(fails.Rows))
	}
	// Search inside the reviews: a phrase of one record's R finds it.
	l, err := ix.Lineage(ctx, p.Rows[7].ID)
	if err != nil {
		t.Fatal(err)
	}
	var rec *RecordView
	for i := range l.Records {
		if l.Records[i].Row == p.Rows[7].ID {
			rec = &l.Records[i]
		}
	}
	if rec == nil || l.Item.T == "" || len(l.Answers) == 0 {
		t.Fatalf("lineage of row %d: item %q, %d answers, record %v", p.Rows[7].ID, l.Item.T, len(l.Answers), rec)
	}
	words := strings.Fields(rec.R)
	phrase := `"` + strings.Join(words[:min(5, len(words))], " ") + `"`
	phrase = strings.NewReplacer(`"`, "", "'", " ").Replace(phrase)
	found, err := ix.Rows(ctx, ParseQuery(url.Values{"q": {`"` + phrase + `"`}, "size": {"500"}}))
	if err != nil {
		t.Fatal(err)
	}
	hit := false
	for _, r := range found.Rows {
		hit = hit || r.ID == p.Rows[7].ID
	}
	if !hit {
		t.Errorf("q=%s (from its R) does not find row %d among %d", phrase, p.Rows[7].ID, found.Total)
	}
}
