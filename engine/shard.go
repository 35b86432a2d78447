package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// Shard is this process's share of a run split over Count processes
// (`run --shard Index/Count`, Index 1-based). The zero Shard, and 1/1, run
// everything.
type Shard struct {
	Index, Count int
	// Takeover is how long a shard waits for another shard's partition
	// before it may take the partition's lease and execute it itself, when
	// nobody holds that lease and its output is still missing (the owner has
	// not started it, or died). 0 takes over at the first free lease.
	Takeover time.Duration
}

// DefaultTakeover is the Takeover of `run --shard` unless
// SPTFLOW_SHARD_TAKEOVER says otherwise.
const DefaultTakeover = 30 * time.Second

// ParseShard parses "i/N" (1 <= i <= N).
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("shard %q: want i/N with 1 <= i <= N", s)
	}
	return Shard{Index: i, Count: n}, nil
}

// String renders the shard as "i/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// sharded reports whether s splits the run.
func (s Shard) sharded() bool { return s.Count > 1 }

// Assignment maps every partition to the shard (1-based) that executes it.
type Assignment map[PartitionID]int

// Assign splits the partitions of g over n shards. It depends only on the
// graph, so every shard, on any machine, computes the same assignment.
// Each node's partitions are dealt evenly: every shard gets ⌊P/n⌋ or ⌈P/n⌉
// of a node's P partitions. Within that bound a partition goes to the shard
// of its lane (its foreach binding, topic=sycophancy say), so a topic's
// generate, infer, intervene and tag run on one shard without waiting on
// another; new lanes and partitions without a binding (analyze, export) go
// round-robin.
func Assign(g *Graph, n int) Assignment {
	a := make(Assignment, len(g.Partitions))
	if n < 1 {
		n = 1
	}
	lanes := map[string]int{}
	next := 0
	for _, parts := range nodePartitions(g) {
		d := newDealer(len(parts), n)
		for _, p := range parts {
			lane := laneKey(p)
			want, ok := lanes[lane]
			if lane == "" || !ok || !d.fits(want) {
				want = d.nextFit(next)
				next = (want + 1) % n
			}
			if _, ok := lanes[lane]; !ok && lane != "" {
				lanes[lane] = want
			}
			d.take(want)
			a[p.ID] = want + 1
		}
	}
	return a
}

// nodePartitions groups g's partitions by node, nodes in declaration order.
func nodePartitions(g *Graph) [][]*PartitionSpec {
	idx := map[string]int{}
	var out [][]*PartitionSpec
	for _, p := range g.Partitions {
		i, ok := idx[p.Node]
		if !ok {
			i = len(out)
			idx[p.Node] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], p)
	}
	return out
}

// laneKey is a partition's foreach binding, "" without one.
func laneKey(p *PartitionSpec) string {
	var b strings.Builder
	for _, kv := range p.Foreach {
		fmt.Fprintf(&b, "%s=%s\x00", kv.Key, kv.Value)
	}
	return b.String()
}

// dealer deals one node's P partitions over n shards, ⌊P/n⌋ or ⌈P/n⌉ each.
type dealer struct {
	load       []int
	floor, big int // big: how many shards may still take ⌊P/n⌋+1
}

func newDealer(p, n int) *dealer {
	return &dealer{load: make([]int, n), floor: p / n, big: p % n}
}

func (d *dealer) fits(s int) bool {
	return d.load[s] < d.floor || (d.load[s] == d.floor && d.big > 0)
}

// nextFit is the first shard from start on (cyclically) that fits.
func (d *dealer) nextFit(start int) int {
	n := len(d.load)
	for i := range n {
		if s := (start + i) % n; d.fits(s) {
			return s
		}
	}
	return start % n // unreachable: P partitions always fit
}

func (d *dealer) take(s int) {
	if d.load[s] == d.floor {
		d.big--
	}
	d.load[s]++
}

// Owners returns the shard (1-based) that executes each partition when a
// run is split over n shards.
func (e *Engine) Owners(n int) Assignment { return Assign(e.g, n) }

// shardOwners is the assignment a sharded run needs (nil unsharded).
func (e *Engine) shardOwners(sh Shard) Assignment {
	if !sh.sharded() {
		return nil
	}
	return Assign(e.g, sh.Count)
}

// shardPlan keeps, of the partitions in a run, the shard's own and what
// they need (transitively, within in): those of other shards are waited
// for. Only keeps just the own ones.
func (e *Engine) shardPlan(in map[PartitionID]bool, sh Shard, only bool) map[PartitionID]bool {
	owners := Assign(e.g, sh.Count)
	var own []PartitionID
	for _, id := range e.order {
		if in[id] && owners[id] == sh.Index {
			own = append(own, id)
		}
	}
	out := make(map[PartitionID]bool, len(in))
	if only {
		for _, id := range own {
			out[id] = true
		}
		return out
	}
	for id := range e.closure(own) {
		if in[id] {
			out[id] = true
		}
	}
	return out
}

// Polling bounds of a shard waiting for another's partition.
const (
	shardPollMin = 50 * time.Millisecond
	shardPollMax = time.Second
)

// claim takes the lease to produce partition n (key). A partition of
// another shard is not run but waited for (awaitShard), unless it is taken
// over.
// The duration is how long this run waited before taking the partition
// over (zero unless it did): the caller says so once it also holds the
// shared lease and still finds no output (only then has no process, on
// any machine, produced it).
func (r *run) claim(ctx context.Context, n *node, key NodeKey) (*store.Lease, time.Duration, error) {
	if r.owns(n.spec.ID) {
		l, err := r.lease(ctx, n, key)
		return l, 0, err
	}
	return r.awaitShard(ctx, n, key, r.owners[n.spec.ID])
}

// awaitShard waits until shard owner seals partition n's output for key,
// then takes the lease as an own partition would (the caller finds the
// output and reuses it). When the output is still missing after the
// takeover delay and the lease is free (the owner never started the
// partition, or died holding it and the lease was freed), this shard takes
// the lease and the caller executes the partition. Once it has taken a
// partition over from owner, the owner is presumed gone: its other
// partitions are taken over as soon as their leases are free, without
// waiting out the delay again (a live owner holds the lease of what it
// works on, and one that has not started a partition finds it sealed).
func (r *run) awaitShard(ctx context.Context, n *node, key NodeKey, owner int) (*store.Lease, time.Duration, error) {
	log := r.e.opt.Log.With().Str(FieldPartition, string(n.spec.ID)).Str("owner", fmt.Sprintf("%d/%d", owner, r.cfg.Shard.Count)).Logger()
	log.Info().Msg("waiting for the shard that owns this partition")
	name := leaseName(key)
	since, wait := time.Now(), shardPollMin
	for {
		if r.sealedFor(ctx, n.spec.ID, key) {
			l, err := r.lease(ctx, n, key)
			return l, 0, err
		}
		if waited := time.Since(since); waited >= r.cfg.Shard.Takeover || r.ownerGone(owner) {
			l, ok, err := r.e.opt.Store.TryLease(name)
			if err != nil {
				return nil, 0, fmt.Errorf("take lease: %w", err)
			}
			if ok {
				r.markOwnerGone(owner)
				return l, max(waited, time.Nanosecond), nil
			}
		}
		if err := r.pause(ctx, wait); err != nil {
			return nil, 0, err
		}
		wait = min(wait*2, shardPollMax)
	}
}

// ownerGone reports whether this run has taken a partition over from
// shard owner (see awaitShard).
func (r *run) ownerGone(owner int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gone[owner]
}

func (r *run) markOwnerGone(owner int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone == nil {
		r.gone = map[int]bool{}
	}
	r.gone[owner] = true
}

// sealedFor reports whether the store, or the shared store behind it (a
// remote hit is pulled, verified), holds an output for key that this run
// would reuse (one sealed with failed rows before the run started is
// executed again, by its owner).
func (r *run) sealedFor(ctx context.Context, id PartitionID, key NodeKey) bool {
	m, _, err := r.e.sharedManifest(ctx, id, key)
	return err == nil && (ManifestFailedRows(m) == 0 || r.sealedDuringRun(m))
}

// pause waits d, or returns the context's cause, or errNotStarted once
// the run is stopping.
func (r *run) pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-r.cfg.Stop:
		return errNotStarted
	case <-t.C:
		return nil
	}
}

// owns reports whether this shard executes id (every partition, unsharded).
// --force applies to a shard's own targets only: another shard's partition
// is reused as its owner sealed it.
func (r *run) owns(id PartitionID) bool {
	return !r.cfg.Shard.sharded() || r.owners[id] == r.cfg.Shard.Index
}
