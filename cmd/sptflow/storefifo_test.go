//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// demoRun makes a project of the demo pipeline in a temp directory, runs
// it once (sim models) and returns the directory.
func demoRun(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the demo pipeline")
	}
	dir := t.TempDir()
	demoProject(t, dir)
	if r := sptflowIn(t, dir, nil, "run", "pipelines/demo.yaml"); r.code != 0 || newRequests(t, r.stdout) == 0 {
		t.Fatalf("first run: exit %d\n%s\n%s", r.code, r.stdout, lastLines(r.stderr, 20))
	}
	return dir
}

// oneFile returns the one file glob matches below dir (the first, in
// name order, when several do).
func oneFile(t *testing.T, dir, glob string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil || len(m) == 0 {
		t.Fatalf("no file matches %s: %v", glob, err)
	}
	return m[0]
}

// TestStoreFIFONeverBlocks: a named pipe in place of any store file a
// command reads (the stat cache, the layout file, a manifest entry, a key
// info, an object, a request-log segment) makes no command wait on it:
// `status` and `run --force` end (sptflowIn fails the test if they do not
// within its timeout). A damaged metadata file is a warning or a miss, the
// segment a failed run that names it and sends nothing.
func TestStoreFIFONeverBlocks(t *testing.T) {
	dir := demoRun(t)
	for _, glob := range []string{
		".sptflow/statcache.json", ".sptflow/layout", manifestGlob, ".sptflow/keys/*/*.json", objectGlob,
		".sptflow/records/requests/log/*.seg",
	} {
		t.Run(glob, func(t *testing.T) {
			p := oneFile(t, dir, glob)
			saved, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = os.RemoveAll(p)
				if err := os.WriteFile(p, saved, 0o644); err != nil {
					t.Fatal(err)
				}
			}()
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			if r := sptflowIn(t, dir, nil, "status", "pipelines/demo.yaml"); r.code != 0 {
				t.Errorf("status: exit %d\n%s\n%s", r.code, r.stdout, lastLines(r.stderr, 10))
			}
			r := sptflowIn(t, dir, nil, "run", "pipelines/demo.yaml", "--force")
			if !strings.HasSuffix(glob, ".seg") {
				return
			}
			if r.code == 0 || newRequests(t, r.stdout) != 0 || !strings.Contains(r.stdout, p) {
				t.Errorf("run --force with a named pipe for a segment: exit %d, %d requests sent\nwant: a failure naming %s, nothing sent\n%s",
					r.code, newRequests(t, r.stdout), p, lastLines(r.stdout, 10))
			}
		})
	}
}

// TestUnreadableRequestLogSegment: a request-log segment that cannot be
// read (here a directory in its place; a chmod 000 file is the same for a
// user other than root) never makes a run buy its responses again
// silently. `run --force` sends nothing and fails, naming the file and
// what to do, with one warning; `gc` reports the segment, leaves it alone
// and finishes. Put back, the segment serves every response: nothing was
// lost or paid twice.
func TestUnreadableRequestLogSegment(t *testing.T) {
	dir := demoRun(t)
	seg := oneFile(t, dir, ".sptflow/records/requests/log/*.seg")
	saved, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(seg); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(seg, 0o755); err != nil {
		t.Fatal(err)
	}

	r := sptflowIn(t, dir, nil, "run", "pipelines/demo.yaml", "--force")
	if n := newRequests(t, r.stdout); r.code == 0 || n != 0 {
		t.Errorf("run --force: exit %d, %d requests sent\nwant: a failure, nothing sent\n%s", r.code, n, lastLines(r.stdout, 10))
	}
	for _, want := range []string{seg + " cannot be read (not a regular file (a directory))", "make it readable, or move it out of"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("run --force output got:\n%s\nwant: %q", lastLines(r.stdout, 10), want)
		}
	}
	if n := strings.Count(r.stderr, "record log requests: segment "+seg+" cannot be read"); n != 1 {
		t.Errorf("run --force warnings about the segment got: %d\nwant: 1\n%s", n, lastLines(r.stderr, 20))
	}

	r = sptflowIn(t, dir, nil, "gc")
	if r.code != 0 || !strings.Contains(r.stdout, "unreadable request-log segments left alone: 1") ||
		!strings.Contains(r.stderr, "segment "+seg+" cannot be read") {
		t.Errorf("gc: exit %d\nstdout:\n%s\nstderr:\n%s\nwant: success, the segment reported", r.code, r.stdout, r.stderr)
	}
	if fi, err := os.Stat(seg); err != nil || !fi.IsDir() {
		t.Errorf("after gc, %s: %v, %v; want it left in place", seg, fi, err)
	}

	if err := os.Remove(seg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seg, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	r = sptflowIn(t, dir, nil, "run", "pipelines/demo.yaml", "--force")
	if n := newRequests(t, r.stdout); r.code != 0 || n != 0 {
		t.Errorf("run --force with the segment back: exit %d, %d requests sent\nwant: success, every response from the store\n%s",
			r.code, n, lastLines(r.stdout+r.stderr, 20))
	}
}
