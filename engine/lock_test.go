package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/store"
)

// TestLockWrittenOncePerRun: no partition's entry reaches the lock file
// while the run goes on; all of them land when it ends, also when it is
// interrupted.
func TestLockWrittenOncePerRun(t *testing.T) {
	f := newFixture(t)
	started := make(chan struct{})
	f.step.block["sink"] = started
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Summary)
	go func() {
		sum, _ := f.engine().Run(ctx, RunConfig{})
		done <- sum
	}()
	<-started // src and mid are sealed; sink is running
	if _, err := os.Stat(filepath.Join(f.dir, "sptflow.lock")); !os.IsNotExist(err) {
		t.Errorf("lock file written during the run (%v); want it written once, at the end", err)
	}
	cancel()
	<-done
	lf, err := store.ReadLockFile(filepath.Join(f.dir, "sptflow.lock"), lockyaml.Codec{})
	if err != nil {
		t.Fatal(err)
	}
	got := lf.Pipelines["test"]
	for _, id := range []string{"src@a", "src@b", "mid@a", "mid@b"} {
		if _, ok := got[id]; !ok {
			t.Errorf("interrupted run: lock lacks %s (got %v)", id, got)
		}
	}
	if _, ok := got["sink"]; ok {
		t.Error("interrupted run: lock records sink, which never sealed")
	}
}

// TestDamagedLockRebuilt: a damaged or conflicted lock file is a warning
// naming the line, and is rebuilt from the store: this pipeline's entries
// come back as they were, another pipeline's intact entries are kept.
func TestDamagedLockRebuilt(t *testing.T) {
	f := newFixture(t)
	f.run(RunConfig{})
	lockPath := filepath.Join(f.dir, "sptflow.lock")
	other := store.LockEntry{Key: strings.Repeat("ab", 32), Output: strings.Repeat("cd", 32), Produced: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := store.UpdateLockFile(lockPath, lockyaml.Codec{}, func(lf *store.LockFile) error {
		lf.Pipelines["other"] = map[string]store.LockEntry{"x": other}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(lockPath)
	orig, err := store.ReadLockFile(lockPath, lockyaml.Codec{})
	if err != nil {
		t.Fatal(err)
	}
	text := string(good)
	sinkAt := strings.Index(text, "    sink:")
	conflict := text[:sinkAt] + "<<<<<<< HEAD\n" + text[sinkAt:sinkAt+10] + "=======\n" + text[sinkAt:sinkAt+10] + ">>>>>>> other\n" + text[sinkAt:]
	conflictLine := strings.Count(text[:sinkAt], "\n") + 1
	tests := []struct {
		name, text, want string
	}{
		{"merge conflict", conflict, "sptflow.lock has unresolved merge conflict markers at line " + strconv.Itoa(conflictLine) + "; rebuilding it"},
		{"truncated", text[:len(text)*2/3], "sptflow.lock is damaged at line "},
		{"bad indentation", strings.Replace(text, "    sink:", "   sink:", 1), "sptflow.lock is damaged at line "},
		{"garbage", "\x00\x01\x02", "sptflow.lock is damaged"},
	}
	for _, tt := range tests {
		if err := os.WriteFile(lockPath, []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		e, err := New(f.graph(), Options{Steps: map[string]Step{"fake": f.step}, Store: f.st,
			LockPath: lockPath, LockCodec: lockyaml.Codec{}, Log: zerolog.New(&log)})
		if err != nil {
			t.Fatalf("%s: New: %v", tt.name, err)
		}
		sts, err := e.Status(context.Background())
		if err != nil {
			t.Fatalf("%s: Status: %v", tt.name, err)
		}
		for _, st := range sts {
			if st.State != UpToDate {
				t.Errorf("%s: %s is %s, want up-to-date", tt.name, st.ID, st.State)
			}
		}
		if !strings.Contains(log.String(), tt.want) || strings.Count(log.String(), "rebuilding it") != 1 {
			t.Errorf("%s: log:\n%s\nwant one warning containing %q", tt.name, log.String(), tt.want)
		}
		keepsOther := tt.name == "merge conflict" || tt.name == "bad indentation" // damage before it
		if got, _ := os.ReadFile(lockPath); keepsOther && string(got) != string(good) {
			t.Errorf("%s: rebuilt lock file:\n%s\nwant:\n%s", tt.name, got, good)
		}
		lf, err := store.ReadLockFile(lockPath, lockyaml.Codec{})
		if err != nil {
			t.Fatalf("%s: rebuilt lock file does not read: %v", tt.name, err)
		}
		if !reflect.DeepEqual(lf.Pipelines["test"], orig.Pipelines["test"]) {
			t.Errorf("%s: rebuilt entries:\n%v\nwant:\n%v", tt.name, lf.Pipelines["test"], orig.Pipelines["test"])
		}
		if sum := f.run(RunConfig{}); sum.Executed != 0 {
			t.Errorf("%s: run after the rebuild executed %d partitions, want 0", tt.name, sum.Executed)
		}
	}
}
