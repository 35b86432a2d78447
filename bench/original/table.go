package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// The measurements file run.sh writes has one line per measured process:
// KEY CPU_SECONDS PEAK_RSS_KB, e.g. "spt:tag-hardlink 0.81 40312".

// row is one line of the table: a step of the original against sptflow.
type row struct {
	label     string
	orig, spt string  // measurement keys
	goal      float64 // the goal for sptflow/original CPU
	rssMB     float64 // sptflow's peak RSS goal in MB (0: none)
}

var rows = []row{
	{"tag: cold `run … tag`, hard links", "orig:tag", "spt:tag-hardlink", 0.05, 40},
	{"tag: cold `run … tag`, copies", "orig:tag", "spt:tag-copy", 0.05, 40},
	{"analysis (a): first process after tag", "orig:analysis", "spt:analysis-first", 0.10, 0},
	{"analysis (b): a later process (inputs in the stat cache)", "orig:analysis", "spt:analysis-later", 0.10, 0},
	{"evaluation (a): first process after tag", "orig:evaluation", "spt:evaluation-first", 0.10, 0},
	{"evaluation (b): a later process (inputs in the stat cache)", "orig:evaluation", "spt:evaluation-later", 0.10, 0},
}

// sample is one measured process.
type sample struct{ cpu, rssMB float64 }

func runTable(args []string, w io.Writer) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("usage: original table TIMES_FILE [NOOP_OUTPUT]")
	}
	m, err := readTimes(args[0])
	if err != nil {
		return err
	}
	var noop map[string][]float64
	if len(args) == 2 {
		if noop, err = readNoop(args[1]); err != nil {
			return err
		}
	}
	printTable(w, m, noop)
	return nil
}

func readTimes(path string) (map[string][]sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string][]sample{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 {
			return nil, fmt.Errorf("%s:%d: want KEY CPU RSS_KB, got %q", path, n, sc.Text())
		}
		cpu, err1 := strconv.ParseFloat(fs[1], 64)
		rss, err2 := strconv.ParseFloat(fs[2], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s:%d: bad numbers in %q", path, n, sc.Text())
		}
		m[fs[0]] = append(m[fs[0]], sample{cpu, rss / 1024})
	}
	return m, sc.Err()
}

// readNoop reads bench/noop/run.sh's output: NAME v1 v2 v3 ms CPU per run.
func readNoop(path string) (map[string][]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string][]float64{}
	for _, l := range strings.Split(string(data), "\n") {
		name, rest, ok := strings.Cut(l, "  ")
		if !ok || !strings.HasSuffix(l, "ms CPU per run") {
			continue
		}
		for _, f := range strings.Fields(strings.TrimSuffix(rest, "ms CPU per run")) {
			if v, err := strconv.ParseFloat(f, 64); err == nil {
				out[strings.TrimSpace(name)] = append(out[strings.TrimSpace(name)], v)
			}
		}
	}
	return out, nil
}

// stat is a median with its range.
type stat struct{ med, lo, hi float64 }

func summarize(v []float64) (stat, bool) {
	if len(v) == 0 {
		return stat{}, false
	}
	s := slices.Sorted(slices.Values(v))
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{med, s[0], s[len(s)-1]}, true
}

func (s stat) format(prec int, unit string) string {
	return fmt.Sprintf("%.*f%s (%.*f–%.*f)", prec, s.med, unit, prec, s.lo, prec, s.hi)
}

func column(ss []sample, rss bool) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = s.cpu
		if rss {
			out[i] = s.rssMB
		}
	}
	return out
}

// paired gives the range of the per-round ratios (the rounds alternate the
// original and sptflow), or "" when the counts differ.
func paired(orig, spt []sample) string {
	if len(orig) != len(spt) || len(orig) < 2 {
		return ""
	}
	r := make([]float64, len(orig))
	for i := range orig {
		r[i] = spt[i].cpu / orig[i].cpu
	}
	s, _ := summarize(r)
	return fmt.Sprintf(" (per round %.3f–%.3f)", s.lo, s.hi)
}

func met(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func printTable(w io.Writer, m map[string][]sample, noop map[string][]float64) {
	fmt.Fprintln(w, "| step | the original: CPU s, peak RSS | sptflow: CPU s, peak RSS | ratio (sptflow/original) | goal | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rows {
		oc, ok1 := summarize(column(m[r.orig], false))
		sc, ok2 := summarize(column(m[r.spt], false))
		if !ok1 || !ok2 {
			fmt.Fprintf(w, "| %s | not measured | | | | |\n", r.label)
			continue
		}
		om, _ := summarize(column(m[r.orig], true))
		sm, _ := summarize(column(m[r.spt], true))
		ratio := sc.med / oc.med
		goal := fmt.Sprintf("≤ %.2f", r.goal)
		ok := ratio <= r.goal
		if r.rssMB > 0 {
			goal += fmt.Sprintf(", ≤ %.0f MB", r.rssMB)
			ok = ok && sm.hi <= r.rssMB
		}
		fmt.Fprintf(w, "| %s | %s, %s | %s, %s | %.3f%s | %s | %s |\n", r.label,
			oc.format(2, " s"), om.format(0, " MB"), sc.format(2, " s"), sm.format(0, " MB"),
			ratio, paired(m[r.orig], m[r.spt]), goal, met(ok))
	}
	if noop == nil {
		return
	}
	for _, name := range []string{"sptflow run", "sptflow status"} {
		for _, mk := range []string{"make -q", "make -rRq"} {
			s, ok1 := summarize(noop[name])
			k, ok2 := summarize(noop[mk])
			if !ok1 || !ok2 {
				continue
			}
			fmt.Fprintf(w, "| no-op `%s` vs `%s` (bench/noop/run.sh, ms CPU per run) | %s | %s | %.1f× | ≤ 3× | %s |\n",
				name, mk, k.format(1, " ms"), s.format(1, " ms"), s.med/k.med, met(s.med/k.med <= 3))
		}
	}
}
