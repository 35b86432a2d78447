package llmtest

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sptflow/sptflow/llm"
)

// Outcome is what one provider call against a fake server should come to.
type Outcome struct {
	Kind     llm.ErrorKind // "" for success
	Requests int           // requests the server sees (= attempts on success)
	MinWait  time.Duration // the call must not return sooner (Retry-After honoured)
	Secret   string        // must not appear in the error (the API key)
}

// CheckCall asserts a provider call that started at start against srv came
// to want: its error kind, the requests the server saw, the time it took,
// the attempts on the response, and no secret in the error text.
func CheckCall(t testing.TB, srv *Server, start time.Time, resp *llm.Response, err error, want Outcome) {
	t.Helper()
	if got := llm.KindOf(err); got != want.Kind {
		t.Fatalf("kind %q (err %v), want %q", got, err, want.Kind)
	}
	if srv.Count() != want.Requests {
		t.Errorf("server saw %d requests, want %d", srv.Count(), want.Requests)
	}
	if d := time.Since(start); d < want.MinWait {
		t.Errorf("returned after %v, want at least %v", d, want.MinWait)
	}
	if err == nil && resp.Attempts != want.Requests {
		t.Errorf("attempts %d, want %d", resp.Attempts, want.Requests)
	}
	if err != nil && want.Secret != "" && strings.Contains(err.Error(), want.Secret) {
		t.Errorf("error %q contains the API key", err)
	}
}

// CheckGolden compares a request body with the golden file at path,
// rewriting the file first when update is set (tests pass their -update
// flag).
func CheckGolden(t testing.TB, path string, body []byte, update bool) {
	t.Helper()
	got := append(append([]byte{}, body...), '\n')
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("request body\ngot:  %s\nwant: %s", got, want)
	}
}

// CheckBatchGone asserts that api, calling a server that answers every
// request as the test scripted, reports the batch id gone
// (llm.ErrBatchNotFound) from GetBatch and CancelBatch exactly when gone,
// and never from ListBatches: a list is never one gone batch.
func CheckBatchGone(t testing.TB, api llm.BatchAPI, id string, gone bool) {
	t.Helper()
	ctx := t.Context()
	_, err := api.GetBatch(ctx, id)
	if got := errors.Is(err, llm.ErrBatchNotFound); got != gone {
		t.Errorf("GetBatch: %v: gone %v, want %v", err, got, gone)
	}
	_, err = api.CancelBatch(ctx, id)
	if got := errors.Is(err, llm.ErrBatchNotFound); got != gone {
		t.Errorf("CancelBatch: %v: gone %v, want %v", err, got, gone)
	}
	if _, err := api.ListBatches(ctx, time.Time{}); errors.Is(err, llm.ErrBatchNotFound) {
		t.Errorf("ListBatches: %v: a list is never one gone batch", err)
	}
}
