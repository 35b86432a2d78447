package llm

import (
	"context"
	"slices"
)

// batchIntentKey carries the name of the intent record a batch is created
// for into BatchAPI.CreateBatch.
type batchIntentKey struct{}

// WithBatchIntent returns ctx carrying the name of the ledger entry (the
// intent record) of the batch about to be created.
func WithBatchIntent(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, batchIntentKey{}, name)
}

// BatchIntent returns the intent record name WithBatchIntent put in ctx
// ("" if none). A provider whose batches carry metadata stores it there,
// so a batch whose id was never recorded is found by its intent exactly
// (BatchStatus.Intent), not by its size.
func BatchIntent(ctx context.Context) string {
	s, _ := ctx.Value(batchIntentKey{}).(string)
	return s
}

// BatchSplitter is a BatchAPI with limits of its own (requests and bytes
// per batch): SplitBatch returns the sizes of the consecutive batches
// items are to be sent in. Without it, batches hold MaxBatchRequests.
type BatchSplitter interface {
	SplitBatch(items []BatchItem) ([]int, error)
}

// chunks splits the pending custom ids into the batches they are created
// in.
func (x *batchRun) chunks(pending []string) ([][]string, error) {
	s, ok := x.api.(BatchSplitter)
	if !ok {
		return slices.Collect(slices.Chunk(pending, MaxBatchRequests)), nil
	}
	items := make([]BatchItem, len(pending))
	for i, id := range pending {
		items[i] = BatchItem{CustomID: id, Request: x.items[id]}
	}
	sizes, err := s.SplitBatch(items)
	if err != nil {
		return nil, err
	}
	var out [][]string
	for _, n := range sizes {
		out = append(out, pending[:n])
		pending = pending[n:]
	}
	return out, nil
}

// adoptable reports whether listed batch b may be the batch of intent
// record e: a batch that names its intent (metadata) is e's exactly when
// it names e; one that does not (Anthropic's) when its size is e's.
func adoptable(b *BatchStatus, e *BatchEntry) bool {
	if b.Intent != "" {
		return b.Intent == e.Name
	}
	return b.Counts.Total() == len(e.Keys)
}
