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

// CancelBatch asks the provider to cancel the batch of ledger entry e.
// Its entry stays: the requests it processed before the cancellation are
// paid for and harvested like any result; the canceled ones are submitted
// again by the next run that needs them. A batch the provider does not
// know (an error matching ErrBatchNotFound) has nothing left to cancel or
// harvest: its entry is dropped, so the next run sends its requests again.
func (c *Client) CancelBatch(ctx context.Context, e *BatchEntry) (*BatchStatus, error) {
	api, err := c.batchAPI()
	if err != nil {
		return nil, err
	}
	st, err := api.CancelBatch(ctx, e.BatchID)
	if errors.Is(err, ErrBatchNotFound) {
		if ferr := c.forget(e, err); ferr != nil {
			return nil, ferr
		}
	}
	return st, err
}

// forget drops ledger entry e, whose batch the provider does not know.
func (c *Client) forget(e *BatchEntry, cause error) error {
	if c.rt.cfg.Batches == nil {
		return fmt.Errorf("model %q: no batch ledger configured", c.spec.Name)
	}
	x := &batchRun{c: c, led: batchLedger{c.rt.cfg.Batches}, rep: &BatchReport{}}
	_, err := x.forget(e, cause)
	return err
}

// HarvestBatch stores the results of the ended batch of ledger entry e in
// the request store, at the batch price, and removes the entry, as a
// run's harvest would; results already stored are skipped. Requests
// without a usable result (expired, canceled, server errors) stay
// unstored: the next run sends them. A batch still processing is
// ErrBatchNotEnded, with its status; one the provider does not know is
// dropped from the ledger, and the error matches ErrBatchNotFound.
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
	x := &batchRun{c: c, api: api, led: batchLedger{c.rt.cfg.Batches}, items: map[string]*Request{},
		rep: &BatchReport{Failures: map[RequestKey]error{}}}
	st, err := api.GetBatch(ctx, e.BatchID)
	if errors.Is(err, ErrBatchNotFound) {
		if _, ferr := x.forget(e, err); ferr != nil {
			return x.rep, nil, ferr
		}
		return x.rep, nil, fmt.Errorf("poll batch %s: %w", e.BatchID, err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("poll batch %s: %w", e.BatchID, err)
	}
	if err := x.polled(e, st); err != nil {
		return nil, st, err
	}
	if !st.Ended {
		return x.rep, st, fmt.Errorf("batch %s: %w", e.BatchID, ErrBatchNotEnded)
	}
	if _, err := x.harvest(ctx, e); err != nil {
		return x.rep, st, err
	}
	if x.rep.Gone > 0 {
		return x.rep, st, fmt.Errorf("harvest batch %s: %w", e.BatchID, ErrBatchNotFound)
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
