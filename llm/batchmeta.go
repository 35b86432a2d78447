package llm

import (
	"context"
	"fmt"
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

// BatchLimits are a provider's limits on one batch: requests, and bytes
// of its body (or input file), of which Framing is taken by the envelope
// around the requests.
type BatchLimits struct {
	Requests, Bytes, Framing int
}

// SplitSizes cuts n requests, in order, into consecutive batches within
// lim, and returns their sizes. size returns the encoded size of request
// i, its per-request framing included; name names it in the error of a
// request larger than a batch holds.
func (lim BatchLimits) SplitSizes(n int, size func(i int) (int, error), name func(i int) string) ([]int, error) {
	var sizes []int
	k, total := 0, 0
	for i := range n {
		l, err := size(i)
		if err != nil {
			return nil, err
		}
		if l+lim.Framing > lim.Bytes {
			return nil, fmt.Errorf("request %s: %d bytes, more than a batch holds", name(i), l)
		}
		if k == lim.Requests || total+l+lim.Framing > lim.Bytes {
			sizes = append(sizes, k)
			k, total = 0, 0
		}
		k++
		total += l
	}
	if k > 0 {
		sizes = append(sizes, k)
	}
	return sizes, nil
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
