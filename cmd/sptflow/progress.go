package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/sptflow/sptflow/engine"
)

// progressMonitor is the run's progress display: an engine.Monitor that is
// stopped once the run is over.
type progressMonitor interface {
	engine.Monitor
	// Stop removes the display; logOut gets the log lines again.
	Stop()
}

// newProgress returns the progress display for a run: bars when stderr is a
// terminal (and logs are not JSON), throttled log lines otherwise. logOut
// is where the console log writes; while bars are shown, log lines go above
// them.
func newProgress(e *env, log zerolog.Logger, logOut *redirect) progressMonitor {
	if isTerminal(e.stderr) && e.logFormat != "json" {
		return newBars(e.stderr, logOut)
	}
	return newLogProgress(log, 10*time.Second)
}

// logProgress reports running partitions as log lines: one when a
// partition starts and, while it runs, at most one every interval with rows
// done/total, cached, failed and (when reported) requests, tokens and cost.
type logProgress struct {
	log      zerolog.Logger
	interval time.Duration
	mu       sync.Mutex
	last     map[engine.PartitionID]time.Time
}

func newLogProgress(log zerolog.Logger, interval time.Duration) *logProgress {
	return &logProgress{log: log, interval: interval, last: map[engine.PartitionID]time.Time{}}
}

// Stop implements progressMonitor.
func (p *logProgress) Stop() {}

// Event implements engine.Monitor.
func (p *logProgress) Event(ev engine.Event) {
	switch ev.Type {
	case engine.EventStarted:
		p.log.Info().Str(engine.FieldPartition, string(ev.Partition)).Str(engine.FieldNode, ev.Node).Msg("started")
	case engine.EventSkipped:
		p.log.Warn().Str(engine.FieldPartition, string(ev.Partition)).Str(engine.FieldStatus, "skipped").Msg(ev.Error)
	}
}

// Progress implements engine.Monitor.
func (p *logProgress) Progress(id engine.PartitionID, r engine.Rows) {
	p.mu.Lock()
	now := time.Now()
	due := now.Sub(p.last[id]) >= p.interval || (r.Total > 0 && r.Done == r.Total)
	if due {
		p.last[id] = now
	}
	p.mu.Unlock()
	if !due {
		return
	}
	ev := p.log.Info().Str(engine.FieldPartition, string(id)).Int(engine.FieldRows, r.Done).Int("total", r.Total).
		Int("cached", r.Cached).Int("failed", r.Failed)
	if u := r.Usage; u.Requests > 0 {
		ev = ev.Int("requests", u.Requests).Int64("tokens", u.InputTokens+u.OutputTokens).Float64("cost_usd", u.CostUSD)
	}
	ev.Msg("progress")
}

// bars shows one progress bar per running partition (mpb): rows
// done/total, cached, failed, requests per minute, tokens and cost. A bar
// disappears when its partition finishes; the engine's log line says how.
type bars struct {
	p      *mpb.Progress
	logOut *redirect

	mu      sync.Mutex
	running map[engine.PartitionID]*bar
}

// bar is one running partition's bar and its latest figures.
type bar struct {
	b       *mpb.Bar
	started time.Time
	mu      sync.Mutex
	rows    engine.Rows
}

func newBars(w io.Writer, logOut *redirect) *bars {
	p := mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(200*time.Millisecond))
	logOut.set(p)
	return &bars{p: p, logOut: logOut, running: map[engine.PartitionID]*bar{}}
}

// Event implements engine.Monitor.
func (b *bars) Event(ev engine.Event) {
	switch ev.Type {
	case engine.EventStarted:
		b.start(ev.Partition)
	case engine.EventSucceeded, engine.EventFailed, engine.EventInterrupted:
		b.finish(ev.Partition, ev.Type == engine.EventSucceeded)
	}
}

func (b *bars) start(id engine.PartitionID) {
	br := &bar{started: time.Now()}
	br.b = b.p.New(0, mpb.BarStyle(),
		mpb.PrependDecorators(decor.Name(string(id), decor.WCSyncSpaceR),
			decor.Any(br.counts, decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.Any(br.usage, decor.WCSyncSpaceR)),
		mpb.BarRemoveOnComplete())
	b.mu.Lock()
	b.running[id] = br
	b.mu.Unlock()
}

func (b *bars) finish(id engine.PartitionID, ok bool) {
	b.mu.Lock()
	br := b.running[id]
	delete(b.running, id)
	b.mu.Unlock()
	if br == nil {
		return
	}
	if ok {
		br.b.SetTotal(-1, true)
		return
	}
	br.b.Abort(true)
}

// Progress implements engine.Monitor.
func (b *bars) Progress(id engine.PartitionID, r engine.Rows) {
	b.mu.Lock()
	br := b.running[id]
	b.mu.Unlock()
	if br == nil {
		return
	}
	br.mu.Lock()
	br.rows = r
	br.mu.Unlock()
	if r.Total > 0 {
		br.b.SetTotal(int64(r.Total), false)
	}
	br.b.SetCurrent(int64(r.Done))
}

// Stop implements progressMonitor: it removes the bars still shown (a
// cancelled run) and gives the log its terminal back.
func (b *bars) Stop() {
	b.mu.Lock()
	for id, br := range b.running {
		br.b.Abort(true)
		delete(b.running, id)
	}
	b.mu.Unlock()
	b.logOut.set(nil)
	b.p.Wait()
}

// counts renders "done/total rows, cached, failed".
func (br *bar) counts(decor.Statistics) string {
	br.mu.Lock()
	r := br.rows
	br.mu.Unlock()
	return barCounts(r)
}

// usage renders "requests/min, tokens, cost" once requests were sent.
func (br *bar) usage(decor.Statistics) string {
	br.mu.Lock()
	r, since := br.rows, time.Since(br.started)
	br.mu.Unlock()
	return barUsage(r.Usage, since)
}

func barCounts(r engine.Rows) string {
	total := "?"
	if r.Total > 0 {
		total = fmt.Sprint(r.Total)
	}
	return fmt.Sprintf("%d/%s rows  %d cached  %d failed", r.Done, total, r.Cached, r.Failed)
}

func barUsage(u engine.Usage, since time.Duration) string {
	if u.Requests == 0 && u.Cached == 0 {
		return ""
	}
	rpm := 0.0
	if m := since.Minutes(); m > 0 {
		rpm = float64(u.Requests) / m
	}
	return fmt.Sprintf("%.0f req/min  %s tok  $%.2f", rpm, shortCount(u.InputTokens+u.OutputTokens), u.CostUSD)
}

// shortCount renders n as 950, 12.3k or 4.56M.
func shortCount(n int64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// redirect is the console log's output: stderr, or the bar container while
// bars are shown (mpb prints such lines above the bars).
type redirect struct {
	mu       sync.Mutex
	base, to io.Writer
}

func (r *redirect) set(w io.Writer) { r.mu.Lock(); r.to = w; r.mu.Unlock() }

func (r *redirect) Write(p []byte) (int, error) {
	r.mu.Lock()
	w := r.to
	r.mu.Unlock()
	if w != nil {
		if n, err := w.Write(p); err == nil {
			return n, nil
		}
	}
	return r.base.Write(p)
}
