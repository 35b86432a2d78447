//go:build unix

package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// TestMatchInputFilesSetsProblemsApart: per-file problems are returned
// apart from the files that digest, naming each file by its portable name;
// only a missing required input is an error.
func TestMatchInputFilesSetsProblemsApart(t *testing.T) {
	root := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("in/a.json", "{}")
	write("in/sub/b.json", "{}")
	write("in/big.json", "0123456789")
	write("in/skipped.txt", "")
	write("in/dir.json/inside.txt", "") // a batch file replaced by a directory
	if err := syscall.Mkfifo(filepath.Join(root, "in/fifo.json"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink("nothere", filepath.Join(root, "in/dangling.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop.json", filepath.Join(root, "in/loop.json")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "in/fifo.txt"), 0o644); err != nil { // not matched: no problem
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(root, ".sptflow"))
	if err != nil {
		t.Fatal(err)
	}
	ins := []InputSpec{{Path: "in", Pattern: "**/*.json"}, {Path: "nothere", Optional: true}}
	files, problems, err := matchInputFiles(root, ins, st.DigestStat, 5)
	if err != nil {
		t.Fatalf("got error %v\nwant: none", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, " "), "in/a.json in/sub/b.json"; got != want {
		t.Errorf("files got: %s\nwant: %s", got, want)
	}
	wantProblems := []string{
		"input in/dir.json: a directory, where the pattern **/*.json names data files",
		"input in/big.json: file is 10 B, over the limit of 5 B",
		"input in/dangling.json: no such file or directory",
		"input in/fifo.json: not a regular file (a named pipe)",
		"input in/loop.json: too many levels of symbolic links",
	}
	got := problemList(problems)
	if len(got) != len(wantProblems) {
		t.Fatalf("problems got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantProblems, "\n"))
	}
	for i, w := range wantProblems {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("problem %d got: %s\nwant: %s…", i, got[i], w)
		}
	}

	if _, _, err := matchInputFiles(root, []InputSpec{{Path: "nothere"}}, st.DigestStat, 0); err == nil || !strings.Contains(err.Error(), "missing input nothere") {
		t.Errorf("required missing input: got %v\nwant: missing input nothere", err)
	}
	if _, err := MatchInputs(root, ins, st.DigestFile); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("MatchInputs got: %v\nwant: the per-file problems as its error", err)
	}
}

// TestInputProblemsNameActionablePaths: a problem names its file or
// directory by its path below the project root (however deep the input's
// directory lies), or, outside the root, by its absolute path, not by a
// path relative to the input directory's parent or a portable name such
// as external#0/x.json. An unreadable input directory is a problem of its
// partition, not a configuration error.
func TestInputProblemsNameActionablePaths(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	mkdir := func(p string) {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mkdir(filepath.Join(root, "data/src/topic/batch_1.json")) // a directory where a batch file belongs
	mkdir(filepath.Join(outside, "ev/quantitative/results_x.json"))
	if err := syscall.Mkfifo(filepath.Join(outside, "ev/quantitative/results_y.json"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ins := []InputSpec{{Path: "data/src/topic", Pattern: "batch_*.json"}, {Path: filepath.Join(outside, "ev"), Pattern: "quantitative/results_*.json"}}
	_, problems, err := matchInputFiles(root, ins, func(string, fs.FileInfo) (Digest, int64, error) { return Digest{}, 0, nil }, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"input data/src/topic/batch_1.json: a directory, where the pattern batch_*.json names data files",
		"input " + filepath.Join(outside, "ev/quantitative/results_x.json") + ": a directory, where the pattern quantitative/results_*.json names data files",
		"input " + filepath.Join(outside, "ev/quantitative/results_y.json") + ": not a regular file (a named pipe)",
	}
	if got := problemList(problems); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	if os.Geteuid() == 0 {
		t.Log("running as root: an unreadable directory cannot be made here; its case is left out")
		return
	}
	locked := filepath.Join(root, "data/src/locked")
	mkdir(locked)
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	_, problems, err = matchInputFiles(root, []InputSpec{{Path: "data/src/locked", Pattern: "batch_*.json"}}, nil, 0)
	if err != nil {
		t.Fatalf("an unreadable input directory: got the configuration error %v, want a problem of the partition", err)
	}
	if got := problemList(problems); len(got) != 1 || !strings.HasPrefix(got[0], "input directory data/src/locked: permission denied") {
		t.Errorf("problems got %q, want the unreadable directory's", got)
	}
}

// TestOpenSealedInput: a referenced input reads back only while it has the
// size and content it was sealed with.
func TestOpenSealedInput(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	sealed := []byte(`{"a": 1}`)
	mf := store.ManifestFile{Path: "stage/f.json", External: "src/f.json", Digest: store.DigestOf(sealed), Size: int64(len(sealed))}
	tests := []struct {
		name, content string
		want          string // "" for the sealed bytes
	}{
		{"unchanged", string(sealed), ""},
		{"same size, other bytes", `{"a": 2}`, "changed since it was sealed"},
		{"grew", `{"a": 10}`, "changed since it was sealed"},
		{"shrank", `{}`, "changed since it was sealed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			of := OutputFile{Path: mf.Path, Size: mf.Size, Open: func() (io.ReadCloser, error) { return openSealedInput(p, mf) }}
			got, err := of.ReadAll()
			if tt.want == "" {
				if err != nil || string(got) != string(sealed) {
					t.Fatalf("got: %q, %v\nwant: %q", got, err, sealed)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got: %q, %v\nwant an error containing %q", got, err, tt.want)
			}
		})
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openSealedInput(filepath.Join(dir, "fifo"), mf); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("fifo: got %v\nwant: not a regular file", err)
	}
}

// TestDigestMatchedKnownInline: files the known digester vouches for are
// not given to the digester, and the results keep the list's order.
func TestDigestMatchedKnownInline(t *testing.T) {
	var matched []matchedInput
	for i := range 6 {
		name := fmt.Sprintf("f%d.json", i)
		matched = append(matched, matchedInput{f: InputFile{Abs: "/" + name, Name: name}})
	}
	var mu sync.Mutex
	var digested []string
	digest := func(abs string, _ fs.FileInfo, _ store.Observer) (Digest, int64, bool, error) {
		mu.Lock()
		digested = append(digested, abs)
		mu.Unlock()
		return store.DigestOf([]byte(abs)), 1, false, nil
	}
	known := func(abs string, _ fs.FileInfo) (Digest, int64, bool) {
		i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(abs, "/f"), ".json"))
		return store.DigestOf([]byte(abs)), 2, i%2 == 0
	}
	files, problems := digestMatched(matched, digest, nil, known, nil)
	if problems != nil {
		t.Fatal(problems)
	}
	var got []string
	for _, f := range files {
		if f.Digest != store.DigestOf([]byte(f.Abs)) {
			t.Errorf("%s: digest of another file", f.Name)
		}
		got = append(got, fmt.Sprintf("%s:%d", f.Name, f.Size))
	}
	if want := "f0.json:2 f1.json:1 f2.json:2 f3.json:1 f4.json:2 f5.json:1"; strings.Join(got, " ") != want {
		t.Errorf("files got: %s\nwant: %s", strings.Join(got, " "), want)
	}
	slices.Sort(digested)
	if want := "/f1.json /f3.json /f5.json"; strings.Join(digested, " ") != want {
		t.Errorf("digested: %s, want only the unknown files: %s", strings.Join(digested, " "), want)
	}
}

// TestDigestMatchedPairs: with a pair digester, the files to read go two
// at a time, each with the one nearest its size (the largest first), the
// odd one alone; known files go to neither, and the results keep the
// list's order.
func TestDigestMatchedPairs(t *testing.T) {
	dir := t.TempDir()
	sizes := []int{5, 40, 7, 30, 6, 50, 20, 1}
	var matched []matchedInput
	for i, size := range sizes {
		name := fmt.Sprintf("f%d.json", i)
		abs := filepath.Join(dir, name)
		if err := os.WriteFile(abs, bytes.Repeat([]byte{'x'}, size), 0o644); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			t.Fatal(err)
		}
		matched = append(matched, matchedInput{f: InputFile{Abs: abs, Name: name}, fi: fi})
	}
	var mu sync.Mutex
	var calls []string
	call := func(s string) {
		mu.Lock()
		calls = append(calls, s)
		mu.Unlock()
	}
	one := func(abs string, fi fs.FileInfo, _ store.Observer) (Digest, int64, bool, error) {
		call(filepath.Base(abs))
		return store.DigestOf([]byte(abs)), fi.Size(), false, nil
	}
	pair := func(a, b string, fa, fb fs.FileInfo, _, _ store.Observer) (x, y store.FileDigest) {
		call(filepath.Base(a) + "+" + filepath.Base(b))
		if strings.HasSuffix(b, "f0.json") {
			y.Err = errors.New("unreadable")
		} else {
			y = store.FileDigest{Digest: store.DigestOf([]byte(b)), Size: fb.Size()}
		}
		return store.FileDigest{Digest: store.DigestOf([]byte(a)), Size: fa.Size()}, y
	}
	known := func(abs string, fi fs.FileInfo) (Digest, int64, bool) {
		return store.DigestOf([]byte(abs)), fi.Size(), strings.HasSuffix(abs, "f3.json")
	}
	files, problems := digestMatched(matched, one, pair, known, nil)
	slices.Sort(calls)
	// By size, the files to read: f5 50, f1 40, f6 20, f2 7, f4 6, f0 5, f7 1.
	if got, want := strings.Join(calls, " "), "f4.json+f0.json f5.json+f1.json f6.json+f2.json f7.json"; got != want {
		t.Errorf("calls: %s\nwant: %s", got, want)
	}
	if problems == nil || !strings.Contains(problems.Error(), "f0.json") || !strings.Contains(problems.Error(), "unreadable") {
		t.Errorf("problems: %v, want f0.json unreadable", problems)
	}
	var got []string
	for _, f := range files {
		if f.Digest != store.DigestOf([]byte(f.Abs)) {
			t.Errorf("%s: digest of another file", f.Name)
		}
		got = append(got, fmt.Sprintf("%s:%d", f.Name, f.Size))
	}
	if want := "f1.json:40 f2.json:7 f3.json:30 f4.json:6 f5.json:50 f6.json:20 f7.json:1"; strings.Join(got, " ") != want {
		t.Errorf("files got: %s\nwant: %s", strings.Join(got, " "), want)
	}
}

// TestDigestMatchedKeepsOrder: files are digested several at once, and
// the files and problems come back in the list's order whatever order the
// digests finish in.
func TestDigestMatchedKeepsOrder(t *testing.T) {
	const n = 8
	var matched []matchedInput
	for i := range n {
		name := fmt.Sprintf("f%d.json", i)
		if i%3 == 1 {
			matched = append(matched, matchedInput{prob: fmt.Errorf("input %s: matched problem", name)})
			continue
		}
		matched = append(matched, matchedInput{f: InputFile{Abs: "/" + name, Name: name}})
	}
	var running, most atomic.Int32
	digest := func(abs string, _ fs.FileInfo, _ store.Observer) (Digest, int64, bool, error) {
		for now := running.Add(1); ; {
			if m := most.Load(); now <= m || most.CompareAndSwap(m, now) {
				break
			}
		}
		defer running.Add(-1)
		i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(abs, "/f"), ".json"))
		time.Sleep(time.Duration(n-i) * 2 * time.Millisecond) // later files finish first
		if i%3 == 2 {
			return Digest{}, 0, false, errors.New("unreadable")
		}
		return store.DigestOf([]byte(abs)), int64(i), false, nil
	}
	files, problems := digestMatched(matched, digest, nil, nil, nil)
	var names []string
	for _, f := range files {
		if f.Digest != store.DigestOf([]byte(f.Abs)) || f.Name != fmt.Sprintf("f%d.json", f.Size) {
			t.Errorf("%s: digest or size of another file", f.Name)
		}
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, " "), "f0.json f3.json f6.json"; got != want {
		t.Errorf("files got: %s\nwant: %s", got, want)
	}
	want := []string{
		"input f1.json: matched problem", "input f2.json: unreadable", "input f4.json: matched problem",
		"input f5.json: unreadable", "input f7.json: matched problem",
	}
	if got := problemList(problems); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if runtime.GOMAXPROCS(0) > 1 && most.Load() < 2 {
		t.Errorf("at most %d digest at once, want several (GOMAXPROCS %d)", most.Load(), runtime.GOMAXPROCS(0))
	}
}

// TestNamesFiles: a pattern whose last element has literal text names data
// files, so a directory it matches is a problem; one of wildcards only
// matches directories as readily, and they are skipped.
func TestNamesFiles(t *testing.T) {
	for pattern, want := range map[string]bool{
		"*.json": true, "batch_*.json": true, "**/*.json": true, "quantitative/results_*.json": true,
		"*": false, "**/*": false, "sub/?": false, "x": true,
	} {
		if got := namesFiles(pattern); got != want {
			t.Errorf("namesFiles(%q) = %v, want %v", pattern, got, want)
		}
	}
}
