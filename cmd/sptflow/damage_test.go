package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestStoreDamageHealsInOneRun is the store's fault-injection test: after
// a full run of the demo pipeline (sim models), it damages each kind of
// store file in turn (flips a byte, truncates, deletes: objects, manifest
// entries, key infos, the request-log segment) and runs again. The first
// rerun must exit 0, leave data/ byte-identical to the first run's,
// request again at most the responses whose log entries were damaged, and
// repair the store: the damaged file is back byte for byte (objects,
// manifest entries, key infos), and a further run has nothing to do.
func TestStoreDamageHealsInOneRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo pipeline some 20 times")
	}
	t.Setenv("SPTFLOW_HOME", "")
	for _, k := range []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY"} {
		t.Setenv(k, "")
	}
	// Node keys depend on the project's location (referenced inputs are
	// recorded by absolute path), so every case runs in the same
	// directory, restored from a copy of the first run's state.
	work, backup := t.TempDir(), t.TempDir()
	demoProject(t, work)
	t.Chdir(work)
	out := runOK(t, "run", "pipelines/demo.yaml")
	if newRequests(t, out) == 0 {
		t.Fatalf("first run sent no request:\n%s", out)
	}
	wantData := readTree(t, "data")
	if err := os.CopyFS(backup, os.DirFS(work)); err != nil {
		t.Fatal(err)
	}
	manifests := manifestObjects(t)

	type damage struct {
		name string
		do   func([]byte) []byte // nil: delete
	}
	damages := []damage{
		{"flip", func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b }},
		// The length field of the log entry after the middle (what made
		// 12-101 of 102 responses be requested again).
		{"flip entry header", func(b []byte) []byte {
			i := bytes.Index(b[len(b)/2:], []byte{'s', 'p', 'l', 2})
			b[len(b)/2+i+6] ^= 0x10
			return b
		}},
		{"truncate", func(b []byte) []byte { return b[:len(b)/2] }},
		{"delete", nil},
	}
	// A damaged object or key info must be back byte for byte after the
	// rerun. A manifest (entry or object) is sealed again with a new
	// production time, so its bytes change: the run after the rerun
	// having nothing to do shows it repaired.
	kinds := []struct {
		name, glob string
		all        bool // damage every file, not one
		log        bool // the request log: rerun with --force, count lost entries
	}{
		{"object", objectGlob, false, false},
		{"manifest object", objectGlob, false, false},
		{"every object", objectGlob, true, false},
		{"manifest entry", manifestGlob, false, false},
		{"key info", ".sptflow/keys/*/*.json", false, false},
		{"request log segment", ".sptflow/records/requests/log/*.seg", false, true},
	}
	for _, k := range kinds {
		for _, d := range damages {
			if d.name == "flip entry header" && !k.log {
				continue
			}
			t.Run(k.name+"/"+d.name, func(t *testing.T) {
				restore(t, backup, work)
				files, _ := filepath.Glob(k.glob)
				if len(files) == 0 {
					t.Fatalf("no store file matches %s", k.glob)
				}
				slices.Sort(files)
				switch k.name {
				case "object":
					files = slices.DeleteFunc(files, func(f string) bool { return manifests[filepath.Base(f)] })
				case "manifest object":
					files = slices.DeleteFunc(files, func(f string) bool { return !manifests[filepath.Base(f)] })
				}
				if !k.all {
					files = files[len(files)/2 : len(files)/2+1]
				}
				mayLose := 0
				for _, f := range files {
					b, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					if k.log {
						mayLose += lostLogEntries(b, d.do)
					}
					if d.do == nil {
						err = os.Remove(f)
					} else {
						err = os.WriteFile(f, d.do(b), 0o644)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				args := []string{"run", "pipelines/demo.yaml"}
				if k.log {
					args = []string{"run", "--force", "pipelines/demo.yaml"}
				}
				out := runOK(t, args...)
				if got := newRequests(t, out); got > mayLose {
					t.Errorf("rerun sent %d requests, want at most %d (the damaged entries)\n%s", got, mayLose, out)
				}
				got, want := readTree(t, "data"), wantData
				if k.log {
					// A response requested again is a new response: only
					// the time it was received may differ.
					got, want = maskResponseTimes(got), maskResponseTimes(want)
				}
				if p, ok := treesEqual(got, want); !ok {
					t.Errorf("data/ after the rerun differs from the first run's: %s", p)
				}
				if k.glob != manifestGlob && !k.log {
					for _, f := range files {
						if manifests[filepath.Base(f)] {
							continue
						}
						got, err := os.ReadFile(f)
						want, _ := os.ReadFile(filepath.Join(backup, f))
						if err != nil || !bytes.Equal(got, want) {
							t.Errorf("%s not repaired by the rerun (err %v)", f, err)
						}
					}
				}
				if out := runOK(t, "run", "pipelines/demo.yaml"); !strings.Contains(out, "nothing to do") {
					t.Errorf("second rerun did work:\n%s", out)
				}
			})
		}
	}
}

const (
	objectGlob   = ".sptflow/objects/*/*"
	manifestGlob = ".sptflow/manifests/*/*.json"
)

// manifestObjects returns the names of the objects that hold manifests.
func manifestObjects(t *testing.T) map[string]bool {
	t.Helper()
	ptrs, _ := filepath.Glob(manifestGlob)
	names := map[string]bool{}
	for _, p := range ptrs {
		b, err := os.ReadFile(p)
		var ptr struct{ Manifest string }
		if err != nil || json.Unmarshal(b, &ptr) != nil || ptr.Manifest == "" {
			t.Fatalf("manifest entry %s: %v %q", p, err, b)
		}
		names[ptr.Manifest] = true
	}
	if len(names) == 0 {
		t.Fatal("no manifest entry")
	}
	return names
}

// restore makes dir a copy of backup again.
func restore(t *testing.T, backup, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(dir, os.DirFS(backup)); err != nil {
		t.Fatal(err)
	}
}

// demoProject copies the demo pipeline, its prompts and training config
// into dir, with an empty store.
func demoProject(t *testing.T, dir string) {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"pipelines", "prompts", "config"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(repo, sub))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".sptflow"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a buffer safe for concurrent writes, as os.Stderr is
// (the run logs from several goroutines).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runOK runs sptflow in-process and returns its standard output.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr syncBuffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("sptflow %v: %v\n%s\n%s", args, err, stdout.String(), lastLines(stderr.String(), 20))
	}
	return stdout.String()
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

var newRequestsRE = regexp.MustCompile(`llm calls: (\d+) new`)

// newRequests returns the requests a run summary says were sent.
func newRequests(t *testing.T, out string) int {
	t.Helper()
	m := newRequestsRE.FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// lostLogEntries counts the entries of a request-log segment that damage
// (nil: deletion) can cost: those it touches or cuts off. Entries start
// with a magic number.
func lostLogEntries(seg []byte, damage func([]byte) []byte) int {
	magic := []byte{'s', 'p', 'l', 2}
	var starts []int
	for i := 0; ; {
		j := bytes.Index(seg[i:], magic)
		if j < 0 {
			break
		}
		starts = append(starts, i+j)
		i += j + 1
	}
	if damage == nil {
		return len(starts)
	}
	damaged := damage(slices.Clone(seg))
	lost := 0
	for i, s := range starts {
		end := len(seg)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		if end > len(damaged) || !bytes.Equal(seg[s:end], damaged[s:end]) {
			lost++
		}
	}
	return lost
}

// readTree returns the files below dir by relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// treesEqual compares two trees; if they differ it names a path that does.
func treesEqual(a, b map[string][]byte) (string, bool) {
	for p, x := range a {
		if y, ok := b[p]; !ok || !bytes.Equal(x, y) {
			return p, false
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			return p, false
		}
	}
	return "", true
}

var (
	responseTimeRE = regexp.MustCompile(`"(generation_time|generation_timestamp|timestamp)": *("[^"]*"|[0-9.eE+-]+)`)
	batchTimeRE    = regexp.MustCompile(`20\d{6}_\d{6}`)
)

// maskResponseTimes returns the tree with the times responses were
// received replaced by constants: a generation's generation_time(stamp), a
// review's or feedback's timestamp, and the time in the names of the
// batches (and their files) stage 1 generated.
func maskResponseTimes(tree map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(tree))
	for p, b := range tree {
		b = responseTimeRE.ReplaceAll(b, []byte(`"$1": 0`))
		out[batchTimeRE.ReplaceAllString(p, "T")] = batchTimeRE.ReplaceAll(b, []byte("T"))
	}
	return out
}
