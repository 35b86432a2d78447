package connect

import (
	"context"
	"strings"

	"github.com/sptflow/sptflow/llm"
)

// FakeModelPrefix starts the served model name of every reply of sptflow's
// fake servers (`sptflow fake`, cmd/fakellm): "fake/claude-opus-4-1".
const FakeModelPrefix = "fake/"

// simulatedByServer labels the responses of an HTTP provider whose server
// says it is a fake (the served model starts with FakeModelPrefix) as
// simulated, like the sim provider's, so the records, the data and the
// training set built from them say so.
func simulatedByServer(p llm.Provider, err error) (llm.Provider, error) {
	if err != nil {
		return nil, err
	}
	if b, ok := p.(llm.BatchAPI); ok {
		return fakeAwareBatch{fakeAware{p}, b}, nil
	}
	return fakeAware{p}, nil
}

type fakeAware struct{ llm.Provider }

func (f fakeAware) Call(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	resp, err := f.Provider.Call(ctx, req)
	if resp != nil && strings.HasPrefix(resp.Model, FakeModelPrefix) {
		resp.Simulated = true
	}
	return resp, err
}
