package store

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// deadPid returns the pid of a process that has exited.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	return cmd.Process.Pid
}

func TestRemoveLeftovers(t *testing.T) {
	dir := t.TempDir()
	dead := strconv.Itoa(deadPid(t))
	write := func(rel string, age time.Duration) string {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
		return p
	}
	write(TempPrefix+dead+"-a", 0)                                 // writer gone: removed
	write("sub/deep/"+TempPrefix+dead+"-b", 0)                     // below: removed when recursive
	write(tempName(""), 0)                                         // ours, being written: kept
	write(TempPrefix+strconv.Itoa(os.Getppid())+"-c", 0)           // a live writer: kept
	write(TempPrefix+strconv.Itoa(os.Getppid())+"-d", 2*TempGrace) // live pid, too old: pid reused, removed
	write(legacyTempPrefix+"x.json.123", time.Minute)              // older version's, young: kept
	write(legacyTempPrefix+"y.json.456", time.Hour)                // older version's, old: removed
	write("skip/"+TempPrefix+dead+"-e", 0)                         // in a skipped directory: kept
	write(".git/"+TempPrefix+dead+"-f", 0)                         // in .git: kept
	write("data.json", time.Hour)                                  // not a temp file: kept
	held := write(TempPrefix+dead+"-g", 0)                         // flocked by a live process: kept
	f, err := os.Open(held)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ok, err := tryLock(f); !ok || err != nil {
		t.Skip("no flock here")
	}

	sc := TempScan{Dir: dir, Recursive: true, Skip: []string{filepath.Join(dir, "skip")}, DryRun: true}
	if got := RemoveLeftovers(sc); got.Files != 4 || got.Bytes != 4*int64(len("partial")) {
		t.Errorf("dry run: got %+v, want 4 files of 7 bytes", got)
	}
	sc.DryRun = false
	if got := RemoveLeftovers(sc); got.Files != 4 {
		t.Errorf("got %+v, want 4 files removed", got)
	}
	var left []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			left = append(left, rel)
		}
		return nil
	})
	for _, gone := range []string{TempPrefix + dead + "-a", "sub/deep/" + TempPrefix + dead + "-b",
		TempPrefix + strconv.Itoa(os.Getppid()) + "-d", legacyTempPrefix + "y.json.456"} {
		if slices.Contains(left, filepath.FromSlash(gone)) {
			t.Errorf("%s left, want it removed", gone)
		}
	}
	if len(left) != 7 {
		t.Errorf("left %d files, want 7: %v", len(left), left)
	}
}
