package engine

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Event types, as written to the journal.
const (
	EventRunStart  = "run_start"
	EventStarted   = "started"
	EventCached    = "cached"
	EventSucceeded = "succeeded"
	EventFailed    = "failed"
	EventSkipped   = "skipped"
	// EventInterrupted: a partition stopped by an interrupt, or not started
	// because of one; nothing was sealed.
	EventInterrupted = "interrupted"
	// EventWaiting: a partition that ended waiting on work outside the run
	// (provider batches in flight under --no-wait); nothing was sealed and
	// nothing failed. EventNotStarted: one that did not start because a
	// partition it needs is waiting.
	EventWaiting    = "waiting"
	EventNotStarted = "not_started"
	// EventInterrupt: the run was asked to stop (the first Ctrl-C); what
	// was in flight then may still finish.
	EventInterrupt = "interrupt"
	EventRunEnd    = "run_end"
	// EventEstimate records, before the first partition runs, what the
	// run was estimated to send and cost per node (and a "total" entry).
	EventEstimate = "estimate"
)

// Event is one thing that happened in a run; the journal stores one per line.
type Event struct {
	Time       time.Time   `json:"time"`
	Type       string      `json:"event"`
	Partition  PartitionID `json:"partition,omitempty"`
	Node       string      `json:"node,omitempty"`
	Key        string      `json:"key,omitempty"`
	Output     string      `json:"output,omitempty"`
	DurationMS int64       `json:"duration_ms,omitempty"`
	Usage      *Usage      `json:"usage,omitempty"`
	Error      string      `json:"error,omitempty"`
	// FailedRows are the failed rows a succeeded partition was sealed
	// with (a failure budget; asked again by the next run).
	FailedRows int `json:"failed_rows,omitempty"`

	// Run start and end only.
	Pipeline string   `json:"pipeline,omitempty"`
	Args     []string `json:"args,omitempty"`
	Summary  *Counts  `json:"summary,omitempty"`

	// Estimate only.
	Estimates []NodeEstimate `json:"estimates,omitempty"`
}

// Counts are a run's totals.
type Counts struct {
	Executed int `json:"executed"`
	Cached   int `json:"cached"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	// Interrupted partitions (an interrupt stopped them); absent in
	// journals of earlier versions.
	Interrupted int `json:"interrupted,omitempty"`
	// Waiting partitions (on provider batches) and those not started
	// because of them; absent when none, and in earlier journals.
	Waiting    int `json:"waiting,omitempty"`
	NotStarted int `json:"not_started,omitempty"`
}

// Rows is a running partition's progress.
type Rows struct {
	Total, Done, Cached, Failed int
	Usage                       Usage
}

// Monitor observes a run: the command's progress display and the journal.
// Methods are called concurrently and must not block for long.
type Monitor interface {
	Event(ev Event)
	Progress(id PartitionID, rows Rows)
}

// Monitors fans events out to several monitors.
type Monitors []Monitor

// Event implements Monitor.
func (ms Monitors) Event(ev Event) {
	for _, m := range ms {
		m.Event(ev)
	}
}

// Progress implements Monitor.
func (ms Monitors) Progress(id PartitionID, rows Rows) {
	for _, m := range ms {
		m.Progress(id, rows)
	}
}

// event stamps ev and hands it to m.
func (e *Engine) event(m Monitor, ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	if m != nil {
		m.Event(ev)
	}
}

// finished logs and reports a partition's result.
func (e *Engine) finished(m Monitor, n *node, res *PartitionResult) {
	ev := Event{Partition: res.ID, Node: n.spec.Node, DurationMS: res.Duration.Milliseconds()}
	if !res.Key.IsZero() {
		ev.Key = res.Key.String()
	}
	if !res.Output.IsZero() {
		ev.Output = res.Output.String()
	}
	log := e.opt.Log.With().Str(FieldPartition, string(res.ID)).Str(FieldNode, n.spec.Node).Int64(FieldDuration, ev.DurationMS).Logger()
	switch res.Outcome {
	case Executed:
		ev.Type, ev.FailedRows = EventSucceeded, res.FailedRows
		if !emptyUsage(res.Usage) {
			u := res.Usage
			ev.Usage = &u
		}
		log.Info().Str(FieldStatus, string(Executed)).Str(FieldKey, res.Key.Short()).Msg("executed")
	case Cached:
		ev.Type = EventCached
		log.Debug().Str(FieldStatus, string(Cached)).Str(FieldKey, res.Key.Short()).Msg("cached")
	case Interrupted:
		ev.Type, ev.Error = EventInterrupted, errString(res.Err)
		log.Warn().Str(FieldStatus, string(Interrupted)).Err(res.Err).Msg("interrupted")
	case Waiting:
		ev.Type, ev.Error = EventWaiting, errString(res.Err)
		log.Info().Str(FieldStatus, string(Waiting)).Err(res.Err).Msg("waiting")
	default:
		ev.Type, ev.Error = EventFailed, errString(res.Err)
		log.Error().Str(FieldStatus, string(Failed)).Err(res.Err).Msg("failed")
	}
	e.event(m, ev)
}

// eventOf is the journal event of a partition that did not run.
func eventOf(o Outcome) string {
	switch o {
	case Interrupted:
		return EventInterrupted
	case NotStarted:
		return EventNotStarted
	}
	return EventSkipped
}

func emptyUsage(u Usage) bool {
	return u.Requests == 0 && u.Cached == 0 && u.Failed == 0 && u.InputTokens == 0 &&
		u.OutputTokens == 0 && u.CostUSD == 0 && u.ServedCostUSD == 0 && len(u.ServedModels) == 0
}

// meter is a running partition's Progress and Meter.
type meter struct {
	id  PartitionID
	mon Monitor
	mu  sync.Mutex
	r   Rows
}

var (
	_ Progress = (*meter)(nil)
	_ Meter    = (*meter)(nil)
)

func newMeter(id PartitionID, mon Monitor) *meter { return &meter{id: id, mon: mon} }

// SetTotal implements Progress.
func (m *meter) SetTotal(n int) { m.update(func(r *Rows) { r.Total = n }) }

// Done implements Progress.
func (m *meter) Done(n, cached, failed int) {
	m.update(func(r *Rows) { r.Done += n; r.Cached += cached; r.Failed += failed })
}

// Add implements Meter.
func (m *meter) Add(u Usage) {
	m.update(func(r *Rows) { r.Usage.Add(u) })
}

func (m *meter) update(fn func(*Rows)) {
	m.mu.Lock()
	fn(&m.r)
	r := m.r
	r.Usage.ServedModels = append([]string(nil), r.Usage.ServedModels...)
	m.mu.Unlock()
	if m.mon != nil {
		m.mon.Progress(m.id, r)
	}
}

func (m *meter) usage() Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.r.Usage
	u.ServedModels = append([]string(nil), u.ServedModels...)
	return u
}

// addDollars returns a+b in whole nano-dollars. Floating-point sums depend
// on their order, and a partition's calls finish in any order: summed as
// floats, one run's lock file said 0.42557999999999996 and the next one's
// 0.42558 for the same calls. Rounded to nano-dollars at each step, every
// order gives the same number (each operand is within a rounding error of
// a whole count of nano-dollars, so the sum is that of the counts).
func addDollars(a, b float64) float64 {
	return float64(math.Round(a*1e9)+math.Round(b*1e9)) / 1e9
}

// Add adds v to u: counts, tokens and cost are summed, and v's served
// models not yet in u are added, u's kept sorted (calls finish in any
// order; the lock file lists them the same way every run).
func (u *Usage) Add(v Usage) {
	u.Requests += v.Requests
	u.Cached += v.Cached
	u.Failed += v.Failed
	u.InputTokens += v.InputTokens
	u.OutputTokens += v.OutputTokens
	u.CacheRead += v.CacheRead
	u.CacheWrite += v.CacheWrite
	u.CostUSD = addDollars(u.CostUSD, v.CostUSD)
	u.ServedCostUSD = addDollars(u.ServedCostUSD, v.ServedCostUSD)
	for _, m := range v.ServedModels {
		if i, found := slices.BinarySearch(u.ServedModels, m); !found {
			u.ServedModels = slices.Insert(u.ServedModels, i, m)
		}
	}
}
