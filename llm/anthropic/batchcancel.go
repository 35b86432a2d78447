package anthropic

import (
	"context"
	"net/http"

	"github.com/sptflow/sptflow/llm"
)

// CancelBatch implements llm.BatchAPI: POST /v1/messages/batches/{id}/cancel.
// The batch goes to canceling, then ends; requests it processed before are
// kept (and billed), the others end canceled.
func (p *Provider) CancelBatch(ctx context.Context, id string) (*llm.BatchStatus, error) {
	var b wireBatch
	if err := p.batchJSON(ctx, http.MethodPost, p.batchURL(id)+"/cancel", nil, &b); err != nil {
		return nil, err
	}
	return b.status(), nil
}
