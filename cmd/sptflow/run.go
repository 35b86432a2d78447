package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
)

// runFlags are the flags of `sptflow run`.
type runFlags struct {
	force, only, dryRun bool
	topic               string
	limit, resample     int
	shard               shardFlags // shard.go
}

func cmdRun(ctx context.Context, e *env, args []string) error {
	var f runFlags
	fs := e.flagSet("run")
	fs.BoolVar(&f.force, "force", false, "re-execute the targets even if cached (LLM responses stay cached)")
	fs.BoolVar(&f.only, "only", false, "run the targets alone; their inputs must already exist")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print what would run and why; run nothing")
	fs.StringVar(&f.topic, "topic", "", "only partitions whose topic is `T` (and what they need)")
	intFlag(fs, &f.limit, "limit", 0, 0, "a hash-stable subset of at most `N` items per partition (0: all)")
	intFlag(fs, &f.resample, "resample", 0, 0, "draw replica `N` of the targets' LLM samples (every LLM partition without targets; 0: the original samples) from now on, recorded in sptflow.lock; their downstream runs too")
	fs.BoolFunc("no-wait", "end the run, saying how many provider batches are in flight and their ETA, instead of waiting for them (they are harvested by a later run, never resubmitted)", func(string) error { e.noWait = true; return nil })
	fs.BoolFunc("wait", "wait for provider batches in flight (the default)", func(string) error { e.noWait = false; return nil })
	fs.Var(nonNegative{&e.maxCost}, "max-cost", "start no LLM request that would take the run's cost past `USD` (0 = no limit)")
	f.shard.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: sptflow run PIPELINE [TARGET...]: missing pipeline", errUsage)
	}
	shard, share, err := f.shard.config()
	if err != nil {
		return err
	}
	e.rateShare = share
	cfg := engine.RunConfig{Selection: engine.Selection{Targets: pos[1:], Topic: f.topic},
		Force: f.force, Only: f.only, Jobs: e.jobs, Args: append([]string{"run"}, args...), Shard: shard}
	if flagSet(fs, "resample") {
		cfg.Resample = &f.resample
	}
	ro := engine.RunOptions{Limit: f.limit}
	if f.dryRun {
		return dryRun(ctx, e, pos[0], ro, cfg)
	}
	return realRun(ctx, e, pos[0], ro, cfg)
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// realRun runs the pipeline with a journal and a run log in a new run directory.
func realRun(ctx context.Context, e *env, path string, ro engine.RunOptions, cfg engine.RunConfig) error {
	runLog := &switchWriter{}
	log, err := e.logger(runLog)
	if err != nil {
		return err
	}
	e.observe = true // the inputs this run digests are those of partitions it plans to run
	pr, ids, targets, err := e.openPlanned(path, ro, log, cfg)
	if err != nil {
		return err
	}
	defer pr.close()
	if !cfg.Force {
		targets = nil
	}
	sts, stsErr := pr.eng.StatusOf(ctx, ids) // once, for toRun, the no-op plan and the estimate
	markForced(sts, targets, ownSet(pr.eng, cfg.Shard, ids))
	willRun := toRun(sts, stsErr, ids, targets)
	if err := missingEnv(pr.eng, willRun); err != nil {
		return err
	}
	runID := newRunID()
	noOp := plannedNoOp(sts, ids, willRun, cfg)
	if noOp {
		cfg.Verified = sts // the run reuses what Status just verified (engine/noop.go)
	}
	rec, err := newRunRecord(pr.st, runID, noOp)
	if err != nil {
		return err
	}
	defer func() {
		if err := rec.Close(); err != nil {
			log.Warn().Err(err).Msg("run record")
		}
	}()
	runLog.set(rec)
	pr.rt.SetRun(runID, rec)
	if e.rateShare > 0 {
		if err := pr.rt.SetRateShare(e.rateShare); err != nil {
			return err
		}
	}
	cfg.Stop = interruptsOf(ctx).gracefulStop()
	pr.rt.SetInterrupt(cfg.Stop, ctx.Done())
	log.Info().Str(engine.FieldPipeline, pr.p.Name).Str(engine.FieldRun, runID).Int("partitions", len(ids)).Msg("run started")
	logShare(log, pr, cfg.Shard, e.rateShare, ids)
	rec.arm()
	journalEstimate(ctx, e, pr.eng, sts, stsErr, ownPartitions(pr.eng, cfg.Shard, ids), rec)
	prog := newProgress(e, log, e.logOut, runInfo{partitions: len(ids), totals: pr.rt.Totals, activity: pr.rt.Activity,
		providers: func(id engine.PartitionID) []string { return pr.eng.Plan(id).Providers }, batches: pr.rt.BatchesInFlight})
	rows := &rowsSeen{last: map[engine.PartitionID]engine.Rows{}}
	cfg.Monitor = engine.Monitors{rec, prog, rows}
	unjournal := journalStop(cfg.Stop, rec, log)
	sum, runErr := pr.eng.Run(ctx, cfg)
	unjournal()
	prog.Stop()
	if sum == nil {
		// Refused before it started: it did nothing, so it leaves no record.
		if err := rec.Discard(); err != nil {
			log.Warn().Err(err).Msg("run record")
		}
		return runErr
	}
	out := collectOutcome(pr.eng, ids, pr.p.DataDir, rec.Dir())
	printSummary(e.stdout, sum)
	printTotals(e.stdout, pr.rt.Totals(), e.maxCost, out.calls)
	printUnreachable(e.stdout, pr.rt.Unreachable(), sum, rows)
	out.print(e.stdout)
	if runErr == nil {
		runErr = sum.Err()
	}
	if errors.Is(runErr, engine.ErrInterrupted) {
		return fmt.Errorf("%w — run the same command to continue", runErr)
	}
	if w := batchesWaiting(sum); w != nil {
		line := fmt.Sprintf("%d batches in flight (%d requests pending), ETA %s: run the same command to harvest them "+
			"(no batch is sent again; `sptflow status` shows them)", w.Batches, w.Pending, w.ETA.UTC().Format(time.RFC3339))
		if errors.Is(runErr, engine.ErrRunFailed) {
			return fmt.Errorf("%w; %s", runErr, line)
		}
		return fmt.Errorf("%w: %s", errQuietFailure, line)
	}
	return runErr
}

// errQuietFailure ends a run whose exit status is a failure's but whose
// partitions did not fail.
var errQuietFailure = errors.New("run not finished")

// batchesWaiting sums the batches in flight of the partitions that ended
// Waiting on them (run --no-wait); nil when none did. Their dependents did
// not start.
func batchesWaiting(sum *engine.Summary) *llm.InFlightError {
	w := &llm.InFlightError{}
	for _, r := range sum.Results {
		if r.Outcome != engine.Waiting {
			continue
		}
		if f, ok := errors.AsType[*llm.InFlightError](r.Err); ok {
			w.Batches += f.Batches
			w.Pending += f.Pending
			if f.ETA.After(w.ETA) {
				w.ETA = f.ETA
			}
		}
	}
	if w.Batches == 0 {
		return nil
	}
	return w
}

// printUnreachable says which models the run stopped because their server
// could not be reached, how many rows of the partitions that ended on it
// were not done, and that they are left for the next run.
func printUnreachable(w io.Writer, us []*llm.UnreachableError, sum *engine.Summary, rows *rowsSeen) {
	for _, u := range us {
		pending := 0
		for _, r := range sum.Results {
			if ue, ok := errors.AsType[*llm.UnreachableError](r.Err); ok && ue.Model == u.Model {
				pending += rows.pending(r.ID)
			}
		}
		fmt.Fprintf(w, "model %s: server unreachable at %s: %s (%d connection failures in a row over %s); %d rows not done stay pending for the next run\n",
			u.Model, u.Target, u.Cause, u.Failures, u.Span.Round(100*time.Millisecond), pending)
	}
}

// rowsSeen is a Monitor that keeps each partition's last progress.
type rowsSeen struct {
	mu   sync.Mutex
	last map[engine.PartitionID]engine.Rows
}

func (r *rowsSeen) Event(engine.Event) {}

func (r *rowsSeen) Progress(id engine.PartitionID, rows engine.Rows) {
	r.mu.Lock()
	r.last[id] = rows
	r.mu.Unlock()
}

// pending is how many of a partition's rows were not done.
func (r *rowsSeen) pending(id engine.PartitionID) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	rows := r.last[id]
	return max(0, rows.Total-rows.Done)
}

// journalEstimate prices what the run would execute, records the estimate
// per node in the journal (sptflow log compares it with what was spent)
// and warns when its high end is above --max-cost.
func journalEstimate(ctx context.Context, e *env, eng *engine.Engine, sts []engine.PartitionStatus, err error, ids []engine.PartitionID, j engine.Monitor) {
	if err != nil {
		return
	}
	in := map[engine.PartitionID]bool{}
	for _, id := range ids {
		in[id] = true
	}
	re := estimateRun(ctx, eng, sts, func(id engine.PartitionID) bool { return in[id] })
	if re.total.Partitions == 0 {
		return
	}
	j.Event(engine.Event{Type: engine.EventEstimate, Estimates: append(re.nodes, re.total)})
	x := re.total.Estimate
	if e.maxCost > 0 && x.CostUSD.High > e.maxCost {
		fmt.Fprintf(e.stderr, "estimate: %s, more than --max-cost $%g at the high end: the run starts no request past the limit; a later run continues\n",
			dollars(x.CostUSD), e.maxCost)
	}
}

// markForced marks the statuses of forced targets (run --force; targets
// is nil without it) that this shard owns: they will run, and are priced.
func markForced(sts []engine.PartitionStatus, targets, own map[engine.PartitionID]bool) {
	for i := range sts {
		if targets[sts[i].ID] && own[sts[i].ID] {
			sts[i].Forced = true
		}
	}
}

// toRun keeps the partitions of ids that would execute by their statuses
// sts (all of ids when err says they could not be computed): those not up
// to date, and the forced ones.
func toRun(sts []engine.PartitionStatus, err error, ids []engine.PartitionID, forced map[engine.PartitionID]bool) []engine.PartitionID {
	if err != nil {
		return ids
	}
	up := map[engine.PartitionID]bool{}
	for _, st := range sts {
		up[st.ID] = !st.WillRun()
	}
	var out []engine.PartitionID
	for _, id := range ids {
		if !up[id] || forced[id] {
			out = append(out, id)
		}
	}
	return out
}

func printSummary(w io.Writer, s *engine.Summary) {
	if s.Executed == 0 && s.Failed == 0 && s.Skipped == 0 && s.Interrupted == 0 && s.Waiting == 0 {
		fmt.Fprintf(w, "nothing to do: all %d partitions up to date\n", s.Cached)
		return
	}
	fmt.Fprintln(w, countsText(engine.Counts{Executed: s.Executed, Cached: s.Cached, Failed: s.Failed, Skipped: s.Skipped,
		Interrupted: s.Interrupted, Waiting: s.Waiting, NotStarted: s.NotStarted}))
	for _, r := range s.Results {
		var skip *engine.SkippedError
		switch {
		case errors.As(r.Err, &skip), r.Outcome == engine.NotStarted:
			fmt.Fprintf(w, "  %s: %v\n", r.ID, r.Err)
		case r.Outcome == engine.Failed:
			fmt.Fprintf(w, "  %s: failed: %v\n", r.ID, r.Err)
		case r.Outcome == engine.Interrupted:
			fmt.Fprintf(w, "  %s: interrupted: %v\n", r.ID, r.Err)
		case r.Outcome == engine.Waiting:
			fmt.Fprintf(w, "  %s: waiting on batches: %v\n", r.ID, r.Err)
		case r.FailedRows > 0:
			fmt.Fprintf(w, "  %s: sealed with %s\n", r.ID, engine.FailedRowsText(r.FailedRows))
		}
	}
}

// countsText renders a run's partition counts, for its summary and `log`.
// A run with partitions waiting on provider batches says so before its
// failures ("executed 3, cached 1, waiting on batches 2, not started 4,
// failed 0"); skipped partitions are then named only when there are some.
func countsText(c engine.Counts) string {
	var s string
	if c.Waiting+c.NotStarted > 0 {
		s = fmt.Sprintf("executed %d, cached %d, waiting on batches %d, not started %d, failed %d",
			c.Executed, c.Cached, c.Waiting, c.NotStarted, c.Failed)
		if c.Skipped > 0 {
			s += fmt.Sprintf(", skipped %d", c.Skipped)
		}
	} else {
		s = fmt.Sprintf("executed %d, cached %d, failed %d, skipped %d", c.Executed, c.Cached, c.Failed, c.Skipped)
	}
	if c.Interrupted > 0 {
		s += fmt.Sprintf(", interrupted %d", c.Interrupted)
	}
	return s
}

// printTotals prints the run's LLM usage when it made or looked up calls:
// attempts are the HTTP requests sent (retries included); tokens and cost
// cover every response received, with the part paid for responses that
// were not stored (max-tokens stops, invalid tool calls) said apart; calls
// served from the request store are counted with what they originally
// cost. A stop at --max-cost is said plainly: the run can be continued with
// a higher budget, and nothing already paid for is asked again.
func printTotals(w io.Writer, t llm.Totals, maxCost float64, calls ledgerCalls) {
	if t.Requests+t.Cached+t.Failed+t.Attempts == 0 {
		return
	}
	fmt.Fprintf(w, "llm calls: %d new, %d cached, %d failed (%d attempts, %d rate-limited); tokens %d in, %d out",
		t.Requests, t.Cached, t.Failed, t.Attempts, t.RateLimited, t.Usage.InputTokens, t.Usage.OutputTokens)
	if u := t.Usage; u.CacheReadTokens+u.CacheWriteTokens > 0 {
		fmt.Fprintf(w, " (cache %d read, %d written)", u.CacheReadTokens, u.CacheWriteTokens)
	}
	fmt.Fprintf(w, "; $%.4f", t.CostUSD)
	if maxCost > 0 {
		fmt.Fprintf(w, " of --max-cost $%.2f", maxCost)
	}
	if u := t.FailedUsage; u != (llm.Usage{}) || t.FailedCostUSD > 0 {
		fmt.Fprintf(w, "; of which responses not stored: tokens %d in, %d out, $%.4f", u.InputTokens, u.OutputTokens, t.FailedCostUSD)
	}
	fmt.Fprintln(w)
	for _, line := range servedLines(t, calls) {
		fmt.Fprintf(w, "llm %s\n", line)
	}
}

// openPlanned opens the project and plans cfg: the partitions the run
// considers and the targets it forces. The caller closes the project.
func (e *env) openPlanned(path string, ro engine.RunOptions, log zerolog.Logger, cfg engine.RunConfig) (*project, []engine.PartitionID, map[engine.PartitionID]bool, error) {
	pr, err := e.open(path, ro, log)
	if err != nil {
		return nil, nil, nil, err
	}
	ids, targets, err := pr.eng.Planned(cfg)
	if err != nil {
		pr.close()
		return nil, nil, nil, err
	}
	return pr, ids, targets, nil
}

// dryRun prints what a run would do and why.
func dryRun(ctx context.Context, e *env, path string, ro engine.RunOptions, cfg engine.RunConfig) error {
	log, err := e.logger(nil)
	if err != nil {
		return err
	}
	pr, ids, targets, err := e.openPlanned(path, ro, log, cfg)
	if err != nil {
		return err
	}
	defer pr.close()
	sts, err := pr.eng.Status(ctx)
	if err != nil {
		return err
	}
	if cfg.Only {
		if err := pr.eng.OnlyRefused(sts, ids); err != nil {
			return err // as the run would refuse it
		}
	}
	in := map[engine.PartitionID]bool{}
	for _, id := range ids {
		in[id] = true
	}
	own, owners := ownSet(pr.eng, cfg.Shard, ids), pr.eng.Owners(cfg.Shard.Count)
	if cfg.Force {
		markForced(sts, targets, own)
	}
	re := estimateRun(ctx, pr.eng, sts, func(id engine.PartitionID) bool { return own[id] })
	run, reuse, wait := 0, 0, 0
	var runIDs []engine.PartitionID
	for _, st := range sts {
		if !in[st.ID] {
			continue
		}
		switch {
		case !own[st.ID] && st.WillRun():
			fmt.Fprintf(e.stdout, "would wait for %s: %s, shard %d/%d's\n", st.ID, st.State, owners[st.ID], cfg.Shard.Count)
			wait++
		case st.Forced && st.State == engine.UpToDate:
			fmt.Fprintf(e.stdout, "would run %s: forced%s\n", st.ID, re.suffix(st.Estimate))
			run++
			runIDs = append(runIDs, st.ID)
		case st.State == engine.UpToDate && st.FailedRows > 0:
			fmt.Fprintf(e.stdout, "would run %s: sealed with %s%s\n", st.ID, engine.FailedRowsText(st.FailedRows), re.suffix(st.Estimate))
			run++
			runIDs = append(runIDs, st.ID)
		case st.State == engine.UpToDate:
			reuse++
		default:
			fmt.Fprintf(e.stdout, "would run %s: %s: %s%s\n", st.ID, st.State, strings.Join(st.Reasons, "; "), re.suffix(st.Estimate))
			run++
			runIDs = append(runIDs, st.ID)
		}
	}
	fmt.Fprintf(e.stdout, "dry run: would execute %d, reuse %d%s\n", run, reuse, waitCount(wait))
	re.print(e.stdout, envNeeds(pr.eng, runIDs))
	return nil
}

// newRunID is a sortable, unique run id.
func newRunID() string {
	return fmt.Sprintf("%s-%d", time.Now().UTC().Format("20060102T150405.000000Z"), os.Getpid())
}

// switchWriter discards until set, then writes to its target; it lets the
// run log start once the run directory exists.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) set(w io.Writer) { s.mu.Lock(); s.w = w; s.mu.Unlock() }

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return len(p), nil
	}
	return s.w.Write(p)
}
