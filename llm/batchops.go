package llm

import (
	"context"
	"errors"
	"fmt"
)

// Operations on the batch ledger outside a pipeline run (`sptflow status`
// and `sptflow batches`).

// ReadBatchLedger returns every entry of the batch ledger, oldest intent
// first (proven request shapes left out).
func ReadBatchLedger(files BatchFiles) ([]*BatchEntry, error) {
	return batchLedger{files}.entries("", "")
}

// ErrBatchNotEnded is returned by HarvestBatch for a batch the provider is
// still processing.
var ErrBatchNotEnded = errors.New("batch still in flight")

// Serves reports whether e was submitted through this client's model
// entry (same name, provider and API model).
func (c *Client) Serves(e *BatchEntry) bool {
	return e.Model == c.spec.Name && e.Provider == c.spec.Provider && e.APIModel == c.spec.Model
}

func (c *Client) batchAPI() (BatchAPI, error) {
	api, ok := c.provider.(BatchAPI)
	if !ok {
		return nil, fmt.Errorf("model %q: provider %s has no batch API", c.spec.Name, c.spec.Provider)
	}
	return api, nil
}

// BatchStatus asks the provider for the status of batch id.
func (c *Client) BatchStatus(ctx context.Context, id string) (*BatchStatus, error) {
	api, err := c.batchAPI()
	if err != nil {
		return nil, err
	}
	return api.GetBatch(ctx, id)
}

// CancelBatch asks the provider to cancel batch id. Its ledger entry
// stays: the requests it processed before the cancellation are paid for
// and harvested like any result; the canceled ones are submitted again
// by the next run that needs them.
func (c *Client) CancelBatch(ctx context.Context, id string) (*BatchStatus, error) {
	api, err := c.batchAPI()
	if err != nil {
		return nil, err
	}
	return api.CancelBatch(ctx, id)
}

// HarvestBatch stores the results of the ended batch of ledger entry e in
// the request store, at the batch price, and removes the entry, as a
// run's harvest would; results already stored are skipped. Requests
// without a usable result (expired, canceled, server errors) stay
// unstored: the next run sends them. A batch still processing is
// ErrBatchNotEnded, with its status.
func (c *Client) HarvestBatch(ctx context.Context, e *BatchEntry) (*BatchReport, *BatchStatus, error) {
	api, err := c.batchAPI()
	if err != nil {
		return nil, nil, err
	}
	if c.rt.cfg.Batches == nil {
		return nil, nil, fmt.Errorf("model %q: no batch ledger configured", c.spec.Name)
	}
	if e.BatchID == "" {
		return nil, nil, fmt.Errorf("ledger entry %s: no batch id recorded (the next run recovers it)", e.Name)
	}
	st, err := api.GetBatch(ctx, e.BatchID)
	if err != nil {
		return nil, nil, fmt.Errorf("poll batch %s: %w", e.BatchID, err)
	}
	x := &batchRun{c: c, api: api, led: batchLedger{c.rt.cfg.Batches}, items: map[string]*Request{},
		rep: &BatchReport{Failures: map[RequestKey]error{}}}
	if err := x.polled(e, st); err != nil {
		return nil, st, err
	}
	if !st.Ended {
		return x.rep, st, fmt.Errorf("batch %s: %w", e.BatchID, ErrBatchNotEnded)
	}
	if _, err := x.harvest(ctx, e); err != nil {
		return x.rep, st, err
	}
	return x.rep, st, nil
}

// Unstored returns how many requests of ledger entry e have no response in
// the request store.
func (c *Client) Unstored(e *BatchEntry) int {
	x := &batchRun{c: c}
	n := 0
	for _, id := range e.Keys {
		if !x.stored(id) {
			n++
		}
	}
	return n
}
