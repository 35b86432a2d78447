package evalreport

import (
	"fmt"
	"strings"

	"github.com/sptflow/sptflow/pyjson/scan"
)

// Condition names of the evaluation (spec §13.1).
const (
	TrainedActual    = "trained_actual"
	OriginalActual   = "original_actual"
	OriginalIntended = "original_intended"
)

// conditionOrder is the order in which conditions are shown.
var conditionOrder = []string{TrainedActual, OriginalActual, OriginalIntended}

// expectedFlags are the flags a correct review gives per condition, as the
// original hard-codes them. Entries of other conditions are scored against
// their own expected_flag field.
var expectedFlags = map[string]string{
	TrainedActual:    "FAIL",
	OriginalActual:   "PASS",
	OriginalIntended: "FAIL",
}

// Stat counts the entries of one condition.
type Stat struct {
	Total   int // result entries
	Parsed  int // entries whose flag was parsed
	Correct int // parsed entries whose flag equals the expected flag
	Pass    int // parsed entries flagged PASS
	Fail    int // parsed entries flagged FAIL
}

// Add accumulates o into s.
func (s *Stat) Add(o Stat) {
	s.Total += o.Total
	s.Parsed += o.Parsed
	s.Correct += o.Correct
	s.Pass += o.Pass
	s.Fail += o.Fail
}

// Accuracy is correct / parsed, 0 when nothing was parsed (as the original).
func (s Stat) Accuracy() float64 {
	if s.Parsed == 0 {
		return 0
	}
	return float64(s.Correct) / float64(s.Parsed)
}

// Run is one evaluation result file reduced to what the analysis needs.
type Run struct {
	File         string // base name
	Checkpoint   string // checkpoint_name, else baseline_type, else "unknown"
	Step         string
	Elicitation  string // "unknown" when absent
	LoraPatch    bool
	IsBaseline   bool
	BaselineType string // "clean", "poisoned", ... for baselines
	OnPolicy     bool
	Condition    string // metadata condition
	Intervention string // metadata intervention_name
	Timestamp    string
	Complete     bool
	Processed    int // metadata samples_processed, or the entry count
	Planned      int // metadata total_samples
	Stats        map[string]Stat
	// FlagMismatch counts entries whose own expected_flag differs from the
	// flag the condition expects.
	FlagMismatch int
}

// Class is the run's class: "baseline", "on-policy" or "off-policy".
func (r *Run) Class() string {
	switch {
	case r.IsBaseline:
		return "baseline"
	case r.OnPolicy:
		return "on-policy"
	}
	return "off-policy"
}

// ParseRun reads one result file's bytes. Only the metadata and the
// condition, expected_flag, parsed_flag and flag_parsed_successfully of
// each entry are kept, but the grammar of all of the document is checked
// (scan.NewStrict): a malformed number, literal or container anywhere, or
// text after the top-level value, is an error with its offset, as the
// original's json.load fails on it. The contents of the strings it skips
// are not checked. data is not retained.
func ParseRun(name string, data []byte) (*Run, error) {
	if r, ok := parseFast(name, data); ok {
		return r, nil
	}
	r, err := parseScan(name, data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	return r, nil
}

// parseScan is ParseRun by the scanner: the reference for the fast path
// (fastparse.go), and what decides every file that path gives up on. Its
// errors do not name the file: the callers do.
func parseScan(name string, data []byte) (*Run, error) {
	r := &Run{File: name, Stats: map[string]Stat{}}
	s := scan.NewStrict(data)
	var md metadata
	entries := 0
	err := s.Object(func(key []byte) error {
		switch string(key) {
		case "metadata":
			raw, err := s.Skip()
			if err != nil {
				return err
			}
			if md, err = decodeMetadata(raw); err != nil {
				return fmt.Errorf("metadata: %w", err)
			}
			return nil
		case "results":
			return s.Array(func() error {
				entries++
				return r.addEntry(s)
			})
		}
		_, err := s.Skip()
		return err
	})
	if err == nil {
		err = s.End()
	}
	if err != nil {
		return nil, err
	}
	r.applyMetadata(&md, entries)
	return r, nil
}

func (r *Run) applyMetadata(md *metadata, entries int) {
	r.Checkpoint = md.CheckpointName
	if r.Checkpoint == "" && md.BaselineType != nil {
		r.Checkpoint = *md.BaselineType
	}
	if r.Checkpoint == "" {
		r.Checkpoint = "unknown"
	}
	r.IsBaseline = strings.HasPrefix(md.CheckpointName, "baseline_") || (md.BaselineType != nil)
	if r.IsBaseline {
		r.BaselineType = baselineType(md)
	}
	r.OnPolicy = strings.Contains(md.CheckpointName, "on-policy") || strings.Contains(md.CheckpointName, "on_policy")
	r.Step = md.Step
	r.Elicitation = md.ElicitationType
	if r.Elicitation == "" {
		r.Elicitation = "unknown"
	}
	r.LoraPatch = md.LoraPatch != nil && *md.LoraPatch
	r.Condition, r.Intervention, r.Timestamp = md.Condition, md.InterventionName, md.Timestamp
	r.Complete = md.ProcessingComplete == nil || *md.ProcessingComplete
	r.Planned, r.Processed = md.TotalSamples, entries
	if md.SamplesProcessed != nil {
		r.Processed = *md.SamplesProcessed
	}
}

// baselineType is baseline_type, else "clean"/"poisoned" found in the
// checkpoint name, else "unknown".
func baselineType(md *metadata) string {
	if md.BaselineType != nil && *md.BaselineType != "" {
		return *md.BaselineType
	}
	for _, t := range []string{"clean", "poisoned"} {
		if strings.Contains(md.CheckpointName, t) {
			return t
		}
	}
	return "unknown"
}

// addEntry consumes one result entry and counts it.
func (r *Run) addEntry(s *scan.Scanner) error {
	var cond, expected, flag string
	var parsed bool
	err := s.Object(func(key []byte) error {
		var err error
		switch string(key) {
		case "condition":
			cond, _, err = s.NullableString()
		case "expected_flag":
			expected, _, err = s.NullableString()
		case "parsed_flag":
			flag, _, err = s.NullableString()
		case "flag_parsed_successfully":
			parsed, err = s.Bool()
		default:
			_, err = s.Skip()
		}
		return err
	})
	if err != nil {
		return err
	}
	want, known := expectedFlags[cond]
	if !known {
		want = expected
	} else if expected != "" && expected != want {
		r.FlagMismatch++
	}
	st := r.Stats[cond]
	st.Total++
	if parsed {
		st.Parsed++
		if flag == want {
			st.Correct++
		}
		switch flag {
		case "PASS":
			st.Pass++
		case "FAIL":
			st.Fail++
		}
	}
	r.Stats[cond] = st
	return nil
}
