package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
)

// progressMonitor is the run's progress display: an engine.Monitor that is
// stopped once the run is over.
type progressMonitor interface {
	engine.Monitor
	// Stop removes the display; logOut gets the log lines again.
	Stop()
}

// runInfo is what the progress display knows of the whole run: how many
// partitions it considers, the LLM runtime's figures and the providers
// each partition calls.
type runInfo struct {
	partitions int
	totals     func() llm.Totals
	activity   func() llm.Activity
	providers  func(engine.PartitionID) []string
	batches    func() []llm.BatchProgress // provider batches being polled
}

// newProgress returns the progress display for a run: bars when stderr is a
// terminal (and logs are not JSON), log lines otherwise. logOut is where
// the console log writes; while bars are shown, log lines go above them.
func newProgress(e *env, log zerolog.Logger, logOut *redirect, info runInfo) progressMonitor {
	if isTerminal(e.stderr) && e.logFormat != "json" {
		return newBars(e.stderr, logOut, info)
	}
	return newLogProgress(log, 10*time.Second)
}

// logProgress reports partitions as log lines: one (info) when a partition
// starts and, while it runs, at most one (debug) every interval with rows
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
	case engine.EventNotStarted:
		p.log.Info().Str(engine.FieldPartition, string(ev.Partition)).Str(engine.FieldStatus, "not_started").Msg(ev.Error)
	}
}

// Progress implements engine.Monitor.
func (p *logProgress) Progress(id engine.PartitionID, r engine.Rows) {
	if p.log.GetLevel() > zerolog.DebugLevel {
		return
	}
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
	ev := p.log.Debug().Str(engine.FieldPartition, string(id)).Int(engine.FieldRows, r.Done).Int("total", r.Total).
		Int("cached", r.Cached).Int("failed", r.Failed)
	if u := r.Usage; u.Requests > 0 {
		ev = ev.Int("requests", u.Requests).Int64("tokens", u.InputTokens+u.OutputTokens).Float64("cost_usd", u.CostUSD)
	}
	ev.Msg("progress")
}

// bars shows one overall line (partitions done/total, requests, cost,
// elapsed time, ETA, what the models wait for) above one line per running
// partition (rows done/total, cached, failed, requests, cost, waiting or
// retrying). Every line is rendered to the terminal's width: names are
// shortened and details dropped, never the counts. A partition's line
// disappears when it finishes; the engine's log line says how.
type bars struct {
	p       *mpb.Progress
	logOut  *redirect
	info    runInfo
	started time.Time
	total   *mpb.Bar

	mu      sync.Mutex
	done    int // partitions finished (any outcome, cached included)
	running map[engine.PartitionID]*bar
}

// bar is one running partition's line and its latest figures.
type bar struct {
	id        engine.PartitionID
	b         *mpb.Bar
	providers []string
	mu        sync.Mutex
	rows      engine.Rows
}

func newBars(w io.Writer, logOut *redirect, info runInfo) *bars {
	p := mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(200*time.Millisecond))
	logOut.set(p)
	b := &bars{p: p, logOut: logOut, info: info, started: time.Now(), running: map[engine.PartitionID]*bar{}}
	b.total = p.New(int64(max(info.partitions, 1)), mpb.NopStyle(),
		mpb.PrependDecorators(decor.Any(func(st decor.Statistics) string { return b.overall(st.AvailableWidth) })))
	return b
}

// Event implements engine.Monitor.
func (b *bars) Event(ev engine.Event) {
	switch ev.Type {
	case engine.EventStarted:
		b.start(ev.Partition)
	case engine.EventSucceeded, engine.EventFailed, engine.EventInterrupted, engine.EventWaiting:
		b.finish(ev.Partition, ev.Type == engine.EventSucceeded)
	case engine.EventCached, engine.EventSkipped, engine.EventNotStarted:
		b.count()
	}
}

func (b *bars) start(id engine.PartitionID) {
	br := &bar{id: id}
	if b.info.providers != nil {
		br.providers = b.info.providers(id)
	}
	br.b = b.p.New(0, mpb.NopStyle(),
		mpb.PrependDecorators(decor.Any(func(st decor.Statistics) string { return b.partition(br, st.AvailableWidth) })),
		mpb.BarRemoveOnComplete())
	b.mu.Lock()
	b.running[id] = br
	b.mu.Unlock()
}

func (b *bars) count() {
	b.mu.Lock()
	b.done++
	b.mu.Unlock()
	b.total.IncrBy(1)
}

func (b *bars) finish(id engine.PartitionID, ok bool) {
	b.mu.Lock()
	br := b.running[id]
	delete(b.running, id)
	b.mu.Unlock()
	b.count()
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
}

// Stop implements progressMonitor: it removes the partition lines still
// shown (a cancelled run), leaves the overall line as it ended and gives
// the log its terminal back.
func (b *bars) Stop() {
	b.mu.Lock()
	for id, br := range b.running {
		br.b.Abort(true)
		delete(b.running, id)
	}
	b.mu.Unlock()
	b.total.SetTotal(-1, true)
	b.p.Wait()
	b.logOut.set(nil)
}

// overall renders the overall line at most width columns wide.
func (b *bars) overall(width int) string {
	b.mu.Lock()
	o := overallFigures{done: b.done, total: b.info.partitions, elapsed: time.Since(b.started)}
	for _, br := range b.running {
		br.mu.Lock()
		if r := br.rows; r.Total > 0 {
			o.partial += float64(min(r.Done, r.Total)) / float64(r.Total)
		}
		br.mu.Unlock()
	}
	b.mu.Unlock()
	if b.info.totals != nil {
		t := b.info.totals()
		o.requests, o.cost = t.Attempts, t.CostUSD
	}
	if b.info.activity != nil {
		o.state = activityState(b.info.activity(), nil, time.Now())
	}
	if b.info.batches != nil {
		o.batches = batchesLine(b.info.batches(), time.Now())
	}
	return overallLine(o, width)
}

// partition renders br's line at most width columns wide.
func (b *bars) partition(br *bar, width int) string {
	br.mu.Lock()
	r := br.rows
	br.mu.Unlock()
	state := ""
	if b.info.activity != nil && len(br.providers) > 0 {
		state = activityState(b.info.activity(), br.providers, time.Now())
	}
	return partitionLine(string(br.id), r, state, width)
}

// overallFigures are the figures of the overall line.
type overallFigures struct {
	done, total int
	partial     float64 // fractions of the running partitions' rows done
	requests    int64   // HTTP requests sent
	cost        float64
	elapsed     time.Duration
	state       string // what the models wait for, or ""
	batches     string // provider batches in flight (batchesLine), or ""
}

// eta estimates the time left from the share of the work done (finished
// partitions plus the running ones' row fractions); "" until a share is done.
func (o overallFigures) eta() string {
	if o.total == 0 {
		return ""
	}
	f := (float64(o.done) + o.partial) / float64(o.total)
	if f <= 0.02 || o.elapsed < time.Second {
		return "ETA ?"
	}
	if f >= 1 {
		return ""
	}
	left := time.Duration(float64(o.elapsed) * (1 - f) / f)
	return "ETA " + clock(left)
}

// overallLine renders the overall line: "[==>---] 5/14 partitions  104
// requests  $0.0312  0:42  ETA 0:10  waiting: rate limit", dropping the
// bar, then the state's detail, to fit width.
func overallLine(o overallFigures, width int) string {
	parts := []string{fmt.Sprintf("%d/%d partitions", o.done, o.total)}
	parts = append(parts, fmt.Sprintf("%d requests", o.requests), fmt.Sprintf("$%.4f", o.cost), clock(o.elapsed))
	if eta := o.eta(); eta != "" && o.batches == "" { // batches in flight have their own ETA
		parts = append(parts, eta)
	}
	if o.state != "" {
		parts = append(parts, o.state)
	}
	if o.batches != "" {
		parts = append(parts, o.batches)
	}
	text := strings.Join(parts, "  ")
	if barW := min(20, width-len([]rune(text))-3); barW >= 6 && o.total > 0 {
		text = meterBar(float64(o.done)/float64(o.total), barW) + " " + text
	}
	return fit(text, width)
}

// partitionLine renders a running partition: "  intervene@sycophancy
// [==>----] 12/40 rows  3 cached  1 failed  24 req  $0.02  waiting: rate
// limit". To fit width the details go first (cost, requests, failed,
// cached) while the name would be cut below 24 columns, then the bar, then
// the name is shortened: the rows done/total and the state stay.
func partitionLine(name string, r engine.Rows, state string, width int) string {
	total := "?"
	if r.Total > 0 {
		total = fmt.Sprint(r.Total)
	}
	head := fmt.Sprintf("%d/%s rows", r.Done, total)
	var details []string
	if r.Cached > 0 {
		details = append(details, fmt.Sprintf("%d cached", r.Cached))
	}
	if r.Failed > 0 {
		details = append(details, fmt.Sprintf("%d failed", r.Failed))
	}
	if u := r.Usage; u.Requests+u.Cached+u.Failed > 0 {
		details = append(details, fmt.Sprintf("%d req", u.Requests+u.Failed), fmt.Sprintf("$%.2f", u.CostUSD))
	}
	tail := func(n int) string {
		parts := append([]string{head}, details[:n]...)
		if state != "" {
			parts = append(parts, state)
		}
		return strings.Join(parts, "  ")
	}
	const minName, minBar, keepName = 12, 8, 24
	n := len(details)
	for n > 0 && 2+min(len([]rune(name)), keepName)+1+len([]rune(tail(n))) > width {
		n--
	}
	right := tail(n)
	room := width - 2 - len([]rune(right)) - 1 // for the name and the bar
	nameW := min(len([]rune(name)), max(minName, room-minBar-1))
	line := "  " + shorten(name, nameW)
	if barW := min(20, room-nameW-1); barW >= minBar && r.Total > 0 {
		line += " " + meterBar(float64(r.Done)/float64(r.Total), barW)
	}
	return fit(line+" "+right, width)
}

// activityState words what the models wait for: the longest pause in force
// ("waiting: rate limit 12s"), else "retrying" after a 429 or 5xx response
// in the last few seconds. With providers, only those providers' models
// count.
func activityState(a llm.Activity, providers []string, now time.Time) string {
	uses := func(id string) bool {
		if providers == nil {
			return true
		}
		prov, _, _ := strings.Cut(id, "/")
		return slices.Contains(providers, prov)
	}
	var until time.Time
	for id, t := range a.Paused {
		if uses(id) && t.After(until) {
			until = t
		}
	}
	if !until.IsZero() {
		left := until.Sub(now)
		return fmt.Sprintf("waiting: rate limit %s", (left + time.Second - 1).Truncate(time.Second)) // rounded up
	}
	for id := range a.Retrying {
		if uses(id) {
			return "retrying"
		}
	}
	return ""
}

// meterBar renders a fraction as "[=====>----]", width columns wide.
func meterBar(f float64, width int) string {
	in := width - 2
	n := int(f*float64(in) + 0.5)
	n = max(0, min(n, in))
	s := strings.Repeat("=", n)
	if n < in {
		s += ">" + strings.Repeat("-", in-n-1)
	}
	return "[" + s + "]"
}

// shorten cuts s to at most n runes, ending it with "~" when cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return string(r[:max(n, 0)])
	}
	return string(r[:n-1]) + "~"
}

// fit cuts a line to width columns (a terminal too narrow for the whole
// line still sees its start, which holds the counts).
func fit(s string, width int) string {
	if width <= 0 {
		return s
	}
	return shorten(s, width)
}

// clock renders d as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
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
