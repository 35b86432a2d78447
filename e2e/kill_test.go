package e2e

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
)

// killSize is the experiment of the kill tests: two topics, three batches
// of three items each.
var killSize = experiment("[sycophancy, reward_hacks]", 3, 3)

// TestKillAndResume kills sptflow with SIGKILL while generate, infer and
// intervene (generation and review) are running, after the fake servers
// have received a random number K of requests of that kind (held
// unanswered from then on), then runs it again. Every file the resumed run
// materializes equals, byte for byte up to the times of day, that of an
// uninterrupted run in another project sharing nothing; and no request
// body reached the servers twice except those in flight at the kill.
func TestKillAndResume(t *testing.T) {
	t.Parallel()
	ref := newProject(t)
	ref.write(e2ePipeline, killSize)
	refFakes := newFakes(t, ref, fakeOptions{latency: 20 * time.Millisecond})
	ref.run("run", e2ePipeline, "tag", "export")
	want := normalized(files(t, ref.data()))
	sends := bodyCounts(refFakes.all())
	for _, k := range []kind{stage1, stage2, stage3, review} {
		if total := refFakes.count(k); total < 2 {
			t.Fatalf("the clean run sent %d %s requests; the kill test needs more", total, k)
		}
	}
	cases := []struct {
		kind kind
		seed uint64
	}{{stage1, 1}, {stage1, 2}, {stage2, 3}, {stage2, 4}, {stage3, 5}, {stage3, 6}, {review, 7}}
	for _, c := range cases {
		r := rand.New(rand.NewPCG(c.seed, 0))
		k := 1 + r.IntN(refFakes.count(c.kind)-1)
		t.Run(fmt.Sprintf("%s#%d", c.kind, k), func(t *testing.T) {
			t.Parallel()
			killAndResume(t, c.kind, k, want, sends)
		})
	}
}

func killAndResume(t *testing.T, k kind, n int, want map[string][]byte, sends map[[32]byte]int) {
	p := newProject(t)
	p.write(e2ePipeline, killSize)
	f := newFakes(t, p, fakeOptions{latency: 20 * time.Millisecond})
	cmd, _, exited := runFrozenAt(t, p, f, k, n, "run", e2ePipeline, "tag", "export")
	waitStored(t, p, f)
	f.anthropic.markKilled()
	f.openrouter.markKilled()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	before := f.all()
	f.anthropic.thaw()
	f.openrouter.thaw()

	p.run("run", e2ePipeline, "tag", "export")
	compareFiles(t, normalized(files(t, p.data())), want)
	checkResent(t, before, f.all(), sends)
}

func bodyCounts(rs []received) map[[32]byte]int {
	n := map[[32]byte]int{}
	for _, r := range rs {
		n[r.body]++
	}
	return n
}

// checkResent checks that, across the killed run and the resumed one, no
// request body reached the servers more often than in the uninterrupted
// run (sends) plus the times it was in flight at the kill (received, never
// answered). The batches of a stage-1 partition are replicas of one
// request: the same body, sent once per batch, so bodies are counted, not
// just seen.
func checkResent(t *testing.T, before, all []received, sends map[[32]byte]int) {
	t.Helper()
	inFlight := map[[32]byte]int{}
	for _, r := range before {
		if !r.answered {
			inFlight[r.body]++
		}
	}
	got, again := bodyCounts(all), 0
	for _, r := range all {
		n, limit := got[r.body], sends[r.body]+inFlight[r.body]
		if n > limit {
			t.Errorf("%s request (%s, %.60q) received %d times, want at most %d (%d in the uninterrupted run, %d in flight at the kill)",
				r.kind, r.model, r.user, n, limit, sends[r.body], inFlight[r.body])
		}
		if n > sends[r.body] {
			again++
		}
		got[r.body] = 0 // count and report each body once
	}
	t.Logf("received %d requests before the kill (%d in flight), %d in all; %d bodies sent again", len(before), len(inFlight), len(all), again)
}

// Times of day are the only bytes two runs may differ in: batch ids and
// timestamps come from when the responses were stored, stage-2
// generation_time is a measured latency and stage-3 generation_time an
// epoch time.
var timeREs = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`\d{8}_\d{6}`), "YYYYMMDD_HHMMSS"},
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?`), "ISOTIME"},
	{regexp.MustCompile(`("generation_time": )-?[0-9.eE+-]+`), "${1}0"},
}

func normalize(b []byte) []byte {
	for _, r := range timeREs {
		b = r.re.ReplaceAll(b, []byte(r.repl))
	}
	return b
}

func normalized(fs map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(fs))
	for name, b := range fs {
		out[string(normalize([]byte(name)))] = normalize(b)
	}
	return out
}

// compareFiles reports every file that is missing, extra or different
// (the first differences of a few in detail).
func compareFiles(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var bad []string
	for _, n := range names {
		g, gok := got[n]
		w, wok := want[n]
		switch {
		case !gok:
			bad = append(bad, n+" (missing)")
		case !wok:
			bad = append(bad, n+" (extra)")
		case !bytes.Equal(g, w):
			bad = append(bad, n)
			if len(bad) <= 3 {
				i := firstDiff(g, w)
				t.Errorf("%s differs at byte %d:\n got %s\nwant %s", n, i, around(g, i), around(w, i))
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d of %d files differ from the uninterrupted run: %s", len(bad), len(names), strings.Join(bad, ", "))
	}
	if len(names) == 0 {
		t.Errorf("no files")
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func around(b []byte, i int) string {
	lo, hi := max(0, i-80), min(len(b), i+80)
	return strings.ReplaceAll(string(b[lo:hi]), "\n", "⏎")
}

// waitStored waits, once the servers hold every new request, until no
// reply is being written, every request the run's spend ledger says it sent
// has reached the servers (none is in transit, to be received after the
// kill), the ledger accounts for every reply written, each good one stored
// ("answered" then means "stored" when the run is killed), and the run is
// idle: every partition it started and did not finish (journal) waits for
// a request held by the servers (ledger). The kill then comes while
// requests are in flight, never while an output is being written.
func waitStored(t *testing.T, p *project, f *fakes) {
	t.Helper()
	waitFor(t, "every answered request to be stored and the run to be idle", func() bool {
		_, a := f.anthropic.busy()
		_, o := f.openrouter.busy()
		if a+o > 0 {
			return false
		}
		all := f.all()
		answered := 0
		for _, r := range all {
			if r.answered {
				answered++
			}
		}
		spent, replies := ledger(t, p)
		return spent.Requests == int64(len(all)) && replies == answered && spent.Lost == 0 && idle(t, p)
	})
}

// idle reports whether every partition the project's only run started and
// did not finish has a request out (sent, no reply).
func idle(t *testing.T, p *project) bool {
	dirs, _ := filepath.Glob(filepath.Join(p.dir, ".sptflow", "runs", "*"))
	if len(dirs) != 1 {
		return false
	}
	evs, err := engine.ReadJournal(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	running := map[string]bool{}
	for _, ev := range evs {
		switch ev.Type {
		case engine.EventStarted:
			running[string(ev.Partition)] = true
		case engine.EventSucceeded, engine.EventFailed, engine.EventInterrupted:
			delete(running, string(ev.Partition))
		}
	}
	lines, err := llm.ReadLedger(filepath.Join(dirs[0], "spend.jsonl"))
	if err != nil {
		return false
	}
	out := map[uint64]string{}
	for _, l := range lines {
		switch l.Event {
		case llm.SpendSent:
			out[l.Call] = l.Partition
		case llm.SpendReply:
			delete(out, l.Call)
		}
	}
	waiting := map[string]bool{}
	for _, part := range out {
		waiting[part] = true
	}
	for part := range running {
		if !waiting[part] {
			return false
		}
	}
	return true
}

// runFrozenAt starts `sptflow ARGS...` and returns once the servers hold
// the n-th request of kind k; from then on both servers hold every request
// (whichever fires first, the other must stop answering too). It returns
// the process, its combined output and a channel that receives its exit.
func runFrozenAt(t *testing.T, p *project, f *fakes, k kind, n int, args ...string) (*exec.Cmd, *bytes.Buffer, <-chan error) {
	t.Helper()
	fired := make(chan struct{})
	trigger := func(r *received, count int) bool { return r.kind == k && count == n }
	f.anthropic.freezeWhen(fired, trigger)
	f.openrouter.freezeWhen(fired, trigger)
	go func() {
		<-fired
		f.anthropic.freeze()
		f.openrouter.freeze()
	}()
	cmd := p.command(args...)
	out := new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-fired:
	case err := <-exited:
		t.Fatalf("the run ended (%v) before request %d of %s\n%s", err, n, k, tail(out.String(), 20))
	case <-time.After(2 * time.Minute):
		t.Fatalf("request %d of %s never came", n, k)
	}
	return cmd, out, exited
}
