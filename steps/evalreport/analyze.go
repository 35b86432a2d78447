package evalreport

import "fmt"

// Analysis is everything the evaluation report shows.
type Analysis struct {
	Header   Header
	Sections []Section
	// Checks compares the figures quoted in the original README with the
	// recomputed ones, for the figures whose sections exist.
	Checks []Check
}

// Header describes what was loaded and which runs the sections use.
type Header struct {
	Files      int // complete result files read
	Counted    int // runs counted after duplicate handling
	SPT        int
	OffPolicy  int
	OnPolicy   int
	Baseline   int
	WorkingSet string
	Working    int // counted runs in the working set
	Skipped    []Skipped
	Duplicates []Duplicate
	// FlagMismatches counts entries whose own expected_flag differs from
	// the flag their condition expects (scored against the condition's).
	FlagMismatches int
}

// Analyze computes every section from the parsed runs (in file-name order).
func Analyze(all []*Run, opts Options) *Analysis {
	a := &Analysis{}
	var complete []*Run
	for _, r := range all {
		if !r.Complete {
			a.Header.Skipped = append(a.Header.Skipped, Skipped{File: r.File, Processed: r.Processed, Planned: r.Planned,
				Reason: "processing_complete is false"})
			continue
		}
		complete = append(complete, r)
	}
	a.Header.Files = len(complete)
	counted, dups := dedupe(complete, opts.CountDuplicates)
	a.Header.Duplicates = dups
	a.Header.Counted = len(counted)
	fig := &figurer{cov: newCoverage(complete), duplicates: notCounted(complete, dups), countAll: opts.CountDuplicates}
	b := &builder{fig: fig, opts: opts}
	for _, r := range counted {
		a.Header.count(r)
		if opts.selects(r) {
			b.runs = append(b.runs, r)
		}
	}
	a.Header.WorkingSet, a.Header.Working = opts.WorkingSet(), len(b.runs)
	a.Sections = b.sections()
	a.Checks = checkPublished(a.Sections)
	return a
}

func (h *Header) count(r *Run) {
	switch r.Class() {
	case "baseline":
		h.Baseline++
	case "on-policy":
		h.SPT++
		h.OnPolicy++
	default:
		h.SPT++
		h.OffPolicy++
	}
	h.FlagMismatches += r.FlagMismatch
}

// notCounted returns the runs that figures must mention: dropped
// duplicates, or with countAll the extra runs counted twice.
func notCounted(complete []*Run, dups []Duplicate) []*Run {
	extra := map[string]bool{}
	for _, d := range dups {
		for _, f := range d.Others {
			extra[f] = true
		}
	}
	var out []*Run
	for _, r := range complete {
		if extra[r.File] {
			out = append(out, r)
		}
	}
	return out
}

func (b *builder) sections() []Section {
	var out []Section
	add := func(s Section, ok bool) {
		if ok {
			out = append(out, s)
		}
	}
	out = append(out, b.byCheckpoint(), b.byCondition())
	add(b.readmeTable())
	add(b.hpLora())
	add(b.policy())
	add(b.baseline())
	out = append(out, b.byModel(), b.byIntervention(), b.interventionPooled())
	return out
}

// Check is one figure quoted in the original README next to the figure
// recomputed from the data.
type Check struct {
	Source    string
	Section   string
	Group     string
	Condition string
	Published float64
	Computed  Figure
	Match     bool // equal when both are printed as {:.1%}
}

type published struct {
	source, section, group, cond string
	value                        float64
}

// readmeFigures are the evaluation figures the original README quotes.
var readmeFigures = []published{
	{"README: main findings (hp, fair comparison)", "offpolicy_hp_lora", "with LoRA patch", TrainedActual, 0.765},
	{"README: main findings (hp, fair comparison)", "offpolicy_hp_lora", "without LoRA patch", TrainedActual, 0.967},
	{"README: main findings (hp, fair comparison)", "offpolicy_hp_lora", "with LoRA patch", OriginalActual, 0.892},
	{"README: main findings (hp, fair comparison)", "offpolicy_hp_lora", "without LoRA patch", OriginalActual, 0.938},
	{"README: main findings (hp, fair comparison)", "offpolicy_hp_lora", "with LoRA patch", OriginalIntended, 0.038},
	{"README: main findings (hp, fair comparison)", "offpolicy_hp_lora", "without LoRA patch", OriginalIntended, 0.036},
	{"README: aggregate results (off-policy elicitation types)", "on_vs_off_policy", "off-policy", TrainedActual, 0.860},
	{"README: aggregate results (off-policy elicitation types)", "on_vs_off_policy", "off-policy", OriginalActual, 0.885},
	{"README: aggregate results (off-policy elicitation types)", "on_vs_off_policy", "off-policy", OriginalIntended, 0.061},
	{"README: baseline comparison", "baseline_vs_spt", "poisoned baseline (no SPT)", TrainedActual, 0.0},
	{"README: baseline comparison", "baseline_vs_spt", "poisoned baseline (no SPT)", OriginalActual, 1.0},
	{"README: baseline comparison", "baseline_vs_spt", "clean baseline (no SPT)", TrainedActual, 0.636},
	{"README: baseline comparison", "baseline_vs_spt", "clean baseline (no SPT)", OriginalActual, 0.822},
	{"README: baseline comparison", "baseline_vs_spt", "SPT-trained", TrainedActual, 0.887},
	{"README: baseline comparison", "baseline_vs_spt", "SPT-trained", OriginalActual, 0.851},
}

func checkPublished(sections []Section) []Check {
	var out []Check
	for _, p := range readmeFigures {
		f, ok := findFigure(sections, p.section, p.group, p.cond)
		if !ok {
			continue
		}
		out = append(out, Check{Source: p.source, Section: p.section, Group: p.group, Condition: p.cond,
			Published: p.value, Computed: f, Match: Percent(p.value) == Percent(f.Accuracy())})
	}
	return out
}

func findFigure(sections []Section, id, group, cond string) (Figure, bool) {
	for _, s := range sections {
		if s.ID != id {
			continue
		}
		for i := range s.Groups {
			if s.Groups[i].Label == group {
				f, ok := s.Groups[i].Figure(cond)
				return f, ok && f.Parsed > 0
			}
		}
	}
	return Figure{}, false
}

// Percent formats a fraction as Python's "{:.1%}".
func Percent(x float64) string { return fmt.Sprintf("%.1f%%", x*100) }
