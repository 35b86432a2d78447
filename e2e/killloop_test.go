package e2e

import (
	"context"
	"encoding/json"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/store"
)

// killLoopCount is how many runs TestKillLoop kills per pipeline: 16 (32
// in all) by default, 4 with -short, 60 with SPT_LONG_TESTS=1.
func killLoopCount() int {
	switch {
	case os.Getenv("SPT_LONG_TESTS") == "1":
		return 60
	case testing.Short():
		return 4
	}
	return 16
}

// TestKillLoop kills `sptflow run` with SIGKILL at random moments (a
// seeded RNG picks the delay after the run has started, that is after its
// journal exists), over and over, on the demo pipeline and on the
// reference pipeline (on small fixture data), each with outputs
// materialized by the default mode and hard-linked to read-only store
// objects (SPTFLOW_MATERIALIZE=hardlink); every fourth run is a plain
// one, the others --force runs, so that kills keep landing in work. A last run then brings
// the project up to date: its outputs equal an uninterrupted run's (up to
// times of day), its lock file pins every partition's current key, and no
// temporary file is left anywhere in the project.
func TestKillLoop(t *testing.T) {
	t.Parallel()
	ref := referenceFixture(t)
	reference := []string{"run", "pipelines/reference.yaml", "--set", "source=in/src", "--set", "eval_results=in/evals",
		"--set", "topics=[sycophancy,jailbreak_attempts]", "--data", "out"}
	for _, tc := range []struct {
		name string
		args []string
		data string   // output directory, relative to the project
		env  []string // the projects' extra environment
		// linked: the outputs must end hard-linked to read-only objects
		linked bool
	}{
		{"demo", []string{"run", "pipelines/demo.yaml"}, "data/demo", nil, false},
		{"reference", reference, "out", nil, false},
		// Outputs hard-linked to their store objects (the default for
		// users other than root; root, as in CI, copies by default): a
		// kill between linking and recording must not leave a data file
		// the next run trusts wrongly, nor a writable object.
		{"demo, hard links", []string{"run", "pipelines/demo.yaml"}, "data/demo", []string{store.MaterializeEnv + "=hardlink"}, true},
		{"reference, hard links", reference, "out", []string{store.MaterializeEnv + "=hardlink"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clean := newProject(t)
			clean.env = tc.env
			ref.writeTo(clean)
			clean.run(tc.args...)
			start := time.Now()
			clean.run(append(tc.args[:len(tc.args):len(tc.args)], "--force")...)
			span := time.Since(start) // kills fall within a forced run's length
			want := normalized(files(t, filepath.Join(clean.dir, tc.data)))

			p := newProject(t)
			p.env = tc.env
			ref.writeTo(p)
			r := rand.New(rand.NewPCG(uint64(len(tc.name)), 10))
			killed, seen := 0, 0 // seen: temp files found right after the kills
			for i := 0; killed < killLoopCount(); i++ {
				if i > 10*killLoopCount() {
					t.Fatalf("only %d of %d runs were killed before they ended", killed, i)
				}
				args := tc.args
				if i%4 != 0 {
					args = append(args[:len(args):len(args)], "--force")
				}
				if killAtRandom(t, p, args, r, span) {
					killed++
					seen += len(tempFiles(t, p.dir))
				}
			}
			t.Logf("%d kills; %d temporary files found after them (each run removes the previous ones)", killed, seen)
			p.run(tc.args...)
			compareFiles(t, normalized(files(t, filepath.Join(p.dir, tc.data))), want)
			if tc.linked {
				checkLinked(t, filepath.Join(p.dir, tc.data, "stage_3_tagged"))
			}
			if got, want := lockKeys(t, p), statusKeys(t, p, tc.args); !maps.Equal(got, want) {
				t.Errorf("lock file after the kills and a run: partitions and keys\n%v\nwant (status: every partition up to date)\n%v", got, want)
			}
			if left := tempFiles(t, p.dir); len(left) > 0 {
				t.Errorf("after %d kills and a run, temporary files are left: %v", killed, left)
			}
		})
	}
}

// checkLinked fails t unless every file under dir is read-only and has
// another link (its store object).
func checkLinked(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		links := uint64(0)
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			links = uint64(st.Nlink)
		}
		if links < 2 || fi.Mode().Perm()&0o222 != 0 {
			t.Errorf("%s: mode %v, %d links: want a read-only hard link to its store object", path, fi.Mode(), links)
		}
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Errorf("no hard-linked outputs checked under %s: %v", dir, err)
	}
}

// killAtRandom starts sptflow, waits for its run to have started (a new
// journal in the store), waits a random delay shorter than span and kills
// it with SIGKILL.
// It reports whether the process was killed (rather than done before).
func killAtRandom(t *testing.T, p *project, args []string, r *rand.Rand, span time.Duration) bool {
	t.Helper()
	before := journals(p)
	cmd := p.command(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for len(journals(p)) == len(before) {
		select {
		case err := <-exited: // done before the poll saw it start
			if err != nil {
				t.Fatalf("sptflow %s: %v", strings.Join(args, " "), err)
			}
			return false
		case <-ctx.Done():
			t.Fatal("the run did not start within a minute")
		case <-time.After(time.Millisecond): // poll for the journal
		}
	}
	select {
	case <-exited:
		return false
	case <-time.After(time.Duration(r.Int64N(int64(span)))): // the random moment of the kill
	}
	_ = cmd.Process.Kill()
	err := <-exited
	return err != nil && strings.Contains(err.Error(), "killed")
}

// journals returns the run journals in p's store.
func journals(p *project) []string {
	m, _ := filepath.Glob(filepath.Join(p.dir, ".sptflow", "runs", "*", "journal.jsonl"))
	return m
}

// lockKeys reads the node key of every partition of p's lock file.
func lockKeys(t *testing.T, p *project) map[string]string {
	t.Helper()
	lf, err := store.ReadLockFile(filepath.Join(p.dir, "sptflow.lock"), lockyaml.Codec{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, parts := range lf.Pipelines {
		for id, e := range parts {
			out[name+"/"+id] = e.Key
		}
	}
	return out
}

// statusKeys returns the current key of every partition `status --json`
// reports, which must all be up to date, by pipeline/partition.
func statusKeys(t *testing.T, p *project, runArgs []string) map[string]string {
	t.Helper()
	args := append([]string{"status", "--json"}, runArgs[1:]...)
	cmd := p.command(args...)
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("sptflow %s: %v", strings.Join(args, " "), err)
	}
	var st struct {
		Pipeline   string `json:"pipeline"`
		Partitions []struct {
			ID, State, Key string
		} `json:"partitions"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, pt := range st.Partitions {
		if pt.State != "up-to-date" {
			t.Errorf("after the last run, %s is %s", pt.ID, pt.State)
		}
		out[st.Pipeline+"/"+pt.ID] = pt.Key
	}
	return out
}

// tempFiles lists the temporary files (of any sptflow version's naming)
// anywhere below dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && (strings.HasPrefix(d.Name(), ".sptflow-tmp-") || strings.HasPrefix(d.Name(), ".tmp-")) {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// fixture is the small original-layout data of the reference pipeline's
// script test (cmd/sptflow/testdata/script/reference.txtar, files in/).
type fixture []txtar.File

func referenceFixture(t *testing.T) fixture {
	t.Helper()
	a, err := txtar.ParseFile(filepath.Join(repoRoot(), "cmd", "sptflow", "testdata", "script", "reference.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	for _, f := range a.Files {
		if strings.HasPrefix(f.Name, "in/") {
			fx = append(fx, f)
		}
	}
	if len(fx) == 0 {
		t.Fatal("reference.txtar has no in/ files")
	}
	return fx
}

func (fx fixture) writeTo(p *project) {
	for _, f := range fx {
		p.write(f.Name, string(f.Data))
	}
}
