package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// The original evaluation script (analyze_evaluation_results.py) prints its
// tables to stdout; sptflow writes them to evaluation_summary.json. eval
// reads every figure of the original's output, finds the figure sptflow
// computed for the same group and condition, and compares the printed
// percentage (and sample count where the original prints one).

// origFigure is one figure of the original's output.
type origFigure struct {
	where     string // section / row / column, for messages
	section   string // sptflow's section id
	group     string // sptflow's group label, or the checkpoint when byCheckpoint
	checkpt   bool   // match the group by its checkpoint, LoRA patch and elicitation attributes
	lora, eli string
	condition string // a condition, or "mean" (of the group's figures) or "delta"
	pct       string // as printed, "76.5%"
	samples   int    // -1 when not printed
}

// tableCols maps the original's markdown tables to sptflow's sections:
// rows are conditions and columns groups, or (byRow) rows are checkpoints
// and columns conditions.
type tableCols struct {
	section string
	byRow   bool
	cols    map[string]string
}

var tables = map[string]tableCols{
	"ON-POLICY vs OFF-POLICY COMPARISON": {section: "on_vs_off_policy",
		cols: map[string]string{"Off-Policy": "off-policy", "On-Policy": "on-policy", "Delta": "delta"}},
	"SUMMARY TABLE (for README)": {section: "offpolicy_hp_lora",
		cols: map[string]string{"With LoRA Patch": "with LoRA patch", "Without LoRA Patch": "without LoRA patch"}},
	"AGGREGATE BY MODEL (sorted by overall accuracy)": {section: "by_model", byRow: true,
		cols: map[string]string{"Trained Actual": "trained_actual", "Original Actual": "original_actual", "OVERALL": "mean"}},
}

var (
	reRule       = regexp.MustCompile(`^={20,}$`)
	reCheckpoint = regexp.MustCompile(`^(\S.*) \(lora_patch=(\w+), elicitation=(\w+)\):$`)
	reFigure     = regexp.MustCompile(`^\s*(\w+)(?: \(expect \w+\))?: (-?[0-9.]+%) \((\d+) samples\)$`)
	reLoraGroup  = regexp.MustCompile(`^(With|Without) LoRA patch \(hp elicitation\):$`)
)

// parseOrigEval reads the original's stdout into figures, and the titles
// of the sections it printed that hold no figure it could map.
func parseOrigEval(r io.Reader) (figs []origFigure, skipped []string, err error) {
	sc := bufio.NewScanner(r)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	var title, group, lora, eli string
	var header []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if reRule.MatchString(l) && i+2 < len(lines) && reRule.MatchString(lines[i+2]) {
			title, group, header = lines[i+1], "", nil
			if !knownSection(title) {
				skipped = append(skipped, title)
			}
			i += 2
			continue
		}
		switch {
		case title == "RESULTS BY CHECKPOINT":
			if m := reCheckpoint.FindStringSubmatch(l); m != nil {
				group, lora, eli = m[1], strings.ToLower(m[2]), m[3]
			} else if f, ok := lineFigure(l); ok && group != "" {
				f.where, f.section, f.group, f.checkpt, f.lora, f.eli = title+" / "+group+" / "+f.condition, "by_checkpoint", group, true, lora, eli
				figs = append(figs, f)
			}
		case title == "AGGREGATE BY CONDITION":
			if f, ok := lineFigure(l); ok {
				f.where, f.section, f.group = title+" / "+f.condition, "by_condition", "working set"
				figs = append(figs, f)
			}
		case strings.HasPrefix(title, "FAIR COMPARISON: hp elicitation only"):
			if m := reLoraGroup.FindStringSubmatch(l); m != nil {
				group = strings.ToLower(m[1]) + " LoRA patch"
			} else if f, ok := lineFigure(l); ok && group != "" {
				f.where, f.section, f.group = title+" / "+group+" / "+f.condition, "hp_lora_all_policies", group
				figs = append(figs, f)
			}
		case tables[title].section != "" && strings.HasPrefix(l, "|"):
			cells := tableCells(l)
			if header == nil {
				header = cells
				continue
			}
			if strings.HasPrefix(cells[0], "---") {
				continue
			}
			figs = append(figs, tableFigures(title, header, cells)...)
		}
	}
	return figs, skipped, nil
}

func knownSection(title string) bool {
	return title == "RESULTS BY CHECKPOINT" || title == "AGGREGATE BY CONDITION" ||
		strings.HasPrefix(title, "FAIR COMPARISON: hp elicitation only") || tables[title].section != ""
}

func lineFigure(l string) (origFigure, bool) {
	m := reFigure.FindStringSubmatch(l)
	if m == nil {
		return origFigure{}, false
	}
	n, _ := strconv.Atoi(m[3])
	return origFigure{condition: m[1], pct: m[2], samples: n}, true
}

func tableCells(l string) []string {
	parts := strings.Split(strings.Trim(l, "|"), "|")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), "*")
	}
	return parts
}

// tableFigures maps one row of a known table to figures.
func tableFigures(title string, header, cells []string) []origFigure {
	t := tables[title]
	var out []origFigure
	for c := 1; c < len(cells) && c < len(header); c++ {
		col, ok := t.cols[header[c]]
		if !ok {
			continue
		}
		f := origFigure{where: title + " / " + cells[0] + " / " + header[c], section: t.section, pct: cells[c], samples: -1}
		if f.pct == "" {
			continue
		}
		if t.byRow {
			f.group, f.condition = cells[0], col
		} else {
			f.group, f.condition = col, cells[0]
		}
		if col == "delta" {
			f.group, f.condition = "", cells[0]
			f.where += " (delta)"
			f.section = t.section + "#delta"
		}
		out = append(out, f)
	}
	return out
}

// evalSummary is the part of sptflow's evaluation_summary.json eval reads.
type evalSummary struct {
	Sections []struct {
		ID     string      `json:"id"`
		Groups []evalGroup `json:"groups"`
		Deltas []struct {
			Condition string  `json:"condition"`
			Delta     float64 `json:"delta"`
		} `json:"deltas"`
	} `json:"sections"`
}

type evalGroup struct {
	Label      string            `json:"label"`
	Attributes map[string]string `json:"attributes"`
	Figures    []struct {
		Condition   string  `json:"condition"`
		Accuracy    float64 `json:"accuracy"`
		AccuracyPct string  `json:"accuracy_pct"`
		Parsed      int     `json:"parsed"`
	} `json:"figures"`
}

// lookup returns sptflow's percentage and sample count for f (samples -1
// when sptflow has no such count), or a reason it has no such figure.
func (s *evalSummary) lookup(f origFigure) (pct string, samples int, missing string) {
	id, delta := strings.CutSuffix(f.section, "#delta")
	for _, sec := range s.Sections {
		if sec.ID != id {
			continue
		}
		if delta {
			for _, d := range sec.Deltas {
				if d.Condition == f.condition {
					return fmt.Sprintf("%+.1f%%", d.Delta*100), -1, ""
				}
			}
			return "", 0, "no delta for " + f.condition + " in section " + id
		}
		for _, g := range sec.Groups {
			if f.checkpt && (g.Attributes["checkpoint"] != f.group || g.Attributes["lora_patch"] != f.lora || g.Attributes["elicitation"] != f.eli) ||
				!f.checkpt && g.Label != f.group {
				continue
			}
			if f.condition == "mean" {
				sum := 0.0
				for _, fg := range g.Figures {
					sum += fg.Accuracy
				}
				return fmt.Sprintf("%.1f%%", sum/float64(len(g.Figures))*100), -1, ""
			}
			for _, fg := range g.Figures {
				if fg.Condition == f.condition {
					return fg.AccuracyPct, fg.Parsed, ""
				}
			}
			return "", 0, "no " + f.condition + " figure for group " + f.group + " in section " + id
		}
		return "", 0, "no group " + f.group + " in section " + id
	}
	return "", 0, "no section " + id
}

func runEval(args []string, w io.Writer) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: original eval ORIG_STDOUT SPTFLOW_EVALUATION_SUMMARY_JSON")
	}
	out, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer out.Close()
	figs, skipped, err := parseOrigEval(out)
	if err != nil {
		return fmt.Errorf("read %s: %w", args[0], err)
	}
	data, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	var s evalSummary
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("decode %s: %w", args[1], err)
	}
	return evalReport(w, figs, skipped, &s)
}

// baselines are the original's baseline checkpoints: sptflow's working set
// (SPT checkpoints only, the original's default) leaves them out of every
// table, where the original adds them to its per-model table.
var baselines = map[string]bool{"clean": true, "poisoned": true}

func evalReport(w io.Writer, figs []origFigure, skipped []string, s *evalSummary) error {
	var same int
	var diffs, missing []string
	onlyBaselines := true
	for _, f := range figs {
		pct, n, why := s.lookup(f)
		switch {
		case why != "":
			missing = append(missing, fmt.Sprintf("  not in sptflow's summary: %s = %s (%s)", f.where, f.pct, why))
			onlyBaselines = onlyBaselines && baselines[f.group]
		case pct != f.pct || f.samples >= 0 && n >= 0 && n != f.samples:
			diffs = append(diffs, fmt.Sprintf("  differs: %s: original %s (%d samples), sptflow %s (%d)", f.where, f.pct, f.samples, pct, n))
		default:
			same++
		}
	}
	nMissing := len(missing)
	if nMissing > 0 && onlyBaselines {
		missing = append(missing, "  (deliberate: sptflow applies one working set, the SPT checkpoints, to every table; "+
			"the original adds the baseline checkpoints to its per-model table)")
	}
	fmt.Fprintf(w, "%d figures of the original's output: %d the same in sptflow's evaluation_summary.json (percentage and sample count), %d differ, %d have no counterpart\n",
		len(figs), same, len(diffs), nMissing)
	for _, l := range append(diffs, missing...) {
		fmt.Fprintln(w, l)
	}
	for _, t := range skipped {
		fmt.Fprintf(w, "  section not compared: %s\n", t)
	}
	return nil
}
