package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/pipeline"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
)

// openStore opens the store of the pipeline named by pos (if any) or of the
// project containing the working directory, and returns the pipeline name
// to filter by ("" for all).
func (e *env) openStore(pos []string) (*store.Store, string, string, error) {
	if len(pos) > 1 {
		return nil, "", "", fmt.Errorf("%w: want at most one pipeline file", errUsage)
	}
	if len(pos) == 1 {
		p, err := e.loadPipeline(pos[0], engine.RunOptions{})
		if err != nil {
			return nil, "", "", err
		}
		st, err := store.Open(storeDir(p.ProjectRoot))
		return st, p.Name, p.ProjectRoot, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, "", "", err
	}
	root := pipeline.FindProjectRoot(wd)
	st, err := store.Open(storeDir(root))
	return st, "", root, err
}

func cmdLog(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("log")
	var n int
	intFlag(fs, &n, "n", 20, 1, "show the last `N` runs")
	asJSON := fs.Bool("json", false, "print the runs as a JSON array")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	st, name, _, err := e.openStore(pos)
	if err != nil {
		return err
	}
	dirs, err := st.RunDirs()
	if err != nil {
		return err
	}
	records := &lazyRecords{st: st}
	defer records.close()
	var recs []runEntry
	for _, d := range dirs {
		// A run's damaged record costs that record, not the history: what
		// cannot be read is said on stderr, and the rest is listed.
		evs, err := engine.ReadJournal(d)
		if err != nil {
			fmt.Fprintf(e.stderr, "sptflow log: run %s: %v; listed from what else it recorded\n", filepath.Base(d), err)
		}
		r := engine.Summarize(filepath.Base(d), evs)
		if name != "" && r.Pipeline != name {
			continue
		}
		ent := runEntry{RunRecord: r, nodes: nodeUsage(evs), noJournal: !hasRunStart(evs)}
		if sp, ok, err := readSpend(d, records.storedBy); err != nil {
			fmt.Fprintf(e.stderr, "sptflow log: run %s: %v; its LLM figures are left out\n", filepath.Base(d), err)
		} else if ok {
			ent.spend, ent.nodes = &sp, sp.nodeTotals()
		}
		if ent.spend == nil && !startedAny(evs) {
			continue // ended (refused, or killed) before it started: it did nothing
		}
		if ent.Start.IsZero() {
			ent.Start = store.RunCreated(d)
		}
		recs = append(recs, ent)
	}
	if len(recs) > n {
		recs = recs[len(recs)-n:]
	}
	if *asJSON {
		return printLogJSON(e.stdout, recs)
	}
	if len(recs) == 0 {
		fmt.Fprintln(e.stdout, "no runs recorded")
	}
	for _, r := range recs {
		printRecord(e, r)
		for _, u := range r.nodes {
			fmt.Fprintf(e.stdout, "    node %s: %s\n", u.node, llmUsageText(u.Usage))
			if b := nodeBatchText(u.spent); b != "" {
				fmt.Fprintf(e.stdout, "      %s\n", b)
			}
		}
		printEstimateVsActual(e.stdout, r)
	}
	return nil
}

// printLogJSON prints the runs as one indented JSON array.
func printLogJSON(w io.Writer, recs []runEntry) error {
	out := make([]logJSON, 0, len(recs))
	for _, r := range recs {
		out = append(out, jsonRun(r))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// runEntry is one run of `sptflow log` with its per-node LLM usage: from
// its spend ledger when it has one (every call, whatever became of the
// partition or the run), else from the journal's executed partitions.
type runEntry struct {
	engine.RunRecord
	nodes     []nodeTotal
	spend     *runSpend // nil without a ledger
	noJournal bool      // its journal holds no start: damaged, emptied or unreadable
}

// nodeTotal is the LLM usage of one node in a run: of all its partitions
// from the run's spend ledger, else of its executed ones from the journal.
type nodeTotal struct {
	node string
	engine.Usage
	spent *llm.Spent // from the spend ledger (nil from the journal)
}

// nodeUsage sums the usage of the executed partitions of a run by node,
// sorted by node name; nodes that made no LLM calls are left out.
func nodeUsage(evs []engine.Event) []nodeTotal {
	var out []nodeTotal
	idx := map[string]int{}
	for _, ev := range evs {
		if ev.Type != engine.EventSucceeded || ev.Usage == nil || ev.Usage.Requests+ev.Usage.Cached+ev.Usage.Failed == 0 {
			continue
		}
		i, ok := idx[ev.Node]
		if !ok {
			i = len(out)
			idx[ev.Node] = i
			out = append(out, nodeTotal{node: ev.Node})
		}
		out[i].Usage.Add(*ev.Usage)
	}
	slices.SortFunc(out, func(a, b nodeTotal) int { return strings.Compare(a.node, b.node) })
	return out
}

// llmUsageText renders LLM usage: calls new and cached, failed rows, tokens,
// cost and the models that served the calls.
func llmUsageText(u engine.Usage) string {
	s := fmt.Sprintf("calls %d new, %d cached", u.Requests, u.Cached)
	if u.Failed > 0 {
		s += fmt.Sprintf(", %d failed", u.Failed)
	}
	s += fmt.Sprintf("; tokens %d in, %d out", u.InputTokens, u.OutputTokens)
	if u.CacheRead+u.CacheWrite > 0 {
		s += fmt.Sprintf(" (cache %d read, %d written)", u.CacheRead, u.CacheWrite)
	}
	s += fmt.Sprintf("; $%.4f", u.CostUSD)
	if len(u.ServedModels) > 0 {
		s += "; served by " + strings.Join(slices.Sorted(slices.Values(u.ServedModels)), ", ")
	}
	return s
}

func printRecord(e *env, r runEntry) {
	state := "finished"
	switch {
	case r.End.IsZero():
		state = "did not finish"
	case r.Counts.Interrupted > 0:
		state = "interrupted"
	case r.Counts.Waiting > 0:
		state = "not finished"
	}
	fmt.Fprintf(e.stdout, "%s  %s  %s  %s: %s",
		r.ID, r.Start.Local().Format("2006-01-02 15:04:05"), r.Pipeline, state, countsText(r.Counts))
	u := r.Usage
	if r.spend != nil {
		u = spentUsage(r.spend.total, r.spend.allServed())
	}
	if u.Requests+u.Cached+u.Failed > 0 {
		fmt.Fprintf(e.stdout, "; %s", llmUsageText(u))
	}
	fmt.Fprintf(e.stdout, "\n    sptflow %s\n", strings.Join(r.Args, " "))
	if r.noJournal {
		fmt.Fprintln(e.stdout, "    its journal is damaged or missing: the time is the run directory's, the partitions are unknown, the LLM figures come from its spend ledger")
	}
	if r.spend != nil {
		printSpendDetail(e.stdout, "    ", r.spend.total)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(e.stdout, "    failed %s: %s\n", f.Partition, f.Error)
	}
	for _, f := range r.Interrupted {
		fmt.Fprintf(e.stdout, "    interrupted %s: %s\n", f.Partition, f.Error)
	}
	for _, f := range r.Waiting {
		fmt.Fprintf(e.stdout, "    waiting on batches %s: %s\n", f.Partition, f.Error)
	}
	for _, f := range r.SealedWithFailures {
		fmt.Fprintf(e.stdout, "    sealed %s with %s\n", f.Partition, engine.FailedRowsText(f.FailedRows))
	}
}

// cmdGC removes store entries no lock file pins and, when asked, request
// records: failed ones (--failed-requests) and those written more than D
// ago (--requests-older-than D, successes included: they can be bought
// again). --grace protects young entries but not records.
func cmdGC(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("gc")
	dry := fs.Bool("dry-run", false, "count what would be removed")
	grace := fs.Duration("grace", 0, "keep entries younger than `D` (default 1h; not applied to request records)")
	failed := fs.Bool("failed-requests", false, "remove recorded request failures (they only serve diagnostics)")
	older := fs.Duration("requests-older-than", 0, "remove request records, successes included, not written in the last `D`")
	dropDamaged := fs.Bool("drop-damaged", false, "discard damaged request-log bytes instead of keeping a copy in the store's records/requests/damaged/")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	opts := store.GCOptions{Grace: *grace, DryRun: *dry, Namespace: requestsNamespace, DropDamaged: *dropDamaged,
		RecordLinks: llm.RecordLinks} // request objects live while records name them
	if err := requestPruning(fs, &opts, *failed, *older); err != nil {
		return err
	}
	st, _, root, err := e.openStore(pos)
	if err != nil {
		return err
	}
	keep, err := pinnedKeys(root)
	if err != nil {
		return err
	}
	stats, err := st.GC(keep, opts)
	if err != nil {
		return err
	}
	// Killed runs' temp files in the project (data directories, the root).
	tmp := store.RemoveLeftovers(store.TempScan{Dir: root, Recursive: true, Skip: []string{st.Dir()}, DryRun: opts.DryRun})
	stats.Temps, stats.Bytes = stats.Temps+tmp.Files, stats.Bytes+tmp.Bytes
	printGC(e, stats, opts, len(keep))
	printDamaged(e, st, stats, opts)
	printUnreadable(e, st, stats)
	return nil
}

// printUnreadable prints the store's warnings on stderr (they name the
// request-log segments gc could not read), and how many it left alone.
func printUnreadable(e *env, st *store.Store, stats store.GCStats) {
	for _, w := range st.Warnings() {
		fmt.Fprintf(e.stderr, "sptflow: warning: %s\n", w)
	}
	if stats.Unreadable > 0 {
		fmt.Fprintf(e.stdout, "unreadable request-log segments left alone: %d (see the warnings: make each readable, or move it out of %s)\n",
			stats.Unreadable, filepath.Join(st.Dir(), "records", requestsNamespace, "log"))
	}
}

// printDamaged reports the request-log bytes gc found damaged, apart from
// what it reclaimed, and where it kept them.
func printDamaged(e *env, st *store.Store, stats store.GCStats, opts store.GCOptions) {
	switch {
	case stats.Damaged == 0:
	case opts.DryRun:
		fmt.Fprintf(e.stdout, "found %d damaged bytes in the request log (gc would move them out of the log, to %s)\n",
			stats.Damaged, st.DamagedRecordsDir(requestsNamespace))
	case opts.DropDamaged:
		fmt.Fprintf(e.stdout, "dropped %d damaged bytes of the request log (--drop-damaged)\n", stats.Damaged)
	default:
		fmt.Fprintf(e.stdout, "moved %d damaged bytes of the request log to %s\n", stats.Damaged, st.DamagedRecordsDir(requestsNamespace))
	}
}

// requestPruning sets the request-record options of gc from its flags.
func requestPruning(fs *flag.FlagSet, opts *store.GCOptions, failed bool, older time.Duration) error {
	fs.Visit(func(f *flag.Flag) {
		opts.PruneRecords = opts.PruneRecords || f.Name == "requests-older-than"
	})
	if older < 0 {
		return fmt.Errorf("%w: --requests-older-than %v: want a duration of 0 or more", errUsage, older)
	}
	opts.RecordsOlderThan = older
	if failed {
		opts.PruneRecordIf = llm.IsFailureRecord
	}
	return nil
}

// pinnedKeys returns the node keys the project's sptflow.lock pins.
func pinnedKeys(root string) (map[[32]byte]bool, error) {
	lf, err := store.ReadLockFile(filepath.Join(root, "sptflow.lock"), lockyaml.Codec{})
	if dmg := (*store.LockDamage)(nil); errors.As(err, &dmg) {
		return nil, fmt.Errorf("%w; gc keeps what the lock file pins, so it does not collect with a damaged one: `sptflow status <pipeline>` rebuilds it", err)
	}
	if err != nil {
		return nil, err
	}
	keep := map[[32]byte]bool{}
	for _, parts := range lf.Pipelines {
		for _, ent := range parts {
			if k, err := engine.ParseNodeKey(ent.Key); err == nil {
				keep[k] = true
			}
		}
	}
	return keep, nil
}

// printGC prints what gc removed (or would remove, in a dry run).
func printGC(e *env, stats store.GCStats, opts store.GCOptions, pinned int) {
	verb := "removed"
	if opts.DryRun {
		verb = "would remove"
	}
	recs := ""
	if what := prunedRequests(opts); what != "" {
		recs = fmt.Sprintf(", %d request records (%s)", stats.Records, what)
	}
	fmt.Fprintf(e.stdout, "%s %d manifests, %d key infos, %d objects, %d temp files%s (%d bytes); kept %d pinned partitions\n",
		verb, stats.Manifests, stats.KeyInfos, stats.Objects, stats.Temps, recs, stats.Bytes, pinned)
}

// prunedRequests describes which request records gc prunes ("" for none).
func prunedRequests(opts store.GCOptions) string {
	var what []string
	if opts.PruneRecordIf != nil {
		what = append(what, "failed")
	}
	if opts.PruneRecords {
		what = append(what, "older than "+opts.RecordsOlderThan.String())
	}
	return strings.Join(what, " or ")
}

// startedAny reports whether a journal holds more than the estimate a run
// records before it starts.
func startedAny(evs []engine.Event) bool {
	for _, ev := range evs {
		if ev.Type != engine.EventEstimate {
			return true
		}
	}
	return false
}

// lazyRecords opens the request store only when a run's ledger has replies
// without a stored line to check.
type lazyRecords struct {
	st  *store.Store
	log *store.RecordLog
}

func (r *lazyRecords) storedBy(run string) func(llm.RequestKey) bool {
	return func(key llm.RequestKey) bool {
		if r.log == nil {
			r.log = r.st.RecordLog(requestsNamespace)
		}
		return llm.StoredBy(r.log, run)(key)
	}
}

func (r *lazyRecords) close() {
	if r.log != nil {
		r.log.Close()
	}
}

// hasRunStart reports whether a journal holds its run's start (a damaged
// or emptied journal may not).
func hasRunStart(evs []engine.Event) bool {
	for _, ev := range evs {
		if ev.Type == engine.EventRunStart {
			return true
		}
	}
	return false
}
