package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/connect"
	"github.com/sptflow/sptflow/regfile"
	"github.com/sptflow/sptflow/steps/export"
)

// runOutcome is what the end of a run names for its user, beyond the
// partition counts and the LLM totals: where the outputs are, the report
// and the training set, and whether any reply came from a simulated model.
type runOutcome struct {
	dataDir string   // the data directory, as the user can type it
	reports []string // analysis reports (report.html) of the run's partitions
	train   []trainingSet
	calls   ledgerCalls
}

// trainingSet is one export partition's training set, from its summary.json.
type trainingSet struct {
	dir               string
	train, validation int
}

// ledgerCalls counts a run's LLM replies from its spend ledger.
type ledgerCalls struct {
	replies   int64 // replies stored, or served from the store or a shared request
	simulated int64 // of which a simulated model served
	stored    int64 // served from the store, bought by an earlier run
	storedUSD float64
	// shared calls repeated a request of this run: they shared it while
	// in flight, or found its reply in the store once it landed.
	shared int64
}

// simulatedModel reports whether a served model name is a simulated one:
// the sim provider serves "sim/<model>", `sptflow fake` "fake/<model>".
func simulatedModel(served string) bool {
	return strings.HasPrefix(served, "sim/") || strings.HasPrefix(served, connect.FakeModelPrefix)
}

// countCalls reads the run's spend ledger in runDir.
func countCalls(runDir string) ledgerCalls {
	var c ledgerCalls
	if runDir == "" {
		return c // a no-op run has no record, hence no calls
	}
	lines, err := llm.ReadLedger(filepath.Join(runDir, spendFile))
	if err != nil {
		return c
	}
	sent := map[string]bool{} // keys of the replies this run bought
	for _, l := range lines {
		switch {
		case l.Event == llm.SpendReply && l.OK:
			sent[l.Key] = true
		case l.Event == llm.SpendServed && (l.Shared || sent[l.Key]):
			c.shared++
		case l.Event == llm.SpendServed:
			c.stored++
			c.storedUSD += l.CostUSD
		default:
			continue
		}
		c.replies++
		if simulatedModel(l.Served) {
			c.simulated++
		}
	}
	return c
}

// collectOutcome gathers the outcome of a run over the partitions ids of
// eng, whose data directory is dataDir, from the files on disk and the
// run's ledger in runDir.
func collectOutcome(eng *engine.Engine, ids []engine.PartitionID, dataDir, runDir string) runOutcome {
	o := runOutcome{dataDir: userPath(dataDir), calls: countCalls(runDir)}
	kind := map[engine.PartitionID]string{}
	for _, s := range eng.Graph().Partitions {
		kind[s.ID] = s.Kind
	}
	for _, id := range ids {
		dir := filepath.Join(dataDir, filepath.FromSlash(eng.Plan(id).OutputDir))
		switch kind[id] {
		case "analyze":
			if f := filepath.Join(dir, "report.html"); regularFile(f) {
				o.reports = append(o.reports, userPath(f))
			}
		case "export":
			if ts, ok := readTrainingSet(dir); ok {
				o.train = append(o.train, ts)
			}
		}
	}
	return o
}

// readTrainingSet reads the sample counts of the export in dir.
func readTrainingSet(dir string) (trainingSet, bool) {
	b, err := regfile.Read(filepath.Join(dir, export.SummaryFile), regfile.MaxConfig)
	if err != nil {
		return trainingSet{}, false
	}
	var s struct {
		Samples *struct{ Train, Validation int } `json:"samples"`
	}
	if json.Unmarshal(b, &s) != nil || s.Samples == nil {
		return trainingSet{}, false
	}
	return trainingSet{dir: userPath(dir), train: s.Samples.Train, validation: s.Samples.Validation}, true
}

func regularFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// userPath is path relative to the working directory when it lies below
// it, else as given.
func userPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return rel
}

// print writes the outcome lines: outputs, report, training set and
// simulated replies.
func (o runOutcome) print(w io.Writer) {
	fmt.Fprintf(w, "outputs: %s\n", o.dataDir)
	for _, r := range o.reports {
		fmt.Fprintf(w, "report: %s\n", r)
	}
	for _, t := range o.train {
		fmt.Fprintf(w, "training set: %s (%d train, %d validation) in %s\n",
			plural(t.train+t.validation, "sample"), t.train, t.validation, t.dir)
	}
	c := o.calls
	if c.simulated > 0 {
		fmt.Fprintf(w, "simulated: %d of %d LLM replies came from simulated models (sim provider or sptflow fake), not real ones\n",
			c.simulated, c.replies)
	}
}

// servedLines are the lines of the totals about calls served without a
// request of their own, from the ledger when it counted calls: those that
// repeated a request of this run, then those served from the store
// (bought by an earlier run); without a ledger, from the runtime's totals.
func servedLines(t llm.Totals, c ledgerCalls) []string {
	if t.Cached == 0 {
		return nil
	}
	if c.replies == 0 {
		return []string{savedText(t.Cached, t.SavedUSD)}
	}
	var out []string
	if c.shared > 0 {
		out = append(out, fmt.Sprintf("%d identical requests shared: sent once in this run, the reply served each repeat (counted as cached)", c.shared))
	}
	if c.stored > 0 {
		out = append(out, savedText(c.stored, c.storedUSD))
	}
	return out
}
