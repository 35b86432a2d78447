package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// verdict is how one file of the two trees compares.
type verdict int

const (
	equal       verdict = iota // byte-identical
	maskedEqual                // identical once the masked keys' values are blanked
	differs                    // anything else
	onlyOrig                   // in the original's tree only
	onlySpt                    // in sptflow's tree only
)

// fileDiff is the comparison of one file present in both trees.
type fileDiff struct {
	verdict verdict
	// masked counts the masked values, and how many of them differ (when
	// both sides hold the same number of them).
	masked, maskedDiffer int
	// explained counts the differences per deliberate change that explains
	// them; unexplained counts the others.
	explained   map[string]int
	unexplained int
	// lines describe a difference: the first differing byte, then the
	// unexplained JSON paths.
	lines []string
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runDirs(args []string, w io.Writer) error {
	fl := flag.NewFlagSet("dirs", flag.ContinueOnError)
	var masks multiFlag
	fl.Var(&masks, "mask", "a key whose numeric values may differ (repeatable)")
	paths := fl.Int("paths", 6, "unexplained differing JSON paths shown per file")
	known := fl.String("known", "", "explain the deliberate differences of this output (analysis)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 2 {
		return fmt.Errorf("usage: original dirs [-mask KEY] [-paths N] ORIG_DIR SPTFLOW_DIR")
	}
	orig, spt := fl.Arg(0), fl.Arg(1)
	a, err := listFiles(orig)
	if err != nil {
		return err
	}
	b, err := listFiles(spt)
	if err != nil {
		return err
	}
	var rs *ruleSet
	if *known != "" {
		r, ok := knownRules[*known]
		if !ok {
			return fmt.Errorf("-known %s: no such rule set (want analysis)", *known)
		}
		rs = &r
	}
	c := comparer{mask: masker(masks), rules: rs, paths: *paths}
	return c.report(w, orig, spt, a, b)
}

// listFiles returns the regular files below dir, relative to it, sorted.
// Symbolic links are followed (sptflow may materialize by link).
func listFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	slices.Sort(out)
	return out, nil
}

// comparer compares files of the original's tree with sptflow's.
type comparer struct {
	mask  *mask
	rules *ruleSet
	paths int
}

// report compares every file of the union of a and b and prints the
// result: counts per verdict, then each file that is not identical.
func (c *comparer) report(w io.Writer, orig, spt string, a, b []string) error {
	union := slices.Compact(slices.Sorted(slices.Values(slices.Concat(a, b))))
	var count [onlySpt + 1]int
	var masked, maskedDiffer, unexplainedFiles int
	var details []string
	for _, rel := range union {
		inA, inB := slices.Contains(a, rel), slices.Contains(b, rel)
		switch {
		case !inB:
			count[onlyOrig]++
			details = append(details, fmt.Sprintf("only in the original: %s", rel))
			continue
		case !inA:
			count[onlySpt]++
			details = append(details, fmt.Sprintf("only in sptflow:      %s", rel))
			continue
		}
		x, err := os.ReadFile(filepath.Join(orig, rel))
		if err != nil {
			return err
		}
		y, err := os.ReadFile(filepath.Join(spt, rel))
		if err != nil {
			return err
		}
		d := c.compare(rel, x, y)
		count[d.verdict]++
		if d.verdict == maskedEqual {
			masked += d.masked
			maskedDiffer += d.maskedDiffer
		}
		if d.verdict != differs {
			continue
		}
		if d.unexplained > 0 {
			unexplainedFiles++
		}
		details = append(details, describe(rel, d)...)
	}
	fmt.Fprintf(w, "%d files: %d byte-identical", len(union), count[equal])
	if c.mask != nil {
		fmt.Fprintf(w, ", %d identical but for the values of %s", count[maskedEqual], strings.Join(c.mask.keys, ", "))
		if count[maskedEqual] > 0 {
			fmt.Fprintf(w, " (%d of their %d values differ)", maskedDiffer, masked)
		}
	}
	fmt.Fprintf(w, ", %d differ", count[differs])
	if c.rules != nil {
		fmt.Fprintf(w, " (%d with differences no deliberate change explains)", unexplainedFiles)
	}
	fmt.Fprintf(w, ", %d only in the original, %d only in sptflow\n", count[onlyOrig], count[onlySpt])
	for _, l := range details {
		fmt.Fprintln(w, "  "+l)
	}
	return nil
}

// describe renders a differing file: its differences explained per
// deliberate change, then the first differing byte and the unexplained
// differences.
func describe(rel string, d fileDiff) []string {
	head := "differs: " + rel
	switch {
	case len(d.explained) > 0 && d.unexplained == 0:
		head = "differs, every difference deliberate: " + rel
	case len(d.explained) > 0:
		head += fmt.Sprintf(" (%d differences not explained by a deliberate change)", d.unexplained)
	}
	out := []string{head}
	for _, reason := range slices.Sorted(maps.Keys(d.explained)) {
		out = append(out, fmt.Sprintf("  explained (%d): %s", d.explained[reason], reason))
	}
	for _, l := range d.lines {
		out = append(out, "  "+l)
	}
	return out
}

// compare compares the original's bytes x of file rel with sptflow's y.
func (c *comparer) compare(rel string, x, y []byte) fileDiff {
	if bytes.Equal(x, y) {
		return fileDiff{verdict: equal}
	}
	var d fileDiff
	if m := c.mask; m != nil {
		vx, vy := m.values(x), m.values(y)
		d.masked = len(vx)
		if len(vx) == len(vy) {
			for i := range vx {
				if vx[i] != vy[i] {
					d.maskedDiffer++
				}
			}
		}
		if bytes.Equal(m.blank(x), m.blank(y)) {
			d.verdict = maskedEqual
			return d
		}
	}
	d.verdict = differs
	diffs, sorted, ok := jsonDiff(rel, x, y, c.mask, c.rules)
	var shown []string
	d.explained = map[string]int{}
	for _, df := range diffs {
		if reason := c.rules.explain(rel, df); reason != "" {
			d.explained[reason]++
			continue
		}
		d.unexplained++
		if len(shown) < c.paths {
			shown = append(shown, df.text)
		}
	}
	if !ok || d.unexplained > 0 {
		d.lines = append(d.lines, firstDifference(x, y))
	}
	d.lines = append(d.lines, shown...)
	if d.unexplained > len(shown) {
		d.lines = append(d.lines, fmt.Sprintf("... %d unexplained differences in all", d.unexplained))
	}
	if ok && len(diffs) == 0 {
		// The bytes differ, the values do not: set order or formatting.
		why := "the same JSON values, written differently (formatting)"
		if sorted {
			why = setOrderReason
		}
		d.explained[why]++
	}
	return d
}

// firstDifference describes the first byte where x and y differ: its
// offset and line, and a few bytes of each side from the start of that line.
func firstDifference(x, y []byte) string {
	i := 0
	for i < len(x) && i < len(y) && x[i] == y[i] {
		i++
	}
	line := bytes.Count(x[:i], []byte("\n")) + 1
	start := bytes.LastIndexByte(x[:i], '\n') + 1
	return fmt.Sprintf("first difference at byte %d (line %d, sizes %d / %d): original %s, sptflow %s",
		i, line, len(x), len(y), excerpt(x, start, i), excerpt(y, start, i))
}

// excerpt quotes b from start to a little past i.
func excerpt(b []byte, start, i int) string {
	if i-start > 40 {
		start = i - 40
	}
	end := min(len(b), i+40)
	if start > end {
		return `""`
	}
	return fmt.Sprintf("%q", b[start:end])
}

// mask blanks the numeric values of some keys in JSON text as the original
// and sptflow write it ("key": 123), so files that differ only there
// compare equal. In a JSON string a quote is escaped, so a key inside a
// string value never matches.
type mask struct {
	keys []string
	re   *regexp.Regexp
}

func masker(keys []string) *mask {
	if len(keys) == 0 {
		return nil
	}
	alt := make([]string, len(keys))
	for i, k := range keys {
		alt[i] = regexp.QuoteMeta(k)
	}
	re := regexp.MustCompile(`"(?:` + strings.Join(alt, "|") + `)": (-?[0-9][0-9.eE+-]*)`)
	return &mask{keys: keys, re: re}
}

func (m *mask) has(key string) bool { return m != nil && slices.Contains(m.keys, key) }

func (m *mask) blank(b []byte) []byte {
	return m.re.ReplaceAll(b, []byte(`"_": _`))
}

func (m *mask) values(b []byte) []string {
	var out []string
	for _, s := range m.re.FindAllSubmatch(b, -1) {
		out = append(out, string(s[1]))
	}
	return out
}
