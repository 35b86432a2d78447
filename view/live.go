package view

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// events streams server-sent events: "update" whenever the data, the
// request store or the latest run's journal or spend ledger changed;
// "data-error" when reading the changed data fails, and again ("error":
// "") once it no longer does.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	ch := make(chan event, 8)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}()
	fmt.Fprintf(w, "event: hello\ndata: {}\n\n")
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-ch:
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, ev.data)
			fl.Flush()
		}
	}
}

// Subscribers counts the open event streams.
func (s *Server) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// liveSignature is the sizes of the latest run's journal and spend
// ledger: they grow as a run goes.
func (s *Server) liveSignature() string {
	var b strings.Builder
	for _, side := range []*Side{s.A, s.B} {
		if side == nil || side.Src.Store == "" {
			continue
		}
		// The batch ledger: a run polling its batches rewrites their counts.
		if es, err := os.ReadDir(filepath.Join(side.Src.Store, store.BatchesDir)); err == nil {
			for _, e := range es {
				if fi, err := e.Info(); err == nil {
					fmt.Fprintf(&b, "%s:%d:%d;", e.Name(), fi.Size(), fi.ModTime().UnixNano())
				}
			}
		}
		runs := runDirs(side.Src.Store, side.Src.Pipeline)
		if len(runs) == 0 {
			continue
		}
		last := runs[len(runs)-1]
		b.WriteString(last)
		for _, f := range []string{"journal.jsonl", "spend.jsonl"} {
			if fi, err := os.Stat(filepath.Join(side.Src.Store, "runs", last, f)); err == nil {
				fmt.Fprintf(&b, ":%d", fi.Size())
			}
		}
	}
	return b.String()
}

// Poll checks once for changes: a run's progress (journal, spend ledger)
// and the data (a new digest rebuilds the index, which replaces the old
// one when built). It tells the subscribers what changed, and what could
// not be read: a side whose data fails to index keeps its index, and is
// tried again at the next poll. The error is that failure.
func (s *Server) Poll(ctx context.Context) error {
	var what []string
	if sig := s.liveSignature(); sig != s.lastSig {
		s.lastSig = sig
		what = append(what, "run")
	}
	var errs []error
	for _, side := range []*Side{s.A, s.B} {
		if side == nil {
			continue
		}
		changed, err := s.reindex(ctx, side)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", side.Src.Name, err))
		}
		if changed && !slices.Contains(what, "data") {
			what = append(what, "data")
		}
	}
	if len(what) > 0 {
		s.send("update", map[string]any{"changed": what, "rows": s.A.ix.Load().Counts})
	}
	err := errors.Join(errs...)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if msg != s.lastErr {
		s.lastErr = msg
		s.send("data-error", map[string]string{"error": msg})
	}
	return err
}

// reindex replaces the side's index when its data changed, and says so.
func (s *Server) reindex(ctx context.Context, side *Side) (bool, error) {
	l, err := side.Src.scan()
	if err != nil {
		return false, err
	}
	d, err := side.Src.digest(l)
	if err != nil {
		return false, err
	}
	if d == side.ix.Load().Digest {
		return false, nil
	}
	ix, err := OpenIndex(ctx, side.Src, s.IndexDir)
	if err != nil {
		return false, err
	}
	old := side.ix.Swap(ix)
	// Requests already reading the old index finish first: it is
	// closed a little later rather than under them.
	time.AfterFunc(time.Minute, func() {
		old.Close()
		if old.Path != ix.Path {
			os.Remove(old.Path) // superseded: the data it indexed is gone
		}
	})
	s.mu.Lock()
	s.pairs, s.report = nil, nil
	s.mu.Unlock()
	return true, nil
}

// send tells every subscriber; one whose queue is full misses the event.
func (s *Server) send(name string, v any) {
	b, _ := json.Marshal(v)
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- event{name, string(b)}:
		default:
		}
	}
}

// Watch polls every interval until ctx ends. A poll's error goes to
// report when it differs from the previous poll's (a failure that lasts
// is reported once).
func (s *Server) Watch(ctx context.Context, interval time.Duration, report func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := s.Poll(ctx)
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			if msg != last && err != nil && ctx.Err() == nil && report != nil {
				report(err)
			}
			last = msg
		}
	}
}
