package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// MaxBatchRequests is the most requests sptflow puts in one provider batch
// (Anthropic's limit; OpenAI's is 50,000).
const MaxBatchRequests = 100_000

// BatchOutcome is what became of one request of a batch.
type BatchOutcome string

// Batch outcomes, as the Anthropic Message Batches API names them.
const (
	BatchSucceeded BatchOutcome = "succeeded"
	BatchErrored   BatchOutcome = "errored"
	BatchCanceled  BatchOutcome = "canceled"
	BatchExpired   BatchOutcome = "expired"
)

// BatchItem is one request of a batch. CustomID is its request key in
// hex (64 characters, the most the API allows), so a result is matched to
// the request it answers whatever order the results come in.
type BatchItem struct {
	CustomID string
	Request  *Request // applied (ModelSpec.Apply)
}

// BatchCounts are a batch's requests by state.
type BatchCounts struct {
	Processing int `json:"processing"`
	Succeeded  int `json:"succeeded"`
	Errored    int `json:"errored"`
	Canceled   int `json:"canceled"`
	Expired    int `json:"expired"`
}

// Total is the number of requests in the batch.
func (c BatchCounts) Total() int {
	return c.Processing + c.Succeeded + c.Errored + c.Canceled + c.Expired
}

// BatchStatus is a provider batch as the provider reports it.
type BatchStatus struct {
	ID      string
	Ended   bool
	Created time.Time
	Expires time.Time
	Counts  BatchCounts
	// Intent is the name of the intent record the batch was created for,
	// when the provider keeps it (OpenAI batch metadata); "" otherwise.
	Intent string
}

// BatchResult is one request's result. Response is set for succeeded
// results (also when Err says it is unusable: truncated, malformed, so
// its usage is still accounted); Err is an *Error for errored and
// unusable ones.
type BatchResult struct {
	CustomID string
	Outcome  BatchOutcome
	Response *Response
	Err      error
}

// ErrBatchNotFound is matched (errors.Is) by the error of a BatchAPI call
// about one batch (GetBatch, CancelBatch, BatchResults) that the provider
// definitely does not know: a 404 carrying the provider's own not-found
// error. Its results were purged (Anthropic keeps them 29 days), or it
// belongs to another workspace, API key or base URL. Transient failures
// (5xx, timeouts, 429s) and a 404 without that error body never match it.
var ErrBatchNotFound = errors.New("batch not found at the provider")

// BatchAPI is a provider's batch API. Providers that have one implement it
// besides Provider; the batch executor (Client.RunBatch) drives it.
type BatchAPI interface {
	// CreateBatch submits items as one batch.
	CreateBatch(ctx context.Context, items []BatchItem) (*BatchStatus, error)
	// GetBatch returns a batch's status.
	GetBatch(ctx context.Context, id string) (*BatchStatus, error)
	// ListBatches returns the account's batches created at or after since,
	// newest first (for the recovery of a batch whose id was not recorded).
	ListBatches(ctx context.Context, since time.Time) ([]*BatchStatus, error)
	// BatchResults streams an ended batch's results, in the provider's
	// order, to fn; request returns the request of a custom id (nil if the
	// batch holds one sptflow did not send), to check a response against.
	BatchResults(ctx context.Context, id string, request func(customID string) *Request, fn func(*BatchResult) error) error
	// CancelBatch asks the provider to stop a batch and returns its status
	// (canceling until the provider has stopped it; its finished results
	// stay available).
	CancelBatch(ctx context.Context, id string) (*BatchStatus, error)
}

// BatchFiles is where the write-ahead batch ledger keeps its entries:
// one small document per entry, each written atomically and durably
// (engine/store.BatchDir is the store's).
type BatchFiles interface {
	Put(name string, data []byte) error
	Remove(name string) error
	All() (map[string][]byte, error)
}

// BatchEntry is one entry of the write-ahead batch ledger. It is written
// with the request keys (the intent) before the batch is created, and
// again with the provider's batch id right after; it is removed once every
// result is in the request store.
type BatchEntry struct {
	Name     string    `json:"name"`
	Model    string    `json:"model"` // model entry name
	Provider string    `json:"provider"`
	APIModel string    `json:"api_model"`
	Keys     []string  `json:"keys"` // request keys in hex = custom ids
	Intent   time.Time `json:"intent"`
	// BatchID is the provider's id, "" until the batch is known to exist.
	BatchID string    `json:"batch_id,omitempty"`
	Created time.Time `json:"created,omitzero"`
	Expires time.Time `json:"expires,omitzero"`
	// Adopted is set when BatchID was found by listing the account's
	// batches after a crash between the intent and recording the id.
	Adopted bool `json:"adopted,omitempty"`
	// Counts are the batch's request counts as last polled, at Polled
	// (for `sptflow status` and `sptflow batches`).
	Counts *BatchCounts `json:"counts,omitempty"`
	Polled time.Time    `json:"polled,omitzero"`
}

// batchLedger reads and writes BatchEntry documents.
type batchLedger struct{ files BatchFiles }

func (l batchLedger) save(e *BatchEntry) error {
	data, err := json.MarshalIndent(e, "", " ")
	if err != nil {
		return fmt.Errorf("encode batch ledger entry %s: %w", e.Name, err)
	}
	if err := l.files.Put(e.Name, append(data, '\n')); err != nil {
		return fmt.Errorf("write batch ledger entry %s: %w", e.Name, err)
	}
	return nil
}

func (l batchLedger) remove(e *BatchEntry) error {
	if err := l.files.Remove(e.Name); err != nil {
		return fmt.Errorf("remove batch ledger entry %s: %w", e.Name, err)
	}
	return nil
}

// entries returns the entries of model entry (provider, api model), oldest
// intent first ("", "": every entry). An unreadable entry is an error: it
// may stand for a paid batch, so it is never silently skipped.
func (l batchLedger) entries(provider, apiModel string) ([]*BatchEntry, error) {
	every := provider == "" && apiModel == ""
	all, err := l.files.All()
	if err != nil {
		return nil, fmt.Errorf("read batch ledger: %w", err)
	}
	var out []*BatchEntry
	for name, data := range all {
		if strings.HasPrefix(name, shapePrefix) {
			continue // a proven request shape (canary.go)
		}
		var e BatchEntry
		if err := json.Unmarshal(data, &e); err != nil {
			file := name + ".json in the store's batches/"
			if p, ok := l.files.(interface{ Path(string) string }); ok {
				file = p.Path(name)
			}
			return nil, fmt.Errorf("read batch ledger entry %s: %w (%s is damaged; it may name a batch already paid for, "+
				"so no batch is sent: restore it, or remove it to send its requests again)", name, err, file)
		}
		if every || e.Provider == provider && e.APIModel == apiModel {
			out = append(out, &e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Intent.Before(out[j].Intent) })
	return out, nil
}

// ErrBatchesInFlight is returned under --no-wait while batches of a stage
// are still being processed by the provider.
var ErrBatchesInFlight = errors.New("batches in flight")

// InFlightError says how many batches are in flight and when the last is
// expected to end.
type InFlightError struct {
	Model   string
	Batches int
	Pending int // requests not yet processed
	ETA     time.Time
}

func (e *InFlightError) Error() string {
	return fmt.Sprintf("model %s: %d batches in flight (%d requests pending), ETA %s; run again to harvest them",
		e.Model, e.Batches, e.Pending, e.ETA.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrBatchesInFlight) true.
func (e *InFlightError) Unwrap() error { return ErrBatchesInFlight }

// Waiting reports true: the batches go on without the run, so the work
// waiting on them has not failed (the engine's partitions end Waiting, not
// Failed; llm does not import the engine, which looks for this method).
func (e *InFlightError) Waiting() bool { return true }
