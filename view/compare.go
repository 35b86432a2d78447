package view

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/steps/compare"
)

// Pair is one stage-3 record matched across two experiments (topic, task,
// model, variant and intervention key, as `sptflow diff` matches them);
// A or B is 0 when only one side has it.
type Pair struct {
	Topic        string `json:"topic"`
	Task         string `json:"task"`
	Model        string `json:"model"`
	Variant      string `json:"variant"`
	Intervention string `json:"intervention"`
	A            int64  `json:"a"`
	B            int64  `json:"b"`
	VerdictA     string `json:"verdict_a"`
	VerdictB     string `json:"verdict_b"`
	Changed      bool   `json:"changed"` // verdict, I or R differ
}

type pairKey struct{ item, model, variant, intervention string }

type pairRow struct {
	id                   int64
	topic, task, verdict string
	content              int64
}

// Pairs matches the stage-3 records of two indexes, in A's order then B's
// records that A lacks.
func Pairs(ctx context.Context, a, b *Index) ([]Pair, error) {
	ra, oa, err := a.pairRows(ctx)
	if err != nil {
		return nil, err
	}
	rb, ob, err := b.pairRows(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Pair, 0, len(oa))
	for _, k := range oa {
		x := ra[k]
		p := Pair{Topic: x.topic, Task: x.task, Model: k.model, Variant: k.variant, Intervention: k.intervention, A: x.id, VerdictA: x.verdict}
		if y, ok := rb[k]; ok {
			p.B, p.VerdictB, p.Changed = y.id, y.verdict, x.content != y.content
		} else {
			p.Changed = true
		}
		out = append(out, p)
	}
	for _, k := range ob {
		if _, ok := ra[k]; !ok {
			y := rb[k]
			out = append(out, Pair{Topic: y.topic, Task: y.task, Model: k.model, Variant: k.variant, Intervention: k.intervention, B: y.id, VerdictB: y.verdict, Changed: true})
		}
	}
	return out, nil
}

func (ix *Index) pairRows(ctx context.Context) (map[pairKey]pairRow, []pairKey, error) {
	rs, err := ix.db.QueryContext(ctx, `SELECT r.id, r.item, r.model, r.variant, r.intervention, r.topic, s.task, r.verdict, r.content FROM rows r JOIN snips s ON s.id = r.id WHERE r.stage = 3 ORDER BY r.id`)
	if err != nil {
		return nil, nil, err
	}
	defer rs.Close()
	m := map[pairKey]pairRow{}
	var order []pairKey
	for rs.Next() {
		var k pairKey
		var r pairRow
		if err := rs.Scan(&r.id, &k.item, &k.model, &k.variant, &k.intervention, &r.topic, &r.task, &r.verdict, &r.content); err != nil {
			return nil, nil, err
		}
		if _, dup := m[k]; !dup {
			order = append(order, k)
		}
		m[k] = r
	}
	return m, order, rs.Err()
}

// compareSide hands a source's files to steps/compare, as the partitions
// of the kinds it reads: tagged files as "tag", stage-3 files and review
// logs as "intervene".
func compareSide(name string, src Source) (compare.Side, error) {
	if src.Compare != nil {
		side, err := src.Compare()
		side.Name = name
		return side, err
	}
	l, err := src.scan()
	if err != nil {
		return compare.Side{}, err
	}
	side := compare.Side{Name: name}
	tag := compare.Partition{ID: "tag", Kind: "tag"}
	iv := compare.Partition{ID: "intervene", Kind: "intervene"}
	stage3, err := batchFiles(src.Dir, dirStage3)
	if err != nil {
		return compare.Side{}, err
	}
	seen := map[string]bool{}
	for _, rel := range slices.Concat(l.records, stage3, l.reviews) {
		if seen[rel] {
			continue // stage_3 is the record source when nothing is tagged
		}
		seen[rel] = true
		p := filepath.Join(src.Dir, filepath.FromSlash(rel))
		f := compare.File{Path: rel, Open: func() (io.ReadCloser, error) { return os.Open(p) }}
		if strings.HasPrefix(rel, dirTagged+"/") || !strings.HasPrefix(rel, "stage_") {
			tag.Files = append(tag.Files, f)
		} else {
			iv.Files = append(iv.Files, f)
		}
	}
	side.Partitions = []compare.Partition{tag, iv}
	return side, nil
}

// Op is one step of a word diff: "=" kept, "-" only in A, "+" only in B.
type Op struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// maxDiffWords bounds the word diff's quadratic table; longer texts are
// shown as replaced whole.
const maxDiffWords = 4000

// WordDiff diffs two texts word by word (whitespace kept with the word
// before it), by longest common subsequence.
func WordDiff(a, b string) []Op {
	wa, wb := words(a), words(b)
	if len(wa)*len(wb) > maxDiffWords*maxDiffWords/4 {
		return []Op{{"-", a}, {"+", b}}
	}
	n, m := len(wa), len(wb)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if wa[i] == wb[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []Op
	add := func(op, s string) {
		if len(out) > 0 && out[len(out)-1].Op == op {
			out[len(out)-1].Text += s
			return
		}
		out = append(out, Op{op, s})
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case wa[i] == wb[j]:
			add("=", wa[i])
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			add("-", wa[i])
			i++
		default:
			add("+", wb[j])
			j++
		}
	}
	for ; i < n; i++ {
		add("-", wa[i])
	}
	for ; j < m; j++ {
		add("+", wb[j])
	}
	return out
}

// words splits s into words, each with the whitespace after it.
func words(s string) []string {
	var out []string
	start := 0
	inSpace := false
	for i, r := range s {
		space := r == ' ' || r == '\n' || r == '\t' || r == '\r'
		if !space && inSpace {
			out = append(out, s[start:i])
			start = i
		}
		inSpace = space
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
