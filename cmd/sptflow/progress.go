package main

import (
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
)

// progress reports running partitions as log lines: one when a partition
// starts and, while it runs, at most one every interval with rows
// done/total, cached, failed and (when reported) requests, tokens and cost.
type progress struct {
	log      zerolog.Logger
	interval time.Duration
	mu       sync.Mutex
	last     map[engine.PartitionID]time.Time
}

func newProgress(w io.Writer, log zerolog.Logger, terminal bool) *progress {
	iv := 10 * time.Second
	if terminal {
		iv = 2 * time.Second
	}
	return &progress{log: log, interval: iv, last: map[engine.PartitionID]time.Time{}}
}

// Event implements engine.Monitor.
func (p *progress) Event(ev engine.Event) {
	switch ev.Type {
	case engine.EventStarted:
		p.log.Info().Str(engine.FieldPartition, string(ev.Partition)).Str(engine.FieldNode, ev.Node).Msg("started")
	case engine.EventSkipped:
		p.log.Warn().Str(engine.FieldPartition, string(ev.Partition)).Str(engine.FieldStatus, "skipped").Msg(ev.Error)
	}
}

// Progress implements engine.Monitor.
func (p *progress) Progress(id engine.PartitionID, r engine.Rows) {
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
