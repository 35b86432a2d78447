package analyze

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
)

// TestItemFlagsMatchSubsets: the flags that decide whether an item belongs
// to a raw-item category agree with the affected_subsets built for it, on
// hand-made items and on every item of the reference data.
func TestItemFlagsMatchSubsets(t *testing.T) {
	iv := func(key string, p any, conf any) rawInterv { return rawInterv{key: key, p: p, conf: conf} }
	num := func(s string) any { return pyjson.Number(s) }
	variant := func(ivs ...rawInterv) rawVariant { return rawVariant{present: true, interventions: ivs} }
	items := []rawItem{
		{},
		{models: []rawModel{{name: "m", variants: [2]rawVariant{variant(iv("a", "PASS", num("5")), iv("b", "PASS", num("2")))}}}},
		{models: []rawModel{{name: "m", variants: [2]rawVariant{variant(iv("a", "PASS", num("5")), iv("b", "FAIL", num("2")))}}}},
		{models: []rawModel{{name: "m", variants: [2]rawVariant{variant(iv("a", "PASS", num("4")), iv("b", "FAIL", num("4.5")))}}}},
		{models: []rawModel{{name: "m", variants: [2]rawVariant{variant(iv("a", nil, nil), iv("b", "FAIL", "5"))}}}},
		{models: []rawModel{{name: "m", variants: [2]rawVariant{variant(iv("a", "FAIL", nil)), variant(iv("a", "PASS", nil))}}}},
		{models: []rawModel{{name: "m", variants: [2]rawVariant{variant(iv("a", "FAIL", nil)), variant(iv("b", "PASS", nil))}}}},
		{models: []rawModel{{name: "m", variants: [2]rawVariant{variant(iv("a", "FAIL", nil)), {}}}}},
		{models: []rawModel{
			{name: "m", variants: [2]rawVariant{variant(iv("a", "PASS", num("5")))}},
			{name: "n", variants: [2]rawVariant{{}, variant(iv("a", "PASS", num("5")), iv("b", nil, num("5")))}},
		}},
	}
	for _, f := range refFilesOrNone(t) {
		items = append(items, f.items...)
	}
	for i := range items {
		it := &items[i]
		all, hc := disagreements(it)
		gotAll, gotHC := hasDisagreements(it)
		if gotAll != (len(all) > 0) || gotHC != (len(hc) > 0) || hasInversion(it) != (len(inversion(it)) > 0) {
			t.Errorf("item %d: flags (%v %v %v), subsets (%d %d %d)", i, gotAll, gotHC, hasInversion(it), len(all), len(hc), len(inversion(it)))
		}
	}
}

// refFilesOrNone parses the reference files, if the reference data is there.
func refFilesOrNone(t *testing.T) []*rawFile {
	if os.Getenv("SPT_REFERENCE_DATA") == "" {
		return nil
	}
	names, _ := filepath.Glob(filepath.Join(refDir(t), "*", "*.json"))
	var out []*rawFile
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parseFile(data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// TestCutMatchesLen: cut counts only the code points it keeps, and agrees
// with the full count (spt.Len) on ASCII, multi-byte, lone surrogates
// (WTF-8) and invalid bytes.
func TestCutMatchesLen(t *testing.T) {
	old := func(s string, n int) string {
		if spt.Len(s) <= n {
			return s
		}
		i := 0
		for k := 0; k < n; k++ {
			i += spt.CodePointLen(s[i:])
		}
		return s[:i] + "..."
	}
	pieces := []string{"a", "é", "€", "😀", "\xed\xa0\x80", "\xed\xbf\xbf", "\xff", "\xed\xa0", "\xe2\x82"}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s, n := b.String(), rng.IntN(10)
		if got, want := cut(s, n), old(s, n); got != want {
			t.Fatalf("cut(%q, %d) = %q, want %q", s, n, got, want)
		}
	}
}

// TestCutText: cutText(raw, n) is cut(text(raw), n) for raw tokens with
// plain and multi-byte characters, escapes (surrogate pairs, lone and
// unpaired surrogates among them) and invalid contents, cut anywhere.
func TestCutText(t *testing.T) {
	valid := []string{"a", "é", "😀", `\n`, `\"`, `\u00e9`, `\ud83d\ude00`, `\ud83d`, `\ude00`, `\ud83d\u0041`}
	all := append(slices.Clone(valid), `\x`, "\x01", `\u12`)
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 5000 {
		pieces := valid
		if i%2 == 1 {
			pieces = all
		}
		var b strings.Builder
		b.WriteByte('"')
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		b.WriteByte('"')
		raw, n := []byte(b.String()), rng.IntN(10)
		if got, want := cutText(raw, n), cut(text(raw), n); got != want {
			t.Fatalf("cutText(%s, %d) = %q, want %q", raw, n, got, want)
		}
	}
	if got := cutText(nil, 3); got != "" {
		t.Fatalf("cutText(nil) = %q", got)
	}
}

// TestHasSPToken: hasSPToken is strings.HasPrefix(text(raw), token) for
// tokens with and without escapes, before, in and after the token's bytes,
// valid or not.
func TestHasSPToken(t *testing.T) {
	for _, raw := range []string{
		`"<split-personality-token>x"`, `"<split-personality-token>\nx"`, `"<split-personality-token>\x"`,
		`"\u003csplit-personality-token>x"`, `"<split\u002dpersonality-token>"`, `"<split-personality-token"`,
		`"no token\n"`, `""`, `"<split-personality-token>` + "\x01" + `\n"`, `"<split-personality-token>\u12"`,
	} {
		want := strings.HasPrefix(text([]byte(raw)), spToken)
		if got := hasSPToken([]byte(raw)); got != want {
			t.Errorf("%s: got %v, want %v", raw, got, want)
		}
	}
	if hasSPToken(nil) {
		t.Error("nil: got true")
	}
}
