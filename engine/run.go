package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// RunConfig says what one `run` does.
type RunConfig struct {
	Selection
	// Force re-executes the targets even when a sealed output exists.
	Force bool
	// Only runs the targets alone; their upstream outputs must already exist.
	Only bool
	// Resample, when set, makes the Sampler partitions among the targets
	// (all of them without targets) draw replica *Resample of their model
	// samples from now on (recorded in the lock file), and adds their
	// downstream to the run. See resample.go.
	Resample *int
	// Jobs bounds how many partitions execute at once (default 1).
	Jobs int
	// Monitor receives lifecycle and progress events (may be nil).
	Monitor Monitor
	// Args are the command-line arguments, recorded in the run_start event.
	Args []string
	// Stop, once closed, stops the run gracefully: no partition starts,
	// running steps go on (their LLM requests are refused by then, see
	// llm.Runtime.SetInterrupt) and partitions that end by cancellation
	// are Interrupted, not Failed (interrupt.go). Nil never closes.
	Stop <-chan struct{}
	// Shard, when it splits the run, runs only this shard's partitions and
	// what they need; those of other shards are waited for (shard.go).
	Shard Shard
	// Verified are the statuses the caller computed with Status just
	// before Run, in this process. When they make the run a no-op (see
	// noop.go) its partitions are reused as Status found them, without
	// checking their store objects and materialized files a second time.
	Verified []PartitionStatus
}

// Outcome is what happened to one partition in a run.
type Outcome string

// Outcomes.
const (
	Executed Outcome = "executed"
	Cached   Outcome = "cached"
	Failed   Outcome = "failed"
	Skipped  Outcome = "skipped"
	// Interrupted partitions were stopped by an interrupt (or did not start
	// because of one): nothing is sealed, the next run continues them.
	Interrupted Outcome = "interrupted"
	// Waiting partitions ended with work still in progress outside the run
	// (provider batches under --no-wait; ErrWaiting): nothing is sealed,
	// nothing failed, the next run harvests the work.
	Waiting Outcome = "waiting"
	// NotStarted partitions did not run because a partition they need is
	// Waiting.
	NotStarted Outcome = "not started"
)

// PartitionResult is one partition's outcome.
type PartitionResult struct {
	ID       PartitionID
	Outcome  Outcome
	Key      NodeKey
	Output   Digest
	Duration time.Duration
	Usage    Usage
	// FailedRows are the failed rows its output was sealed with (a
	// failure budget): it is executed again by the next run.
	FailedRows int
	Err        error // Failed, Skipped, Interrupted, Waiting or NotStarted
}

// Summary is the outcome of a run.
type Summary struct {
	Results                                        []PartitionResult // in topological order
	Executed, Cached, Failed, Skipped, Interrupted int
	// Waiting partitions and those NotStarted because of them.
	Waiting, NotStarted int
	// SealedWithFailures counts the executed partitions sealed with
	// failed rows (PartitionResult.FailedRows).
	SealedWithFailures int
}

// Err returns nil when every partition is executed or cached, else an
// error that matches ErrInterrupted when partitions were interrupted,
// ErrRunFailed (listing the failures, not their dependents) when
// partitions failed or were skipped, and ErrWaiting when partitions are
// Waiting, in that order, as many as apply.
func (s *Summary) Err() error {
	var errs []error
	for _, r := range s.Results {
		if r.Outcome == Failed {
			errs = append(errs, fmt.Errorf("%s: %w", r.ID, r.Err))
		}
	}
	var parts []error
	if s.Interrupted > 0 {
		parts = append(parts, ErrInterrupted)
	}
	if len(errs) > 0 || s.Skipped > 0 {
		parts = append(parts, fmt.Errorf("%w: %w", ErrRunFailed, errors.Join(errs...)))
	}
	if s.Waiting > 0 {
		parts = append(parts, fmt.Errorf("not finished: %d partitions %w", s.Waiting, ErrWaiting))
	}
	var err error
	for _, p := range parts {
		if err == nil {
			err = p
		} else {
			err = fmt.Errorf("%w; %w", err, p)
		}
	}
	return err
}

// sealed is a partition's sealed output.
type sealed struct {
	key    NodeKey
	digest Digest
	m      *store.Manifest
}

// run is the state of one Run call.
type run struct {
	e       *Engine
	cfg     RunConfig
	targets map[PartitionID]bool
	slots   slots
	lockOld map[string]store.LockEntry
	lockNew lockBatch // written once, when the run ends (lock.go)
	start   time.Time
	owners  Assignment // the shard of each partition, when sharded
	// verified are the partitions a planned no-op reuses as the caller's
	// Status found them (noop.go); read-only once the walk starts.
	verified map[PartitionID]PartitionStatus

	mu      sync.Mutex
	outputs map[PartitionID]sealed
	results map[PartitionID]*PartitionResult
	gone    map[int]bool // shards a partition was taken over from (awaitShard)
}

// Planned returns the partitions a run with cfg would consider, in
// topological order: the selected targets and, unless cfg.Only, everything
// upstream of them; targets tells which of them are targets.
func (e *Engine) Planned(cfg RunConfig) (ids []PartitionID, targets map[PartitionID]bool, err error) {
	return e.planRun(cfg)
}

func (e *Engine) planRun(cfg RunConfig) ([]PartitionID, map[PartitionID]bool, error) {
	sel, err := Select(e.g, cfg.Selection)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Resample != nil {
		if sel, err = e.resample(sel, *cfg.Resample, len(cfg.Targets) > 0); err != nil {
			return nil, nil, err
		}
	}
	targets := make(map[PartitionID]bool, len(sel))
	for _, id := range sel {
		targets[id] = true
	}
	in := maps.Clone(targets)
	if !cfg.Only {
		in = e.closure(sel)
	}
	if cfg.Resample != nil {
		if err := e.addDownstream(in, sel); err != nil {
			return nil, nil, err
		}
	}
	if cfg.Shard.sharded() {
		in = e.shardPlan(in, cfg.Shard, cfg.Only)
	}
	var ids []PartitionID
	for _, id := range e.order {
		if in[id] {
			ids = append(ids, id)
		}
	}
	return ids, targets, nil
}

// closure returns ids and everything they need, transitively.
func (e *Engine) closure(ids []PartitionID) map[PartitionID]bool {
	in := map[PartitionID]bool{}
	var add func(PartitionID)
	add = func(id PartitionID) {
		if in[id] {
			return
		}
		in[id] = true
		for _, n := range e.g.Needs[id] {
			add(n)
		}
	}
	for _, id := range ids {
		add(id)
	}
	return in
}

// Run brings the selected partitions up to date: cached ones are reused,
// stale ones executed (at most cfg.Jobs at once), in dependency order. A
// failed partition stops only its dependents. The returned summary's Err
// says whether the run as a whole failed; Run's own error is for problems
// before anything ran (configuration, store) or cancellation.
func (e *Engine) Run(ctx context.Context, cfg RunConfig) (*Summary, error) {
	ids, targets, err := e.planRun(cfg)
	if err != nil {
		return nil, err
	}
	lock, err := e.readLock()
	if err != nil {
		return nil, err
	}
	if err := e.claimOutputs(); err != nil {
		return nil, err
	}
	r := &run{e: e, cfg: cfg, targets: targets, slots: newSlots(cfg.Jobs), lockOld: lock, start: time.Now(),
		outputs: map[PartitionID]sealed{}, results: map[PartitionID]*PartitionResult{}, owners: e.shardOwners(cfg.Shard)}
	r.verified = r.verifiedNoOp(ids)
	if cfg.Only || cfg.Resample != nil {
		if err := r.presealUpstream(ctx, ids); err != nil {
			return nil, err
		}
	}
	if cfg.Resample != nil {
		if err := e.recordReplicas(sortedIDs(targets), *cfg.Resample); err != nil {
			return nil, err
		}
	}
	e.event(cfg.Monitor, Event{Type: EventRunStart, Pipeline: e.g.Name, Args: cfg.Args})
	e.housekeep()
	var outcomes map[PartitionID]error
	if r.verified != nil {
		outcomes = walkInline(ctx, ids, e.g.Needs, r.visit) // noop.go
	} else {
		outcomes = walk(ctx, ids, e.g.Needs, r.visit)
	}
	r.flushLock()
	e.logStoreWarnings()
	sum := r.summary(ids, outcomes)
	e.event(cfg.Monitor, Event{Type: EventRunEnd, Pipeline: e.g.Name, Summary: sum.counts()})
	if err := e.opt.Store.SaveStatCache(); err != nil {
		e.opt.Log.Warn().Err(err).Msg("save stat cache")
	}
	if cause := context.Cause(ctx); cause != nil {
		return sum, fmt.Errorf("run %w: %w", ErrInterrupted, cause)
	}
	return sum, nil
}

// presealUpstream loads the sealed outputs of the partitions that ids need
// but the run does not produce (the upstream of an --only run, the other
// needs of a resample's downstream), which must all be up to date.
func (r *run) presealUpstream(ctx context.Context, ids []PartitionID) error {
	in := make(map[PartitionID]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	sts, err := r.e.StatusOf(ctx, ids)
	if err != nil {
		return err
	}
	byID := map[PartitionID]PartitionStatus{}
	for _, st := range sts {
		byID[st.ID] = st
	}
	var errs []error
	for _, id := range ids {
		for _, u := range r.e.g.Needs[id] {
			if in[u] {
				continue
			}
			st := byID[u]
			m, d, err := r.e.sharedManifest(ctx, u, st.Key)
			if st.State != UpToDate || err != nil {
				errs = append(errs, onlyNotReady(id, u, st.State))
				continue
			}
			r.outputs[u] = sealed{key: st.Key, digest: d, m: m}
		}
	}
	if len(errs) > 0 {
		return invalid(errs...)
	}
	return nil
}

// OnlyRefused returns the error an --only run of ids would refuse to start
// with, given the statuses sts of ids and what they need: an upstream the
// run does not produce that is not up to date. A dry run reports it as the
// run would.
func (e *Engine) OnlyRefused(sts []PartitionStatus, ids []PartitionID) error {
	in := make(map[PartitionID]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	state := make(map[PartitionID]State, len(sts))
	for _, st := range sts {
		state[st.ID] = st.State
	}
	var errs []error
	for _, id := range ids {
		for _, u := range e.g.Needs[id] {
			if !in[u] && state[u] != UpToDate {
				errs = append(errs, onlyNotReady(id, u, state[u]))
			}
		}
	}
	if len(errs) > 0 {
		return invalid(errs...)
	}
	return nil
}

func onlyNotReady(id, u PartitionID, st State) error {
	return fmt.Errorf("--only %s: upstream %s is %s; run it first", id, u, st)
}

func (r *run) summary(ids []PartitionID, outcomes map[PartitionID]error) *Summary {
	s := &Summary{}
	for _, id := range ids {
		res := r.results[id]
		if res == nil {
			res = &PartitionResult{ID: id, Outcome: Skipped, Err: outcomes[id]}
			r.skippedInterrupted(res)
			r.skippedWaiting(res)
			r.results[id] = res
			r.e.event(r.cfg.Monitor, Event{Type: eventOf(res.Outcome), Partition: id, Node: r.e.nodes[id].spec.Node, Error: errString(res.Err)})
		}
		switch res.Outcome {
		case Executed:
			s.Executed++
			if res.FailedRows > 0 {
				s.SealedWithFailures++
			}
		case Cached:
			s.Cached++
		case Failed:
			s.Failed++
		case Skipped:
			s.Skipped++
		case Interrupted:
			s.Interrupted++
		case Waiting:
			s.Waiting++
		case NotStarted:
			s.NotStarted++
		}
		s.Results = append(s.Results, *res)
	}
	return s
}

// counts are the summary's totals, as the journal records them.
func (s *Summary) counts() *Counts {
	return &Counts{Executed: s.Executed, Cached: s.Cached, Failed: s.Failed, Skipped: s.Skipped,
		Interrupted: s.Interrupted, Waiting: s.Waiting, NotStarted: s.NotStarted}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (r *run) setResult(res *PartitionResult) {
	r.mu.Lock()
	r.results[res.ID] = res
	r.mu.Unlock()
}

func (r *run) output(id PartitionID) (sealed, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.outputs[id]
	return s, ok
}

// visit brings one partition up to date. Its needs have succeeded.
func (r *run) visit(ctx context.Context, id PartitionID) error {
	res, err := r.bring(ctx, id)
	if err != nil {
		res.Outcome, res.Err = Failed, err
		switch {
		case r.interrupted(ctx, err):
			res.Outcome = Interrupted
		case waiting(err):
			res.Outcome = Waiting
		}
		if ctx.Err() != nil {
			res.Err = context.Cause(ctx)
		}
	}
	r.setResult(res)
	r.e.finished(r.cfg.Monitor, r.e.nodes[id], res)
	r.e.logStoreWarnings() // what the partition found damaged, while the run goes on
	return res.Err
}

// bring reuses or produces one partition's output.
func (r *run) bring(ctx context.Context, id PartitionID) (*PartitionResult, error) {
	start := time.Now()
	res := &PartitionResult{ID: id}
	defer func() { res.Duration = time.Since(start) }()
	if err := context.Cause(ctx); err != nil {
		return res, err
	}
	if r.stopping() {
		return res, errNotStarted
	}
	n := r.e.nodes[id]
	desc, ok, err := r.e.key(n, func(u PartitionID) (Digest, bool) {
		s, ok := r.output(u)
		if !ok {
			return Digest{}, false
		}
		return ContentDigest(s.m.Files), true
	})
	if err != nil {
		return res, err
	}
	if !ok {
		return res, fmt.Errorf("compute key: an upstream partition has no sealed output")
	}
	res.Key = desc.Key()
	force := r.cfg.Force && r.targets[id] && r.owns(id)
	if !force && r.reuse(ctx, n, res) {
		if done, err := r.finishReused(n, desc, res); done {
			return res, err
		}
	}
	lease, takeover, err := r.claim(ctx, n, res.Key)
	if err != nil {
		return res, err
	}
	defer lease.Release()
	// An output sealed while this run waited for the lease (or pulled while
	// it waited for another shard) is reused without the shared lease:
	// taking it would wait on whichever machine holds it, for nothing.
	if !force && r.sealedLocally(res.Key) && r.reuse(ctx, n, res) {
		if done, err := r.finishReused(n, desc, res); done {
			return res, err
		}
	}
	ctx, release, err := r.sharedLease(ctx, n, res.Key)
	if err != nil {
		return res, err
	}
	defer release()
	if !force && r.reuse(ctx, n, res) {
		if done, err := r.finishReused(n, desc, res); done {
			return res, err
		}
	}
	if takeover > 0 {
		r.e.opt.Log.Warn().Str(FieldPartition, string(n.spec.ID)).Str("owner", fmt.Sprintf("%d/%d", r.owners[n.spec.ID], r.cfg.Shard.Count)).
			Dur("waited", takeover.Round(time.Millisecond)).
			Msg("the owning shard has not produced this partition and no process holds its lease; taking it over")
	}
	return res, r.execute(ctx, n, desc, res)
}

// sealedLocally reports whether the local store holds an output for key.
func (r *run) sealedLocally(key NodeKey) bool {
	_, _, err := r.e.opt.Store.GetManifest(key)
	return err == nil
}

// reuse looks up a sealed output for res.Key; on a hit it records it as cached.
func (r *run) reuse(ctx context.Context, n *node, res *PartitionResult) bool {
	if r.reuseVerified(n, res) {
		return true
	}
	m, d, err := r.e.sharedManifest(ctx, n.spec.ID, res.Key)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			r.e.opt.Log.Warn().Err(err).Str(FieldPartition, string(n.spec.ID)).Msg("store entry unreadable; re-running")
		}
		return false
	}
	if f := ManifestFailedRows(m); f > 0 && !r.sealedDuringRun(m) {
		r.e.opt.Log.Info().Str(FieldPartition, string(n.spec.ID)).Int("failed_rows", f).
			Msg("sealed with failed rows; asking them again")
		return false
	}
	res.Outcome, res.Output = Cached, d
	r.mu.Lock()
	r.outputs[n.spec.ID] = sealed{key: res.Key, digest: d, m: m}
	r.mu.Unlock()
	return true
}

// lease takes the partition's lease, waiting (without an execution slot)
// while another process holds it.
func (r *run) lease(ctx context.Context, n *node, key NodeKey) (*store.Lease, error) {
	name := leaseName(key)
	l, ok, err := r.e.opt.Store.TryLease(name)
	if err != nil {
		return nil, fmt.Errorf("take lease: %w", err)
	}
	if ok {
		return l, nil
	}
	r.e.opt.Log.Info().Str(FieldPartition, string(n.spec.ID)).Str("holder", r.e.opt.Store.LeaseHolder(name)).
		Msg("another process is producing this partition; waiting for it")
	l, err = r.e.opt.Store.Lease(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("take lease: %w", err)
	}
	return l, nil
}

// leaseName names the lease of the partition producing key.
func leaseName(key NodeKey) string { return "partition-" + key.String() }

// execute runs the step, seals its output and materializes it.
func (r *run) execute(ctx context.Context, n *node, desc KeyDesc, res *PartitionResult) error {
	if err := r.slots.acquire(ctx, r.cfg.Stop); err != nil {
		return err
	}
	r.e.event(r.cfg.Monitor, Event{Type: EventStarted, Partition: n.spec.ID, Node: n.spec.Node, Key: res.Key.String()})
	out := newStoreOutput(r.e.opt.Store, n.claims())
	t, err := r.e.task(n, func(u PartitionID) sealed { s, _ := r.output(u); return s })
	if err != nil {
		r.slots.release()
		return err
	}
	meter := newMeter(n.spec.ID, r.cfg.Monitor)
	t.Out, t.Progress, t.Usage = out, meter, meter
	err = n.step.Run(withPartition(ctx, n.spec.ID, n.spec.Node), t)
	r.slots.release()
	if err != nil && r.healUpstream(ctx, n) {
		return r.execute(context.WithValue(ctx, healKey{n.spec.ID}, true), n, desc, res)
	}
	if err != nil {
		return err
	}
	if err := context.Cause(ctx); err != nil {
		return err // never seal the output of an interrupted step
	}
	res.Usage, res.FailedRows = meter.usage(), t.SealedFailedRows()
	// The time to the second, as the lock file records it: the manifest can
	// then be rebuilt from its lock entry (pinnedManifest).
	m := &store.Manifest{Partition: string(n.spec.ID), Files: out.manifest(), Produced: time.Now().UTC().Truncate(time.Second),
		Meta: withFailedRows(usageMap(res.Usage), res.FailedRows)}
	if err := r.seal(ctx, n, desc, m, res); err != nil {
		return err
	}
	r.publish(ctx, n, res)
	res.Outcome = Executed
	return r.finishSealed(n, res, true)
}

// seal writes the manifest and the key's components to the store.
func (r *run) seal(ctx context.Context, n *node, desc KeyDesc, m *store.Manifest, res *PartitionResult) error {
	info, err := json.Marshal(desc)
	if err != nil {
		return err
	}
	if err := r.e.opt.Store.PutKeyInfo(res.Key, info); err != nil {
		return err
	}
	d, kept := r.sameSealed(res.Key, m)
	if kept != nil {
		m = kept
	} else {
		if pinned := r.pinnedManifest(ctx, n, res.Key, m); pinned != nil {
			m = pinned
		}
		if d, err = r.e.opt.Store.PutManifest(res.Key, m); err != nil {
			return fmt.Errorf("seal output: %w", err)
		}
	}
	res.Output = d
	r.mu.Lock()
	r.outputs[n.spec.ID] = sealed{key: res.Key, digest: d, m: m}
	r.mu.Unlock()
	return nil
}

// sameSealed returns the manifest already sealed for key, and its digest,
// when m holds the same files and neither has failed rows: a --force rerun,
// or an execution served from the request store, that made the same bytes
// keeps the output it reproduced, with the time it was first produced and
// what producing it cost, so the lock file does not change (m is dropped).
// Otherwise it returns nil, and m is sealed.
func (r *run) sameSealed(key NodeKey, m *store.Manifest) (Digest, *store.Manifest) {
	if ManifestFailedRows(m) > 0 {
		return Digest{}, nil
	}
	old, d, err := r.e.opt.Store.GetManifest(key)
	if err != nil || ManifestFailedRows(old) > 0 || ContentDigest(old.Files) != ContentDigest(m.Files) {
		return Digest{}, nil
	}
	return d, old
}

// pinnedManifest returns the manifest sealed for key before, when this
// store no longer holds it (a damaged entry repaired, a clone without it)
// and m holds the same files: the shared store's, or the one the lock file
// pins for the partition, rebuilt from what the lock records of it (its
// time, usage and served models) and taken only when its digest is the
// pinned digest. Sealing it again, rather than m, keeps the time the output
// was first produced and what producing it cost, as sameSealed does, so
// the lock file does not change, and a clone that repaired damage agrees
// with one that never met it. nil when there is none.
func (r *run) pinnedManifest(ctx context.Context, n *node, key NodeKey, m *store.Manifest) *store.Manifest {
	if ManifestFailedRows(m) > 0 {
		return nil
	}
	content := ContentDigest(m.Files)
	if sh := r.e.opt.Shared; sh != nil {
		old, _, ok, err := sh.Peek(ctx, key)
		if err == nil && ok && ManifestFailedRows(old) == 0 && ContentDigest(old.Files) == content {
			return old
		}
	}
	entry, ok := r.lockOld[string(n.spec.ID)]
	if !ok || entry.Key != key.String() {
		return nil
	}
	old := &store.Manifest{Partition: m.Partition, Files: m.Files, Produced: entry.Produced, Meta: lockMeta(entry)}
	if d, err := store.ManifestDigest(old); err != nil || d.String() != entry.Output {
		return nil
	}
	return old
}

// lockMeta is the manifest metadata a lock entry records (usageMap's).
func lockMeta(e store.LockEntry) map[string]any {
	if e.Usage == nil && e.ServedModels == nil {
		return nil
	}
	return map[string]any{"usage": e.Usage, "served_models": e.ServedModels}
}

// finishSealed materializes a sealed output and records it in the lock
// file; executed says whether this run produced it.
func (r *run) finishSealed(n *node, res *PartitionResult, executed bool) error {
	s, _ := r.output(n.spec.ID)
	if !n.plan.NoMaterialize && (executed || !r.verifiedOutput(n, s)) {
		prev := r.previousManifest(n, res.Key)
		written, err := r.e.materialize(n.spec.DataDir, s.m, prev)
		if err != nil {
			return err
		}
		if !executed {
			r.e.logRestored(n, written)
		}
	}
	return r.recordLock(n, s, executed)
}

// previousManifest is the output this partition last materialized, per the
// lock file, when it differs from the current key.
func (r *run) previousManifest(n *node, key NodeKey) *store.Manifest {
	old, ok := r.lockOld[string(n.spec.ID)]
	if !ok || old.Key == key.String() {
		return nil
	}
	k, err := ParseNodeKey(old.Key)
	if err != nil {
		return nil
	}
	m, _, err := r.e.opt.Store.GetManifest(k)
	if err != nil {
		return nil
	}
	return m
}

// task builds the Task of n from its upstream outputs.
func (e *Engine) task(n *node, output func(PartitionID) sealed) (*Task, error) {
	t := &Task{Spec: n.spec, Params: n.plan.Params, Plan: n.plan, Inputs: n.files(),
		Log: e.opt.Log.With().Str(FieldPartition, string(n.spec.ID)).Str(FieldKind, n.spec.Kind).Logger(), Started: time.Now()}
	for _, u := range e.g.Needs[n.spec.ID] {
		s := output(u)
		if s.m == nil {
			return nil, fmt.Errorf("read upstream %s: no sealed output", u)
		}
		un := e.nodes[u]
		t.Upstream = append(t.Upstream, Upstream{ID: u, Node: un.spec.Node, Kind: un.spec.Kind, Foreach: un.spec.Foreach,
			Digest: s.digest, Files: upstreamFiles(e.opt.Store, s.m, un.files()), OutputDir: un.plan.OutputDir})
	}
	return t, nil
}

// usageMap renders usage as manifest/lock metadata.
func usageMap(u Usage) map[string]any {
	if emptyUsage(u) {
		return nil
	}
	b, _ := json.Marshal(u)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	delete(m, "served_models")
	return map[string]any{"usage": m, "served_models": u.ServedModels}
}
