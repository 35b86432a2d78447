// Package compare compares the SPT data two runs produced (`sptflow diff`):
// the stage-3 intervention records of both, matched by topic, item (task
// text), stage-2 model, variant and intervention key; a PASS/FAIL/AMBIGUOUS
// flip matrix over the matched records; tag count deltas from the tagged
// output; the training set's size; the stage-3 review acceptance rate; and
// the LLM cost the lock recorded. It reads sealed outputs only and never
// runs anything. The node-key comparison is the engine's (engine.DiffSides);
// this package knows the data.
package compare

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
)

// File is one file of a sealed partition output.
type File struct {
	Path string // slash-separated, relative to the data directory
	// Digest identifies the content (optional): a file both sides share
	// is read once.
	Digest string
	Open   func() (io.ReadCloser, error)
}

// Partition is one partition output of a side.
type Partition struct {
	ID    string
	Kind  string // node kind (intervene, tag, export, ...); "" when unknown
	Files []File
	// Usage is what the lock recorded for it: requests, tokens, cost_usd.
	Usage map[string]any
}

// Side is what one side of a comparison produced.
type Side struct {
	Name       string
	Partitions []Partition
	// Unread lists partitions whose outputs cannot be read, with why
	// ("intervene@x: output not in the store").
	Unread []string
}

// Summary is one side's figures.
type Summary struct {
	Name string `json:"name"`
	// Records counts stage-3 intervention records, Verdicts them by P.
	Records  int            `json:"records"`
	Verdicts map[string]int `json:"verdicts"`
	// Tags counts tag applications in the tagged output (variants and
	// records); nil when the side has no tagged output.
	Tags map[string]int `json:"tags,omitempty"`
	// Export is the training set's size; nil without an export output.
	Export *ExportSize `json:"export,omitempty"`
	// Reviews are the stage-3 reviews; nil when none are recorded.
	Reviews *Reviews `json:"reviews,omitempty"`
	// Usage totals the lock's usage of every partition, and by node.
	Usage  Usage            `json:"usage"`
	ByNode map[string]Usage `json:"by_node,omitempty"`
}

// ExportSize is the size of an exported training set.
type ExportSize struct {
	Train      int `json:"train"`
	Validation int `json:"validation"`
}

// Usage is LLM usage as the lock records it. CostUSD is what the run that
// sealed the output paid; ServedCostUSD what the calls it was served from
// the request store cost when they were bought (by an interrupted run of
// the partition, another partition or experiment; 0 in locks written
// before it was recorded).
type Usage struct {
	Requests      int     `json:"requests"`
	Cached        int     `json:"cached"`
	InputTokens   int     `json:"input_tokens"`
	OutputTokens  int     `json:"output_tokens"`
	CostUSD       float64 `json:"cost_usd"`
	ServedCostUSD float64 `json:"served_cost_usd,omitempty"`
}

// DataCostUSD is what the output's responses cost, whichever runs bought
// them: the same after an interrupted run as after an uninterrupted one,
// and for an experiment served what its base bought as for the base.
func (u Usage) DataCostUSD() float64 { return u.CostUSD + u.ServedCostUSD }

// Report is the comparison of two sides' data.
type Report struct {
	A, B Summary `json:"-"`
	// Source names the records compared: the "intervene" outputs (stage 3)
	// or, when a side has none, the "tag" outputs.
	Source string      `json:"record_source"`
	Flips  *FlipMatrix `json:"flips"`
	// Tags compares tag counts; empty when a side has no tagged output.
	Tags []CountDelta `json:"tag_deltas,omitempty"`
	// Notes say what could not be compared and why.
	Notes []string `json:"notes,omitempty"`
}

// MarshalJSON writes the sides as "a" and "b".
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		A Summary `json:"a"`
		B Summary `json:"b"`
		*plain
	}{r.A, r.B, (*plain)(r)})
}

// CountDelta is one count on both sides.
type CountDelta struct {
	Name  string `json:"name"`
	A     int    `json:"a"`
	B     int    `json:"b"`
	Delta int    `json:"delta"`
}

// Compare reads both sides' outputs and compares them.
func Compare(a, b Side) (*Report, error) {
	r := &Report{Source: recordSource(a, b)}
	cache := map[string]*facts{}
	ra, badA := summarize(a, r.Source, &r.A, cache)
	rb, badB := summarize(b, r.Source, &r.B, cache)
	r.Flips = Flips(ra.byKey, rb.byKey, ra.order, rb.order)
	for i, s := range []Side{a, b} {
		for _, u := range s.Unread {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: %s: not compared", s.Name, u))
		}
		for _, u := range [][]string{badA, badB}[i] {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: %s: not compared (the partition's other files are)", s.Name, u))
		}
	}
	switch {
	case r.A.Records == 0 && r.B.Records == 0:
		r.Notes = append(r.Notes, "no stage-3 records on either side (no readable intervene or tag output)")
	case r.A.Records == 0 || r.B.Records == 0:
		r.Notes = append(r.Notes, fmt.Sprintf("stage-3 records on one side only (A %d, B %d): no verdicts to match", r.A.Records, r.B.Records))
	}
	if r.A.Tags != nil && r.B.Tags != nil {
		r.Tags = Deltas(r.A.Tags, r.B.Tags)
	} else {
		r.Notes = append(r.Notes, "tag counts: "+missingOn(r.A.Tags == nil, r.B.Tags == nil, "no readable tag output"))
	}
	if r.A.Export == nil || r.B.Export == nil {
		r.Notes = append(r.Notes, "export size: "+missingOn(r.A.Export == nil, r.B.Export == nil, "no readable export output"))
	}
	if r.A.Reviews == nil || r.B.Reviews == nil {
		r.Notes = append(r.Notes, "review acceptance: "+missingOn(r.A.Reviews == nil, r.B.Reviews == nil, "no stage-3 reviews recorded"))
	}
	return r, nil
}

func missingOn(a, b bool, what string) string {
	switch {
	case a && b:
		return what + " on either side"
	case a:
		return what + " in A"
	default:
		return what + " in B"
	}
}

// recordSource picks the records to match: stage 3's own output when both
// sides have it, else the tagged output.
func recordSource(a, b Side) string {
	if hasKind(a, "intervene") && hasKind(b, "intervene") {
		return "intervene"
	}
	return "tag"
}

func hasKind(s Side, kind string) bool {
	return slices.ContainsFunc(s.Partitions, func(p Partition) bool { return p.Kind == kind && len(p.Files) > 0 })
}

// reader accumulates one side's figures while its files are read.
type reader struct {
	source  string
	sum     *Summary
	recs    *records // the records matched across sides (of the source kind)
	tagged  *records // the tagged output, for tag counts
	reviews Reviews
	batches map[string][2]int // see addBatchReview
	cache   map[string]*facts // by file digest, shared by both sides
}

// summarize reads one side: its records (from the source kind), tags,
// export size, reviews and usage. A file that cannot be read (a damaged
// store object, a file that does not parse) is left out and named in bad,
// so one damaged byte costs the comparison that file, not the command.
func summarize(s Side, source string, sum *Summary, cache map[string]*facts) (recs *records, bad []string) {
	*sum = Summary{Name: s.Name, Verdicts: map[string]int{}, ByNode: map[string]Usage{}}
	r := &reader{source: source, sum: sum, recs: newRecords(), tagged: newRecords(), batches: map[string][2]int{}, cache: cache}
	for _, p := range s.Partitions {
		node, _, _ := strings.Cut(p.ID, "@")
		u := usageOf(p.Usage)
		sum.Usage.add(u)
		nu := sum.ByNode[node]
		nu.add(u)
		sum.ByNode[node] = nu
		for _, f := range p.Files {
			if err := r.file(p.Kind, f); err != nil {
				bad = append(bad, fmt.Sprintf("%s: %v", p.ID, err)) // err names the file
			}
		}
	}
	sum.Records = len(r.recs.order)
	for _, k := range r.recs.order {
		sum.Verdicts[r.recs.byKey[k].verdict]++
	}
	if hasKind(s, "tag") {
		sum.Tags = r.tagged.tags
	}
	sum.Reviews = reviewsOf(r.reviews, r.batches)
	return r.recs, bad
}

// file reads one output file of a partition of the given kind.
func (r *reader) file(kind string, f File) error {
	switch {
	case kind == "intervene" && strings.HasSuffix(f.Path, "_reviews.jsonl"):
		return r.reviews.readReviewLog(f)
	case kind == "export":
		return readExport(f, r.sum)
	case (kind == "intervene" || kind == "tag") && isBatchFile(f.Path):
		fs, err := r.facts(f)
		if err != nil || fs == nil {
			return err
		}
		if kind == r.source {
			r.recs.add(fs)
		}
		if kind == "tag" {
			r.tagged.add(fs)
		} else {
			maps.Copy(r.batches, fs.batches)
		}
	}
	return nil
}

// facts reads a batch file's facts, once per content digest.
func (r *reader) facts(f File) (*facts, error) {
	if fs, ok := r.cache[f.Digest]; ok && f.Digest != "" {
		return fs, nil
	}
	fs, err := readFacts(f)
	if err == nil && f.Digest != "" {
		r.cache[f.Digest] = fs
	}
	return fs, err
}

// isBatchFile reports whether a path looks like a stage batch file (not a
// report: those live in reports/).
func isBatchFile(p string) bool {
	return path.Ext(p) == ".json" && !strings.HasPrefix(p, "reports/")
}

// reviewsOf prefers the review logs; without them, the review fields of
// the stage-3 records; nil when neither recorded a review.
func reviewsOf(logged Reviews, batches map[string][2]int) *Reviews {
	if logged.Made > 0 {
		logged.Source = "stage_3_reviews logs"
		return &logged
	}
	r := Reviews{Source: "stage-3 record fields"}
	for _, b := range batches {
		r.Made += b[0]
		r.Accepted += b[1]
	}
	if r.Made == 0 {
		return nil
	}
	return &r
}

// readExport reads the export summary's sample counts.
func readExport(f File, sum *Summary) error {
	if path.Base(f.Path) != "summary.json" {
		return nil
	}
	b, err := readAll(f)
	if err != nil {
		return err
	}
	var s struct {
		Samples *ExportSize `json:"samples"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("read %s: %w", f.Path, err)
	}
	if s.Samples != nil {
		if sum.Export == nil {
			sum.Export = &ExportSize{}
		}
		sum.Export.Train += s.Samples.Train
		sum.Export.Validation += s.Samples.Validation
	}
	return nil
}

func (u *Usage) add(o Usage) {
	u.Requests += o.Requests
	u.Cached += o.Cached
	u.InputTokens += o.InputTokens
	u.OutputTokens += o.OutputTokens
	u.CostUSD += o.CostUSD
	u.ServedCostUSD += o.ServedCostUSD
}

// usageOf reads the lock's usage map, whatever numeric types it decoded to.
func usageOf(m map[string]any) Usage {
	n := func(k string) float64 {
		switch v := m[k].(type) {
		case int:
			return float64(v)
		case int64:
			return float64(v)
		case uint64:
			return float64(v)
		case float64:
			return v
		case json.Number:
			f, _ := v.Float64()
			return f
		}
		return 0
	}
	return Usage{Requests: int(n("requests")), Cached: int(n("cached")), InputTokens: int(n("input_tokens")),
		OutputTokens: int(n("output_tokens")), CostUSD: n("cost_usd"), ServedCostUSD: n("served_cost_usd")}
}

// Deltas compares two count maps, sorted by the size of the change
// (largest first), then by name.
func Deltas(a, b map[string]int) []CountDelta {
	names := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			names = append(names, k)
		}
	}
	out := make([]CountDelta, 0, len(names))
	for _, k := range names {
		out = append(out, CountDelta{Name: k, A: a[k], B: b[k], Delta: b[k] - a[k]})
	}
	slices.SortFunc(out, func(x, y CountDelta) int {
		return cmp.Or(cmp.Compare(abs(y.Delta), abs(x.Delta)), strings.Compare(x.Name, y.Name))
	})
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
