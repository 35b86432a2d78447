package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
)

// runDirs lists the run directories of st.
func runDirs(t *testing.T, st *store.Store) []string {
	t.Helper()
	dirs, err := st.RunDirs()
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

func TestLazyRunRecord(t *testing.T) {
	tests := []struct {
		name   string
		act    func(r *runRecord)
		create bool
	}{
		{"no-op events and the start line", func(r *runRecord) {}, false},
		{"a partition starts", func(r *runRecord) { r.Event(engine.Event{Type: engine.EventStarted, Partition: "a"}) }, true},
		{"a partition fails", func(r *runRecord) { r.Event(engine.Event{Type: engine.EventFailed, Partition: "a"}) }, true},
		{"a log line after the start", func(r *runRecord) { r.Write([]byte("restored\n")) }, true},
		{"an LLM call", func(r *runRecord) { r.Note(context.Background(), llm.Spend{Model: "m"}) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := store.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			r, err := newRunRecord(st, "run1", true)
			if err != nil {
				t.Fatal(err)
			}
			r.Write([]byte("run started\n"))
			r.arm()
			r.Event(engine.Event{Type: engine.EventRunStart, Pipeline: "p"})
			r.Event(engine.Event{Type: engine.EventCached, Partition: "a"})
			tt.act(r)
			r.Event(engine.Event{Type: engine.EventRunEnd, Pipeline: "p"})
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			dirs := runDirs(t, st)
			if got := len(dirs) == 1; got != tt.create {
				t.Fatalf("run directories: got %v, want one: %v", dirs, tt.create)
			}
			if !tt.create {
				if r.Dir() != "" {
					t.Errorf("Dir: got %q, want none", r.Dir())
				}
				return
			}
			if r.Dir() != dirs[0] {
				t.Errorf("Dir: got %q, want %q", r.Dir(), dirs[0])
			}
			evs, err := engine.ReadJournal(dirs[0])
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) < 3 || evs[0].Type != engine.EventRunStart || evs[1].Type != engine.EventCached || evs[len(evs)-1].Type != engine.EventRunEnd {
				t.Errorf("journal: got %+v, want run_start, cached, ..., run_end", evs)
			}
			b, err := os.ReadFile(filepath.Join(dirs[0], "run.log"))
			if err != nil || !strings.HasPrefix(string(b), "run started\n") {
				t.Errorf("run.log: got %q, %v; want it to start with the buffered line", b, err)
			}
		})
	}
}

func TestEagerRunRecord(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRunRecord(st, "run1", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if dirs := runDirs(t, st); len(dirs) != 1 || r.Dir() != dirs[0] {
		t.Errorf("run directories: got %v (Dir %q), want the record's", dirs, r.Dir())
	}
}
