package llm_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
)

// errUncertain is what uncertainRecords answers every Get with.
var errUncertain = errors.New("a segment that may hold it cannot be read")

// uncertainRecords is a request store that cannot tell whether it holds
// a record, as the record log cannot while a segment it cannot read may
// hold it.
type uncertainRecords struct{ *llm.MemRecords }

func (uncertainRecords) Get([32]byte) ([]byte, bool, error) { return nil, false, errUncertain }

// batchProvider is a provider with a batch API that counts the requests it
// is sent, online and in batches; it never completes a batch.
type batchProvider struct {
	fakeProvider
	batched atomic.Int64
}

func (p *batchProvider) CreateBatch(_ context.Context, items []llm.BatchItem) (*llm.BatchStatus, error) {
	p.batched.Add(int64(len(items)))
	return nil, errors.New("batch refused by the test")
}

func (p *batchProvider) GetBatch(context.Context, string) (*llm.BatchStatus, error) {
	return nil, errors.New("no batch")
}

func (p *batchProvider) ListBatches(context.Context, time.Time) ([]*llm.BatchStatus, error) {
	return nil, nil
}

func (p *batchProvider) BatchResults(context.Context, string, func(string) *llm.Request, func(*llm.BatchResult) error) error {
	return errors.New("no batch")
}

func (p *batchProvider) CancelBatch(context.Context, string) (*llm.BatchStatus, error) {
	return nil, errors.New("no batch")
}

// TestUncertainStoreSendsNothing: when the request store cannot tell
// whether it holds a response, no path sends the request (online, in a
// planned wave or in a batch): each fails with the store's error, so a
// response already paid for is never bought again unnoticed.
func TestUncertainStoreSendsNothing(t *testing.T) {
	rs, p := uncertainRecords{newMemRecords()}, &batchProvider{}
	ledger := store.Batches(t.TempDir())
	rt := newRuntime(t, rs, p, func(cfg *llm.RuntimeConfig) { cfg.Batches = ledger })
	c := newClient(t, rt, testSpec(t, nil))
	wantStoreErr := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, errUncertain) {
			t.Errorf("%s got: %v\nwant: the request store's error", what, err)
		}
	}
	_, err := c.Do(t.Context(), llm.Call{Request: userReq("q")})
	wantStoreErr("Do", err)
	if err != nil && !strings.Contains(err.Error(), "not sent") {
		t.Errorf("Do got: %v\nwant: an error saying the request was not sent", err)
	}
	pl := llm.NewPlanner()
	_, err = pl.Planning(c).Do(t.Context(), llm.Call{Request: userReq("q")})
	wantStoreErr("a planning pass", err)
	if taken := pl.Take(); len(taken) != 0 {
		t.Errorf("planned got: %d clients' requests\nwant: none", len(taken))
	}
	_, err = c.RunBatch(t.Context(), "scope", []*llm.Request{userReq("q")})
	wantStoreErr("RunBatch", err)
	if c.Cached(userReq("q")) {
		t.Error("Cached got: true\nwant: false")
	}
	if n, b := p.calls.Load(), p.batched.Load(); n != 0 || b != 0 {
		t.Errorf("sent got: %d online, %d batched\nwant: none", n, b)
	}
}

// TestUnreadableSegmentSendsNothing is the same through the record log:
// with its only segment replaced by a directory, a request whose response
// was stored there is not sent again, nor is any other (the segment may
// hold it), and the error names the segment. Moved out of the log, the
// segment no longer stops anything: requests are sent.
func TestUnreadableSegmentSendsNothing(t *testing.T) {
	dir := t.TempDir()
	spec := testSpec(t, nil)
	p := &fakeProvider{}
	if _, err := newClient(t, newRuntime(t, crashRecords(t, dir), p, nil), spec).Do(t.Context(), llm.Call{Request: userReq("paid")}); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "records", "llm", "log", "*.seg"))
	if len(segs) != 1 {
		t.Fatalf("segments got: %q\nwant: one", segs)
	}
	if err := os.Remove(segs[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(segs[0], 0o755); err != nil {
		t.Fatal(err)
	}
	p = &fakeProvider{}
	c := newClient(t, newRuntime(t, crashRecords(t, dir), p, nil), spec)
	for _, q := range []string{"paid", "never sent"} {
		_, err := c.Do(t.Context(), llm.Call{Request: userReq(q)})
		var ue *store.UnreadableSegmentError
		if !errors.As(err, &ue) || ue.Path != segs[0] || !strings.Contains(err.Error(), segs[0]) {
			t.Errorf("Do(%s) got: %v\nwant: an error naming %s", q, err, segs[0])
		}
	}
	if n := p.calls.Load(); n != 0 {
		t.Errorf("sent got: %d requests\nwant: none while the segment cannot be read", n)
	}
	if err := os.Rename(segs[0], filepath.Join(dir, "moved-away")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(t.Context(), llm.Call{Request: userReq("paid")}); err != nil || p.calls.Load() != 1 {
		t.Errorf("with the segment moved away got: %v, %d requests sent\nwant: sent once", err, p.calls.Load())
	}
}
