package connect

import (
	"context"
	"strings"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// fakeAwareBatch is fakeAware for a provider with a batch API: batch
// results served by a fake are labelled simulated too.
type fakeAwareBatch struct {
	fakeAware
	api llm.BatchAPI
}

var _ llm.BatchAPI = fakeAwareBatch{}

func (f fakeAwareBatch) CreateBatch(ctx context.Context, items []llm.BatchItem) (*llm.BatchStatus, error) {
	return f.api.CreateBatch(ctx, items)
}

func (f fakeAwareBatch) GetBatch(ctx context.Context, id string) (*llm.BatchStatus, error) {
	return f.api.GetBatch(ctx, id)
}

func (f fakeAwareBatch) ListBatches(ctx context.Context, since time.Time) ([]*llm.BatchStatus, error) {
	return f.api.ListBatches(ctx, since)
}

func (f fakeAwareBatch) CancelBatch(ctx context.Context, id string) (*llm.BatchStatus, error) {
	return f.api.CancelBatch(ctx, id)
}

func (f fakeAwareBatch) BatchResults(ctx context.Context, id string, request func(string) *llm.Request, fn func(*llm.BatchResult) error) error {
	return f.api.BatchResults(ctx, id, request, func(r *llm.BatchResult) error {
		if r.Response != nil && strings.HasPrefix(r.Response.Model, FakeModelPrefix) {
			r.Response.Simulated = true
		}
		return fn(r)
	})
}
