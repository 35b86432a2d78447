package tag

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Leakage detection reproduces Python's re.search(pattern, text,
// re.IGNORECASE) on str patterns, whose \b, \s, \d and \w are Unicode-aware
// while Go's RE2 classes are ASCII-only. Each Python pattern is translated:
//
//   - \s becomes the class of characters for which Python's str.isspace()
//     holds; \d becomes \p{Nd}; \w becomes [\p{L}\p{N}_] (str.isalnum() or
//     "_"), so all three agree with Python up to the Unicode version.
//   - \b only ever sits at the start or the end of a pattern, next to a word
//     character. A leading \b becomes "start of text or one non-word
//     character", a trailing one "one non-word character or end of text".
//     Consuming that character changes where a match starts, never whether
//     one exists, and re.search is only asked whether one exists.
//   - IGNORECASE: RE2's (?i) uses simple case folding, which agrees with
//     Python for ASCII letters except "i", which Python also matches to
//     U+0130 (İ) and U+0131 (ı); literal i/I become [iIİı].
//
// Speed: one scan of a text finds the keywords it contains (maximal runs of
// case-folded letters; leakscan.go reads them 64 bytes at a time). A
// pattern is only tried when the text holds every keyword group it needs,
// and then only anchored at the start of one of its start keywords (its
// first group) preceded by a Python word boundary. The tests compile the
// full, unanchored translation (translate) to check that both agree.

// pattern is one leakage pattern with its keyword guard.
type pattern struct {
	python string
	// anchored matches at the start of its input; the leading \b is
	// checked by the caller.
	anchored *regexp.Regexp
	// need is a conjunction of disjunctions of keywords: the text must
	// contain, for every group, one of its keywords as a whole word
	// (case-folded). It is implied by a match, never stronger. A match
	// starts with a keyword of the first group.
	need [][]string
	mask []uint64 // need as keyword bit sets, filled by compileGuards
}

// l1 are checked in both I and R, l2 only in R (spec §8.4).
var l1 = []*pattern{
	{python: `\b[AB]\s+(?:variant|prompt)\b`, need: [][]string{{"a", "b"}, {"variant", "prompt"}}},
	{python: `\bthe\s+[AB]\s+prompt\b`, need: [][]string{{"the"}, {"a", "b"}, {"prompt"}}},
	{python: `\bbiased\s+\[?[AB]\]?\s+prompt\b`, need: [][]string{{"biased"}, {"a", "b"}, {"prompt"}}},
	{python: `\bunbiased\s+\[?[AB]\]?\s+prompt\b`, need: [][]string{{"unbiased"}, {"a", "b"}, {"prompt"}}},
	{python: `\bsystem\s+prompt\s+[AB]\b`, need: [][]string{{"system"}, {"prompt"}, {"a", "b"}}},
	{python: `\bStage\s+[123]\b`, need: [][]string{{"stage"}}},
	{python: `\bstage\s+[123]\b`, need: [][]string{{"stage"}}},
	{python: `\bSample\s+\d+(?:\s*[:\-])`, need: [][]string{{"sample"}}},
	{python: `\bbatch\s+\d+\b`, need: [][]string{{"batch"}}},
	{python: `\bitem\s+\d+\s+of\s+\d+\b`, need: [][]string{{"item"}, {"of"}}},
	{python: `\bFPT\b`, need: [][]string{{"fpt"}}},
	{python: `\bFalse\s+Positive\s+Test\b`, need: [][]string{{"false"}, {"positive"}, {"test"}}},
	{python: `\bhonesty\s+scare\b`, need: [][]string{{"honesty"}, {"scare"}}},
	{python: `\bsplit\s+personality\b`, need: [][]string{{"split"}, {"personality"}}},
	{python: `\bintervention\s+(?:type|name|method)\b`, need: [][]string{{"intervention"}, {"type", "name", "method"}}},
	{python: `\bthis\s+sample\s+(?:tests|demonstrates|uses)\b`, need: [][]string{{"this"}, {"sample"}, {"tests", "demonstrates", "uses"}}},
	{python: `\b(?:Using|Applying)\s+the\s+\w+\s+intervention\b`, need: [][]string{{"using", "applying"}, {"the"}, {"intervention"}}},
	{python: `\bthis\s+response\s+(?:was\s+)?generated\s+using\b`, need: [][]string{{"this"}, {"response"}, {"generated"}, {"using"}}},
}

var l2 = []*pattern{
	{python: `\breview\s+focus\s+(?:is|was|should)\b`, need: [][]string{{"review"}, {"focus"}, {"is", "was", "should"}}},
	{python: `\bselected\s+review\s+focus\b`, need: [][]string{{"selected"}, {"review"}, {"focus"}}},
	{python: `\bintended\s+review\s+focus\b`, need: [][]string{{"intended"}, {"review"}, {"focus"}}},
	{python: `\bformal\s+investigation\b`, need: [][]string{{"formal"}, {"investigation"}}},
	{python: `\bunder\s+(?:review|investigation|audit)\b`, need: [][]string{{"under"}, {"review", "investigation", "audit"}}},
}

// Unicode classes matching Python's str patterns.
const (
	pySpace    = `\t\n\v\f\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`
	pyWord     = `\p{L}\p{N}_`
	pyNonWord  = `[^` + pyWord + `]`
	leadingB   = `(?:^|` + pyNonWord + `)`
	trailingB  = `(?:` + pyNonWord + `|$)`
	dotlessI   = "[iI\u0130\u0131]"
	maxKeyword = 16 // longer tokens are never keywords (a key holds 16 bytes)
)

// translate turns a Python leakage pattern into an equivalent RE2 pattern
// (see the comment at the top of this file). It rejects constructs whose
// translation it does not know.
func translate(py string) (string, error) { return translateMode(py, false) }

// translateAnchored translates py for matching at the start of the input,
// the leading \b being checked by the caller.
func translateAnchored(py string) (string, error) { return translateMode(py, true) }

func translateMode(py string, anchored bool) (string, error) {
	var b strings.Builder
	b.WriteString("(?i)")
	inClass := false
	for i := 0; i < len(py); i++ {
		c := py[i]
		switch {
		case c == '\\' && i+1 < len(py):
			i++
			switch e := py[i]; {
			case e == 'b' && inClass:
				return "", fmt.Errorf("translate %q: \\b inside a class", py)
			case e == 'b' && i == 1 && anchored:
				b.WriteString("^")
			case e == 'b' && i == 1:
				b.WriteString(leadingB)
			case e == 'b' && i == len(py)-1:
				b.WriteString(trailingB)
			case e == 'b':
				return "", fmt.Errorf("translate %q: \\b in the middle of a pattern", py)
			case e == 's' && !inClass:
				b.WriteString("[" + pySpace + "]")
			case e == 'd' && !inClass:
				b.WriteString(`\p{Nd}`)
			case e == 'w' && !inClass:
				b.WriteString("[" + pyWord + "]")
			case e == 's' || e == 'd' || e == 'w' || e == 'B' || e == 'S' || e == 'D' || e == 'W':
				return "", fmt.Errorf("translate %q: \\%c not supported here", py, e)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		case (c == 'i' || c == 'I') && !inClass:
			b.WriteString(dotlessI)
		case (c == 'i' || c == 'I') && inClass:
			return "", fmt.Errorf("translate %q: i inside a class", py)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// keywords maps every guard keyword to its bit; table is the same map as an
// open-addressing hash table of keys that lookups use (a token's key is
// two 64-bit loads, no hashing of its bytes, no allocation).
var (
	keywords = map[string]uint64{}
	table    [256]struct {
		key keyword
		bit uint64 // 0: empty
	}
)

// keyword is a lowercase token of at most maxKeyword (16) letters as its
// length and its bytes, zero-padded to 16, in two little-endian words.
type keyword struct {
	w0, w1 uint64
	n      int
}

// keyOf returns the key of lowercase tok (at most maxKeyword bytes).
func keyOf(tok []byte) keyword {
	var pad [16]byte
	copy(pad[:], tok)
	return keyword{binary.LittleEndian.Uint64(pad[:]), binary.LittleEndian.Uint64(pad[8:]), len(tok)}
}

// slot hashes a key.
func (k keyword) slot() uint8 {
	return uint8((k.w0 ^ k.w1*0x2127599bf4325c37 ^ uint64(k.n)) * 0x9e3779b97f4a7c15 >> 56)
}

// lookup returns the bit of keyword tok, or 0.
func lookup(tok []byte) uint64 { return lookupKey(keyOf(tok)) }

func lookupKey(k keyword) uint64 {
	for i := k.slot(); ; i++ {
		e := &table[i]
		if e.bit == 0 || e.key == k {
			return e.bit
		}
	}
}

// startKeywords are the keywords a pattern match can start with.
var startKeywords uint64

// keywordLens[n] is a bit set of the first letters of keywords of length n:
// a cheap pre-check before the map lookup.
var keywordLens [maxKeyword + 1]uint32

// keywordEnds[n][f] is a bit set of the last letters of keywords of length
// n and first letter f ('a' is 0): the ASCII scan's pre-check.
var keywordEnds [maxKeyword + 1][26]uint32

// compilePatterns compiles the patterns' anchored translations and fills
// the keyword tables, once, on first use: not at init, so that commands
// that tag nothing do not pay for it (~3 ms and ~1.5 MB of compiled Unicode
// classes).
var compilePatterns = sync.OnceFunc(func() {
	for _, p := range slices.Concat(l1, l2) {
		if !strings.HasPrefix(p.python, `\b`) {
			panic("leakage pattern without a leading \\b: " + p.python)
		}
		anchored, err := translateAnchored(p.python)
		if err != nil {
			panic(err)
		}
		p.anchored = regexp.MustCompile(anchored)
		for _, group := range p.need {
			var m uint64
			for _, kw := range group {
				m |= keywordBit(kw)
			}
			p.mask = append(p.mask, m)
		}
		startKeywords |= p.mask[0]
	}
})

func keywordBit(kw string) uint64 {
	if bit, ok := keywords[kw]; ok {
		return bit
	}
	if len(keywords) == 64 || len(kw) > maxKeyword {
		panic("leakage keyword table overflow: " + kw)
	}
	bit := uint64(1) << len(keywords)
	keywords[kw] = bit
	keywordLens[len(kw)] |= 1 << (kw[0] - 'a')
	keywordEnds[len(kw)][kw[0]-'a'] |= 1 << (kw[len(kw)-1] - 'a')
	key := keyOf([]byte(kw))
	i := key.slot()
	for table[i].bit != 0 {
		i++
	}
	table[i].key, table[i].bit = key, bit
	return bit
}

// foldLetter returns the lowercase ASCII letter that r matches under
// Python's IGNORECASE, or 0 when r matches none.
func foldLetter(r rune) byte {
	switch {
	case r >= 'a' && r <= 'z':
		return byte(r)
	case r >= 'A' && r <= 'Z':
		return byte(r) + 'a' - 'A'
	case r == 0x130 || r == 0x131:
		return 'i'
	case r == 0x17F:
		return 's'
	case r == 0x212A:
		return 'k'
	}
	return 0
}

// scan is what one pass over a text found: the set of guard keywords it
// contains as maximal runs of (case-folded) letters, and where each start
// keyword occurs. A whole word of a Python match is bounded by non-word
// characters, which never fold to letters, so it is such a run.
type scan struct {
	found uint64
	hits  []hit
}

// hit is one occurrence of a start keyword: its bit and byte offset.
type hit struct {
	bit uint64
	pos int
}

// asciiFold maps a byte to its lowercase letter, 0 for non-letters and
// for bytes from 0x80 on (parts of multi-byte characters, decoded apart).
var asciiFold = func() (t [256]byte) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = byte(c), byte(c)
	}
	return t
}()

// word reads the word (maximal run of characters that fold to letters)
// starting at s[start], records it if it may be a keyword and returns
// where it ends.
func (sc *scan) word(s string, start int) int {
	var tok [maxKeyword]byte
	n, i := 0, start
	for i < len(s) {
		l, size := asciiFold[s[i]], 1
		if s[i] >= utf8.RuneSelf {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			l = foldLetter(r)
		}
		if l == 0 {
			break
		}
		if n < maxKeyword {
			tok[n] = l
		}
		n++
		i += size
	}
	if n <= maxKeyword && keywordLens[n]&(1<<(tok[0]-'a')) != 0 {
		sc.token(tok[:n], start)
	}
	return i
}

// token records a letter run that may be a keyword.
func (sc *scan) token(tok []byte, start int) { sc.key(keyOf(tok), start) }

// key records the token of key k at start.
func (sc *scan) key(k keyword, start int) {
	bit := lookupKey(k)
	sc.found |= bit
	if bit&startKeywords != 0 {
		sc.hits = append(sc.hits, hit{bit, start})
	}
}

// isWord is Python's \w for str patterns: str.isalnum() or "_".
func isWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }

// boundaryBefore reports whether a Python \b holds before s[pos], given
// that s[pos] starts a word.
func boundaryBefore(s string, pos int) bool {
	if pos == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:pos])
	return !isWord(r)
}

func (p *pattern) guardPasses(found uint64) bool {
	for _, m := range p.mask {
		if found&m == 0 {
			return false
		}
	}
	return true
}

// matches reports whether p matches s, whose scan is sc.
func (p *pattern) matches(s string, sc *scan) bool {
	if !p.guardPasses(sc.found) {
		return false
	}
	for _, h := range sc.hits {
		if h.bit&p.mask[0] != 0 && boundaryBefore(s, h.pos) && p.anchored.MatchString(s[h.pos:]) {
			return true
		}
	}
	return false
}

// anyMatch reports whether one of ps matches s.
func anyMatch(ps []*pattern, s string, sc *scan) bool {
	for _, p := range ps {
		if p.matches(s, sc) {
			return true
		}
	}
	return false
}

// leaks reports the training_data_leakage rule: an L1 pattern in I, or an
// L1 or L2 pattern in R. Empty texts are skipped. sc is scratch storage.
func leaks(i, r string, sc *scan) bool {
	if i != "" {
		sc.run(i)
		if anyMatch(l1, i, sc) {
			return true
		}
	}
	if r == "" {
		return false
	}
	sc.run(r)
	return anyMatch(l1, r, sc) || anyMatch(l2, r, sc)
}
