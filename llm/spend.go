package llm

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/sptflow/sptflow/regfile"
)

// SpendEvent says what one line of a spend ledger records.
type SpendEvent string

// Spend events.
const (
	// SpendSent: one HTTP request is about to go out (one per attempt,
	// transport retries included; one per call for local providers).
	SpendSent SpendEvent = "sent"
	// SpendReply: one provider call ended. Usage and cost are what its
	// response body reported (zero without a body); OK says it validated
	// and is being stored, else Error names why not.
	SpendReply SpendEvent = "reply"
	// SpendStored: the response of the call that ended OK is durably in
	// the request store (the next run will not buy it again).
	SpendStored SpendEvent = "stored"
	// SpendServed: a call was served from the request store (or shared an
	// identical request in flight); Usage and CostUSD are what it
	// originally cost, paid by an earlier call.
	SpendServed SpendEvent = "served"
	// SpendCanary: the call just stored under Key was the canary of a new
	// request shape, sent online before a batch (it is counted by its own
	// sent, reply and stored lines; serving it again to the step that
	// asked for it saves nothing).
	SpendCanary SpendEvent = "canary"
)

// Spend is one line of a run's spend ledger: the durable account of what
// the run sent to providers and what they billed, written as it happens,
// so that it holds whatever becomes of the run.
type Spend struct {
	Event SpendEvent `json:"e"`
	// Call numbers the provider calls of one Runtime; the sent and reply
	// lines of one call share it (0 on served lines).
	Call      uint64    `json:"call,omitempty"`
	Key       string    `json:"key"`   // request key
	Model     string    `json:"model"` // model entry name
	Provider  string    `json:"provider"`
	Partition string    `json:"partition,omitempty"`
	Node      string    `json:"node,omitempty"`
	Served    string    `json:"served_model,omitempty"` // reply: the model that served it
	Usage     Usage     `json:"usage,omitzero"`
	CostUSD   float64   `json:"cost_usd,omitempty"`
	OK        bool      `json:"ok,omitempty"`
	Error     ErrorKind `json:"error,omitempty"` // reply: why it was not stored
	Shared    bool      `json:"shared,omitempty"`
	// Batch is the provider batch of a batch result ("" online); CostUSD
	// is then at the batch price and ListUSD what the same usage costs
	// online.
	Batch   string    `json:"batch,omitempty"`
	ListUSD float64   `json:"list_usd,omitempty"`
	Time    time.Time `json:"time"`
}

// Ledger receives a run's Spend lines (RuntimeConfig.Ledger). ctx is the
// calling step's, so an implementation can attribute the line (to a
// partition, say). Implementations must be safe for concurrent use and
// keep the line before returning, as far as they promise durability.
type Ledger interface {
	Note(ctx context.Context, s Spend)
}

// FileLedger appends Spend lines to a JSONL file, each with a single
// write(2) on a file opened for appending, so every line noted before the
// process dies (Ctrl-C, kill -9, a crash) is in the file; a torn last line
// is skipped by ReadLedger. The file is fsync'd on Close. A machine crash
// can lose unsynced lines; the request records of stored responses (fsync'd
// before a row counts as done) still carry their run id, cost and usage.
type FileLedger struct {
	label func(context.Context) (partition, node string)

	mu  sync.Mutex
	f   *os.File
	err error
}

// OpenLedger opens (creating or appending to) the ledger at path. label,
// if not nil, names the partition and node a line belongs to from its
// caller's context.
func OpenLedger(path string, label func(context.Context) (partition, node string)) (*FileLedger, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open spend ledger: %w", err)
	}
	return &FileLedger{f: f, label: label}, nil
}

// Note implements Ledger.
func (l *FileLedger) Note(ctx context.Context, s Spend) {
	if l.label != nil && s.Partition == "" {
		s.Partition, s.Node = l.label(ctx)
	}
	if s.Time.IsZero() {
		s.Time = time.Now().UTC()
	}
	b, err := json.Marshal(s)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(append(b, '\n')); err != nil && l.err == nil {
		l.err = err
	}
}

// Close syncs and closes the file, returning the first write error.
func (l *FileLedger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := errors.Join(l.err, l.f.Sync(), l.f.Close()); err != nil {
		return fmt.Errorf("close spend ledger: %w", err)
	}
	return nil
}

// ReadLedger reads the lines of the ledger at path; a missing file is no
// lines, and unreadable lines (a torn last line) are skipped. A named pipe
// or a directory in its place is an error, never a wait.
func ReadLedger(path string) ([]Spend, error) {
	f, _, err := regfile.Open(path, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read spend ledger: %w", err)
	}
	defer f.Close()
	var out []Spend
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		var s Spend
		if json.Unmarshal(sc.Bytes(), &s) == nil && s.Event != "" {
			out = append(out, s)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read spend ledger %s: %w", path, err)
	}
	return out, nil
}

// Spent is what a ledger adds up to: what was sent and billed, and what
// the request store saved.
type Spent struct {
	// Requests are the HTTP requests sent (retries included).
	Requests int64 `json:"requests"`
	// CutOff are provider calls the run cancelled while their request was
	// out (an interrupt past its grace period, or their partition failing,
	// at --max-cost say): the reply was abandoned, so, as for calls in
	// flight at a kill, their billing is unknown. They are not FailedCalls:
	// the call itself did not fail, and the next run asks them again.
	CutOff int64 `json:"cut_off,omitempty"`
	// InFlight are provider calls that sent a request and never ended: the
	// run was killed while they ran (what they were billed is unknown).
	InFlight int64 `json:"in_flight"`
	// Stored are the calls whose response validated and was stored.
	Stored int64 `json:"stored"`
	// Lost are calls whose response validated and was paid for but did
	// not reach the request store (the run was killed in between): the
	// next run buys them again.
	Lost int64 `json:"lost"`
	// FailedCalls are provider calls that ended without a usable response:
	// an error status, a cut connection, a response that failed validation,
	// or a cancellation (Ctrl-C) while the request was out.
	FailedCalls int64 `json:"failed_calls"`
	// Usage and CostUSD are over every response received, stored or not.
	Usage   Usage   `json:"usage"`
	CostUSD float64 `json:"cost_usd"`
	// FailedUsage and FailedCostUSD are the part of Usage and CostUSD paid
	// for responses that were not stored (max-tokens stops, malformed or
	// invalid tool calls).
	FailedUsage   Usage   `json:"failed_usage"`
	FailedCostUSD float64 `json:"failed_cost_usd"`
	// Served are calls answered from the request store (or by an
	// identical request in flight); SavedUSD is what they originally cost.
	Served   int64   `json:"served"`
	SavedUSD float64 `json:"saved_usd"`
	// BatchResults are the results of provider batches received (their
	// usage and cost are in Usage and CostUSD), BatchCostUSD what they
	// cost at the batch price and BatchListUSD what the same usage costs
	// online.
	BatchResults int64   `json:"batch_results,omitempty"`
	BatchCostUSD float64 `json:"batch_cost_usd,omitempty"`
	BatchListUSD float64 `json:"batch_list_usd,omitempty"`
	// Canaries are the online calls sent to prove a new request shape
	// before its batch (in the figures above as online calls).
	Canaries int64 `json:"canaries,omitempty"`
}

// Add adds one ledger line.
func (s *Spent) Add(l Spend) {
	switch l.Event {
	case SpendSent:
		s.Requests++
	case SpendReply:
		s.Usage.add(l.Usage)
		s.CostUSD += l.CostUSD
		if l.Batch != "" {
			s.BatchResults++
			s.BatchCostUSD += l.CostUSD
			s.BatchListUSD += l.ListUSD
		}
		if l.OK {
			s.Lost++ // until its stored line
			return
		}
		if l.Error == spendCancelled {
			s.CutOff++
			return
		}
		s.FailedCalls++
		s.FailedUsage.add(l.Usage)
		s.FailedCostUSD += l.CostUSD
	case SpendStored:
		s.Stored++
		s.Lost--
	case SpendServed:
		s.Served++
		s.SavedUSD += l.CostUSD
	}
}

// add sums token counts (the provider-reported cost is not summed).
func (u *Usage) add(v Usage) {
	u.InputTokens += v.InputTokens
	u.OutputTokens += v.OutputTokens
	u.CacheReadTokens += v.CacheReadTokens
	u.CacheWriteTokens += v.CacheWriteTokens
}

// StoredAfterAll returns a stored line for each good reply of lines that
// has none, when stored(key) says the request store holds the response
// from this very run. A run writes the stored line after the record is
// durable, so a kill between the two leaves a reply the ledger alone would
// call lost ("the next run buys it again") that the next run in fact is
// served; adding these lines before Tally corrects that.
func StoredAfterAll(lines []Spend, stored func(key RequestKey) bool) []Spend {
	good := map[string]Spend{}
	for _, l := range lines {
		switch {
		case l.Event == SpendReply && l.OK:
			good[l.Key] = l
		case l.Event == SpendStored:
			delete(good, l.Key)
		}
	}
	var out []Spend
	for _, k := range slices.Sorted(maps.Keys(good)) {
		var key RequestKey
		b, err := hex.DecodeString(k)
		if err != nil || len(b) != len(key) {
			continue
		}
		copy(key[:], b)
		if stored(key) {
			l := good[k]
			out = append(out, Spend{Event: SpendStored, Key: l.Key, Model: l.Model, Provider: l.Provider,
				Partition: l.Partition, Node: l.Node, Batch: l.Batch, Time: l.Time})
		}
	}
	return out
}

// StoredBy reports whether rs holds a success for key that run paid for.
func StoredBy(rs RecordStore, run string) func(RequestKey) bool {
	return func(key RequestKey) bool {
		rec, ok, err := LookupRecord(rs, key)
		return err == nil && ok && rec.Run == run
	}
}

// Tally adds up ledger lines in total and per group (by model, node, ...,
// as by returns for each line), and counts the calls that never ended.
func Tally(lines []Spend, by func(Spend) string) (Spent, map[string]*Spent) {
	var total Spent
	groups := map[string]*Spent{}
	open := map[uint64]*Spent{}  // calls with a sent line and no reply yet
	batched := map[string]bool{} // keys stored from a batch by this run
	for _, l := range lines {
		if l.Event == SpendStored && l.Batch != "" || l.Event == SpendCanary {
			batched[l.Key] = true
		}
		if l.Event == SpendServed && batched[l.Key] {
			continue // the online pass over a batch's results (or a canary) saved nothing
		}
		if l.Event == SpendCanary {
			total.Canaries++
			if by != nil {
				k := by(l)
				if groups[k] == nil {
					groups[k] = &Spent{}
				}
				groups[k].Canaries++
			}
			continue
		}
		total.Add(l)
		var g *Spent
		if by != nil {
			k := by(l)
			if g = groups[k]; g == nil {
				g = &Spent{}
				groups[k] = g
			}
			g.Add(l)
		}
		switch l.Event {
		case SpendSent:
			open[l.Call] = g
		case SpendReply:
			delete(open, l.Call)
		}
	}
	for _, g := range open {
		total.InFlight++
		if g != nil {
			g.InFlight++
		}
	}
	return total, groups
}
