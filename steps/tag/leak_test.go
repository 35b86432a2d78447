package tag

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// leakCases were checked with CPython 3.11: re.search(p, text, re.I) for
// each pattern of L1 and L2 (1-based indices of the patterns that match).
var leakCases = []struct {
	text   string
	l1, l2 []int
}{
	{"I wrote a prompt", []int{1}, nil},
	{"a-prompt", nil, nil},
	{"a  Variant here", []int{1}, nil},
	{"the B prompt", []int{1, 2}, nil},
	{"the\u00a0B\u2003prompt", []int{1, 2}, nil},
	{"split-personality", nil, nil},
	{"split personality", []int{14}, nil},
	{"<split-personality-token>", nil, nil},
	{"honesty scare", []int{13}, nil},
	{"honesty-scare", nil, nil},
	{"Stage 2", []int{6, 7}, nil},
	{"stage 4", nil, nil},
	{"\u00e9stage 2", nil, nil},
	{"stage 2\u00e9", nil, nil},
	{"stage 2_", nil, nil},
	{"stage \u0663", nil, nil},
	{"Sample 3:", []int{8}, nil},
	{"Sample 3 -", []int{8}, nil},
	{"Sample 3", nil, nil},
	{"Sample \u0663:", []int{8}, nil},
	{"batch 12", []int{9}, nil},
	{"batch 12a", nil, nil},
	{"batch 12 ", []int{9}, nil},
	{"item 3 of 10", []int{10}, nil},
	{"\u0130tem 3 of 10", []int{10}, nil},
	{"\u0131tem 3 of 10", []int{10}, nil},
	{"FPT", []int{11}, nil},
	{"fpt.", []int{11}, nil},
	{"xFPT", nil, nil},
	{"\u017fplit per\u017fonality", []int{14}, nil},
	{"False Positive Test", []int{12}, nil},
	{"intervention type", []int{15}, nil},
	{"intervention types", nil, nil},
	{"this sample tests", []int{16}, nil},
	{"Using the split intervention", []int{17}, nil},
	{"applying the \u00f1and\u00fa intervention", []int{17}, nil},
	{"using the  intervention", nil, nil},
	{"this response was generated using", []int{18}, nil},
	{"this response generated using", []int{18}, nil},
	{"biased [A] prompt", []int{3}, nil},
	{"unbiased A prompt", []int{1, 4}, nil},
	{"system prompt B", []int{5}, nil},
	{"system prompt B\u00e9", nil, nil},
	{"system prompt B_", nil, nil},
	{"\u00c9a prompt", nil, nil},
	{"\u00f1a prompt", nil, nil},
	{"1a prompt", nil, nil},
	{"_a prompt", nil, nil},
	{"a prompt\u0301", []int{1}, nil},
	{"review focus is", nil, []int{1}},
	{"selected review focus", nil, []int{2}},
	{"intended review focus", nil, []int{3}},
	{"formal investigation", nil, []int{4}},
	{"under audit", nil, []int{5}},
	{"under reviewer", nil, nil},
	{"understand review", nil, nil},
	{"x\u1680a\u2028prompt", []int{1}, nil},
	{"a\u200bprompt", nil, nil},
	{"a\x1cprompt", []int{1}, nil},
	{"a\u0085prompt", []int{1}, nil},
	{"batch \u0663\u0664", []int{9}, nil},
	{" A variant!", []int{1}, nil},
	{"(B prompt)", []int{1}, nil},
	{"\uff42atch 1", nil, nil},
	{"batch \uff11", []int{9}, nil},
}

// matching returns the 1-based indices of the patterns of ps that match s,
// with the fast path (keyword scan, anchored regexps) or the full regexps.
func matching(ps []*pattern, s string, fast bool) []int {
	var out []int
	var sc scan
	sc.run(s)
	for i, p := range ps {
		if fast && p.matches(s, &sc) || !fast && fullRegexp(p).MatchString(s) {
			out = append(out, i+1)
		}
	}
	return out
}

// fullRegexps is the full, unanchored translation of every pattern, which
// only the tests use: the fast path must agree with it.
var fullRegexps = sync.OnceValue(func() map[*pattern]*regexp.Regexp {
	m := map[*pattern]*regexp.Regexp{}
	for _, p := range slices.Concat(l1, l2) {
		expr, err := translate(p.python)
		if err != nil {
			panic(err)
		}
		m[p] = regexp.MustCompile(expr)
	}
	return m
})

func fullRegexp(p *pattern) *regexp.Regexp { return fullRegexps()[p] }

func TestLeakagePatternsMatchPython(t *testing.T) {
	for _, tc := range leakCases {
		for _, fast := range []bool{false, true} {
			if got := matching(l1, tc.text, fast); !slices.Equal(got, tc.l1) {
				t.Errorf("L1 %q (fast=%v): got %v, want %v", tc.text, fast, got, tc.l1)
			}
			if got := matching(l2, tc.text, fast); !slices.Equal(got, tc.l2) {
				t.Errorf("L2 %q (fast=%v): got %v, want %v", tc.text, fast, got, tc.l2)
			}
		}
	}
}

func TestLeaksChecksL2OnlyInR(t *testing.T) {
	tests := []struct {
		i, r string
		want bool
	}{
		{"under review", "", false},
		{"", "under review", true},
		{"a prompt", "", true},
		{"", "the B prompt", true},
		{"nothing here", "nothing there", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := leaks(tt.i, tt.r, &scan{}); got != tt.want {
			t.Errorf("leaks(%q, %q): got %v, want %v", tt.i, tt.r, got, tt.want)
		}
	}
}

func TestTranslateRejectsUnknownConstructs(t *testing.T) {
	for _, py := range []string{`a\bb`, `[\w]`, `\W`, `[i]`} {
		if _, err := translate(py); err == nil {
			t.Errorf("translate(%q): want an error", py)
		}
	}
}

// FuzzLeakGuard checks that the fast path (keyword guard, anchored
// regexps) agrees with the full translated regexps.
func FuzzLeakGuard(f *testing.F) {
	for _, tc := range leakCases {
		f.Add(tc.text)
	}
	f.Add(strings.Repeat("under the B prompt ", 3))
	f.Fuzz(func(t *testing.T, s string) {
		for _, ps := range [][]*pattern{l1, l2} {
			if g, u := matching(ps, s, true), matching(ps, s, false); !slices.Equal(g, u) {
				t.Fatalf("%q: fast %v, full %v", s, g, u)
			}
		}
	})
}

func TestKeywordTable(t *testing.T) {
	compilePatterns()
	if len(keywords) == 0 {
		t.Fatal("no keywords after compilePatterns")
	}
	for kw, bit := range keywords {
		if got := lookup([]byte(kw)); got != bit {
			t.Errorf("lookup(%q): got %b, want %b", kw, got, bit)
		}
	}
	for _, w := range []string{"prompts", "th", "sampl", "zzzz", "x"} {
		if got := lookup([]byte(w)); got != 0 {
			t.Errorf("lookup(%q): got %b, want 0", w, got)
		}
	}
}

// FuzzKeywordScan: run finds the keywords and hits of the byte-at-a-time
// scan, at every alignment (words across 64-byte blocks, non-ASCII
// letters cut by a block's end).
func FuzzKeywordScan(f *testing.F) {
	for _, tc := range leakCases {
		f.Add(tc.text)
	}
	f.Add(strings.Repeat("x", 62) + "\u212aprompt the A variant " + strings.Repeat("\u0131", 40) + "tem")
	f.Add(strings.Repeat("abc ", 15) + "stage" + "\u017f" + " 1")
	f.Fuzz(func(t *testing.T, s string) {
		for pad := range 3 {
			in := strings.Repeat(" ", pad) + s
			var got, want scan
			got.run(in)
			want.runReference(in)
			if got.found != want.found || !slices.Equal(got.hits, want.hits) {
				t.Fatalf("%q: run %b %v, reference %b %v", in, got.found, got.hits, want.found, want.hits)
			}
		}
	})
}

// runReference is the byte-at-a-time keyword scan run replaced: the
// fuzz test checks that both find the same keywords and hits.
func (sc *scan) runReference(s string) {
	compilePatterns()
	sc.found, sc.hits = 0, sc.hits[:0]
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiFold[c] == 0 { // between words
				i++
				continue
			}
			// A word of ASCII letters, unless a non-ASCII letter that
			// folds to one (İ ı ſ K) continues it.
			start := i
			for i++; i < len(s) && asciiFold[s[i]] != 0; i++ {
			}
			if i < len(s) && s[i] >= utf8.RuneSelf && foldsToLetter(s[i:]) {
				i = sc.word(s, start)
				continue
			}
			if n := i - start; n <= maxKeyword && keywordLens[n]&(1<<(asciiFold[c]-'a')) != 0 {
				var tok [maxKeyword]byte
				for k := range n {
					tok[k] = asciiFold[s[start+k]]
				}
				sc.token(tok[:n], start)
			}
			continue
		}
		if foldsToLetter(s[i:]) {
			i = sc.word(s, i)
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
}

// foldsToLetter reports whether the character s starts with matches an
// ASCII letter under Python's IGNORECASE.
func foldsToLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return foldLetter(r) != 0
}

// TestKeywordScanAlignments: words across and at the edges of 64-byte
// blocks, long words, and non-ASCII letters cut by a block's end, at every
// offset, find what the byte-at-a-time scan finds.
func TestKeywordScanAlignments(t *testing.T) {
	texts := []string{
		"the A prompt",
		"\u212aey \u0131tem 3 of 4 \u017ftage 2 the",
		"split\u017fplit personality under audit",
		strings.Repeat("abcdefgh", 10) + " prompt " + strings.Repeat("z", 70),
		"a\u00e9b c\u2014the\u00a0B prompt",
		"\u0130\u0131\u017f\u212a",
		"\u212athe \u017fprompt x\u0131s \u0130of", // a letter cut by a block's end must not start a word after it
	}
	for _, text := range texts {
		for off := range 70 {
			in := strings.Repeat(".", off) + text
			var got, want scan
			got.run(in)
			want.runReference(in)
			if got.found != want.found || !slices.Equal(got.hits, want.hits) {
				t.Errorf("%q: run %b %v, reference %b %v", in, got.found, got.hits, want.found, want.hits)
			}
		}
	}
}
