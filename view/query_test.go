package view

import (
	"database/sql"
	"strings"
	"testing"
)

func TestMatchExpr(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"budget", `"budget"`},
		{"user ma*", `"user" "ma"*`},
		{`"a phrase" word`, `"a phrase" "word"`},
		{`say "hi`, `"say" "hi"`},
		{"\x00", ""},
		{"bud\x00get\x1f", `"bud" "get"`},
		{"tab\tand\r\nlines", `"tab" "and" "lines"`},
		{`a"b`, `"a""b"`},
		{"* **", ""},
	} {
		if got := matchExpr(c.in); got != c.want {
			t.Errorf("matchExpr(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// FuzzMatchExpr checks that whatever the user types, FTS5 accepts the
// query: a search never answers 500.
func FuzzMatchExpr(f *testing.F) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE VIRTUAL TABLE t USING fts5(x, content='', tokenize='unicode61'); INSERT INTO t(rowid, x) VALUES (1, 'a user makes a budget')`); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"budget", "user ma*", `"a phrase`, "\x00", `a"b`, "*", "-x", "NEAR(a b)", "a OR b", "\xff\xfe", "^a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := matchExpr(s)
		if m == "" {
			return
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM t WHERE t MATCH ?`, m).Scan(&n); err != nil && !strings.Contains(err.Error(), "interrupted") {
			t.Errorf("matchExpr(%q) = %s: %v", s, m, err)
		}
	})
}
