package engine

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/lockyaml"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"1/3", Shard{Index: 1, Count: 3}, true},
		{"3/3", Shard{Index: 3, Count: 3}, true},
		{"1/1", Shard{Index: 1, Count: 1}, true},
		{"0/3", Shard{}, false},
		{"4/3", Shard{}, false},
		{"2", Shard{}, false},
		{"a/b", Shard{}, false},
		{"1/0", Shard{}, false},
	} {
		got, err := ParseShard(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseShard(%q): got %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// demoGraph has the demo pipeline's shape: four nodes over topics, then
// two fan-in nodes.
func demoGraph(topics ...string) *Graph {
	g := &Graph{Needs: map[PartitionID][]PartitionID{}}
	prev := ""
	for _, node := range []string{"generate", "infer", "intervene", "tag"} {
		for _, tp := range topics {
			id := PartitionID(node + "@" + tp)
			g.Partitions = append(g.Partitions, &PartitionSpec{ID: id, Node: node, Foreach: []KV{{"topic", tp}}})
			if prev != "" {
				g.Needs[id] = []PartitionID{PartitionID(prev + "@" + tp)}
			}
		}
		prev = node
	}
	for _, node := range []string{"analyze", "export"} {
		g.Partitions = append(g.Partitions, &PartitionSpec{ID: PartitionID(node), Node: node})
		for _, tp := range topics {
			g.Needs[PartitionID(node)] = append(g.Needs[PartitionID(node)], PartitionID("tag@"+tp))
		}
	}
	return g
}

func TestAssign(t *testing.T) {
	for _, tc := range []struct {
		name   string
		g      *Graph
		n      int
		want   map[string]int // some owners
		shared bool           // lanes align: a topic's chain is one shard's
	}{
		{"3 topics over 3", demoGraph("a", "b", "c"), 3,
			map[string]int{"generate@a": 1, "tag@b": 2, "tag@c": 3, "analyze": 1, "export": 2}, true},
		{"2 topics over 3", demoGraph("a", "b"), 3,
			map[string]int{"generate@a": 1, "tag@b": 2, "analyze": 3, "export": 1}, true},
		{"5 topics over 2", demoGraph("a", "b", "c", "d", "e"), 2,
			map[string]int{"generate@a": 1, "generate@b": 2, "generate@e": 1, "analyze": 2, "export": 1}, true},
		{"1 shard", demoGraph("a", "b"), 1, map[string]int{"generate@a": 1, "export": 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Assign(tc.g, tc.n)
			for id, want := range tc.want {
				if got := a[PartitionID(id)]; got != want {
					t.Errorf("owner of %s: got %d, want %d", id, got, want)
				}
			}
			checkBalanced(t, tc.g, a, tc.n)
			if tc.shared {
				for _, p := range tc.g.Partitions {
					if len(p.Foreach) > 0 && a[p.ID] != a[PartitionID("generate@"+p.Foreach[0].Value)] {
						t.Errorf("%s on shard %d, its topic's generate on %d", p.ID, a[p.ID], a[PartitionID("generate@"+p.Foreach[0].Value)])
					}
				}
			}
		})
	}
}

// checkBalanced checks that every partition has a shard in 1..n and each
// node's partitions are dealt evenly.
func checkBalanced(t *testing.T, g *Graph, a Assignment, n int) {
	t.Helper()
	for _, parts := range nodePartitions(g) {
		load := make([]int, n+1)
		for _, p := range parts {
			s := a[p.ID]
			if s < 1 || s > n {
				t.Fatalf("owner of %s: got %d, want 1..%d", p.ID, s, n)
			}
			load[s]++
		}
		lo, hi := len(parts)/n, (len(parts)+n-1)/n
		for s := 1; s <= n; s++ {
			if load[s] < lo || load[s] > hi {
				t.Errorf("node %s: shard %d has %d of %d partitions, want %d..%d", parts[0].Node, s, load[s], len(parts), lo, hi)
			}
		}
	}
}

// TestAssignBalancedWhenLanesCollide: a node whose lanes earlier nodes put
// on one shard is still dealt evenly.
func TestAssignBalancedWhenLanesCollide(t *testing.T) {
	g := &Graph{}
	add := func(node string, topics ...string) {
		for _, tp := range topics {
			g.Partitions = append(g.Partitions, &PartitionSpec{ID: PartitionID(node + "@" + tp), Node: node, Foreach: []KV{{"topic", tp}}})
		}
	}
	add("first", "a", "b", "c", "d")
	add("second", "a", "c", "e", "f", "g") // a and c are both shard 1's lanes
	for n := 1; n <= 6; n++ {
		checkBalanced(t, g, Assign(g, n), n)
	}
	a := Assign(g, 2)
	if a["second@a"] != a["first@a"] {
		t.Errorf("second@a on %d, first@a on %d: a lane that fits stays on its shard", a["second@a"], a["first@a"])
	}
}

// TestAssignStable: the assignment depends on the graph alone, not on map
// order or on the process: repeated computations agree, and a graph built
// again from scratch gets the same.
func TestAssignStable(t *testing.T) {
	topics := make([]string, 40)
	for i := range topics {
		topics[i] = fmt.Sprintf("t%02d", i)
	}
	first := Assign(demoGraph(topics...), 7)
	for range 20 {
		if got := Assign(demoGraph(topics...), 7); !reflect.DeepEqual(got, first) {
			t.Fatal("two computations of one graph's assignment differ")
		}
	}
	checkBalanced(t, demoGraph(topics...), first, 7)
}

// shardEngine is an engine over the fixture's graph and store with its own
// counting step, like a process of its own.
func (f *fixture) shardEngine() (*Engine, *fakeStep) {
	f.t.Helper()
	step := newFake()
	e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": step}, Store: f.st,
		LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
	if err != nil {
		f.t.Fatal(err)
	}
	return e, step
}

// TestShardedRun: two shards run at once over one store; each executes its
// own partitions only, the fan-in waits for the other's, and a later run
// finds everything up to date.
func TestShardedRun(t *testing.T) {
	f := newFixture(t)
	owners := Assign(f.graph(), 2)
	var wg sync.WaitGroup
	executed := make([][]string, 3)
	for i := 1; i <= 2; i++ {
		e, step := f.shardEngine()
		wg.Go(func() {
			sum, err := e.Run(context.Background(), RunConfig{Jobs: 2, Shard: Shard{Index: i, Count: 2, Takeover: time.Hour}})
			if err != nil || sum.Err() != nil {
				t.Errorf("shard %d: %v, %v", i, err, sum.Err())
			}
			executed[i] = step.executed()
		})
	}
	wg.Wait()
	for i := 1; i <= 2; i++ {
		var want []string
		for id, s := range owners {
			if s == i {
				want = append(want, string(id))
			}
		}
		slices.Sort(want)
		if !slices.Equal(executed[i], want) {
			t.Errorf("shard %d executed %v, want its own %v", i, executed[i], want)
		}
	}
	e, step := f.shardEngine()
	sum, err := e.Run(context.Background(), RunConfig{})
	if err != nil || sum.Executed != 0 || sum.Cached != 5 {
		t.Errorf("unsharded run after the shards: executed %d, cached %d, err %v; want 0, 5", sum.Executed, sum.Cached, err)
	}
	if got := step.executed(); len(got) != 0 {
		t.Errorf("executed %v after the shards", got)
	}
}

// TestShardTakeover: a shard whose partners never start takes their
// partitions over once their leases are free and the takeover delay is
// past; one that died (its lease released) as well.
func TestShardTakeover(t *testing.T) {
	f := newFixture(t)
	owners := Assign(f.graph(), 2)
	dead, deadStep := f.shardEngine()
	// Shard 2 dies inside its first partition, holding the lease.
	for id, s := range owners {
		if s == 2 {
			deadStep.block[id] = make(chan struct{})
		}
	}
	ctx, kill := context.WithCancelCause(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		dead.Run(ctx, RunConfig{Jobs: 1, Shard: Shard{Index: 2, Count: 2}})
	}()
	<-deadStep.block["src@b"]
	e, step := f.shardEngine()
	survivor := make(chan error, 1)
	go func() {
		sum, err := e.Run(context.Background(), RunConfig{Jobs: 2, Shard: Shard{Index: 1, Count: 2, Takeover: 0}})
		if err == nil {
			err = sum.Err()
		}
		survivor <- err
	}()
	// The survivor waits while the lease is held; src@b is the dead shard's.
	kill(fmt.Errorf("killed"))
	<-done
	if err := <-survivor; err != nil {
		t.Fatalf("surviving shard: %v", err)
	}
	if got, want := step.executed(), []string{"mid@a", "mid@b", "sink", "src@a", "src@b"}; !slices.Equal(got, want) {
		t.Errorf("surviving shard executed %v, want %v (its own and the dead shard's)", got, want)
	}
}

// TestShardTakeoverOnceAnOwnerIsGone: a shard that took a partition over
// from an owner that never started takes the owner's other partitions over
// as their turn comes, without waiting out the takeover delay for each.
func TestShardTakeoverOnceAnOwnerIsGone(t *testing.T) {
	f := newFixture(t)
	owners := Assign(f.graph(), 2)
	// chain: the most of shard 2's partitions on one path of the graph,
	// each waiting for the one before.
	g, depth, chain := f.graph(), map[PartitionID]int{}, 0
	for _, id := range []PartitionID{"src@a", "src@b", "mid@a", "mid@b", "sink"} { // topological
		for _, u := range g.Needs[id] {
			depth[id] = max(depth[id], depth[u])
		}
		if owners[id] == 2 {
			depth[id]++
		}
		chain = max(chain, depth[id])
	}
	if chain < 2 {
		t.Skipf("the assignment %v gives shard 2 no two partitions one after the other", owners)
	}
	const delay = 700 * time.Millisecond
	e, step := f.shardEngine()
	start := time.Now()
	sum, err := e.Run(context.Background(), RunConfig{Jobs: 2, Shard: Shard{Index: 1, Count: 2, Takeover: delay}})
	if err != nil || sum.Err() != nil {
		t.Fatalf("run: %v, %v", err, sum.Err())
	}
	if got := step.executed(); len(got) != len(all) {
		t.Fatalf("executed %v, want every partition (shard 2 never ran)", got)
	}
	if took := time.Since(start); took >= time.Duration(chain)*delay {
		t.Errorf("the run took %v for %d of the absent shard's partitions one after the other: the delay (%v) was waited out again after the first takeover", took, chain, delay)
	}
}

// msgHook closes seen when a log line with message msg is written.
type msgHook struct {
	msg  string
	once sync.Once
	seen chan struct{}
}

func (h *msgHook) Run(_ *zerolog.Event, _ zerolog.Level, msg string) {
	if msg == h.msg {
		h.once.Do(func() { close(h.seen) })
	}
}

// TestShardWaitStops: a shard waiting for another's partition stops waiting
// on a graceful stop; the partitions it waited for are interrupted, not
// failed, and nothing ran.
func TestShardWaitStops(t *testing.T) {
	f := newFixture(t)
	step := newFake()
	hook := &msgHook{msg: "waiting for the shard that owns this partition", seen: make(chan struct{})}
	e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": step}, Store: f.st,
		LockPath: filepath.Join(f.dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.New(io.Discard).Hook(hook)})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() { <-hook.seen; close(stop) }()
	// Shard 2 of 2 owns src@b and mid@b; they need nothing of shard 1's,
	// so shard 1 (src@a, mid@a, sink) is the one that waits.
	sum, err := e.Run(context.Background(), RunConfig{Jobs: 1, Stop: stop, Shard: Shard{Index: 1, Count: 2, Takeover: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 0 || sum.Interrupted == 0 {
		t.Errorf("failed %d, interrupted %d; want 0 and some", sum.Failed, sum.Interrupted)
	}
	for _, r := range sum.Results {
		if r.ID == "sink" && r.Outcome == Executed {
			t.Error("sink executed without src@b and mid@b")
		}
	}
}
