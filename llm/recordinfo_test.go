package llm_test

import (
	"testing"

	"github.com/sptflow/sptflow/llm"
)

// IsFailureRecord tells apart what the client stores for a failed request
// and for a successful one, without their keys.
func TestIsFailureRecord(t *testing.T) {
	rs := newMemRecords()
	p := &fakeProvider{script: func(_ int64, req *llm.Request) (*llm.Response, error) {
		if req.Messages[0].Content == "fails" {
			return nil, &llm.Error{Kind: llm.KindInvalidRequest, Status: 400, Message: "bad"}
		}
		return okResponse(req), nil
	}}
	c := newClient(t, newRuntime(t, rs, p, nil), testSpec(t, nil))
	if _, err := c.Do(t.Context(), llm.Call{Request: userReq("fails")}); err == nil {
		t.Fatal("want an error")
	}
	if _, err := c.Do(t.Context(), llm.Call{Request: userReq("succeeds")}); err != nil {
		t.Fatal(err)
	}
	var failures, successes, requests int
	for _, data := range rs.Values() {
		_, object := llm.RecordLinks(data)
		switch {
		case llm.IsFailureRecord(data):
			failures++
		case object:
			requests++ // the request each record names: neither
		default:
			successes++
		}
	}
	if failures != 1 || successes != 1 || requests != 2 {
		t.Errorf("stored records: got %d failures, %d successes, %d requests; want 1, 1 and 2", failures, successes, requests)
	}
	for _, data := range []string{"", "not json", `{"ok": false}`, `[]`} {
		if llm.IsFailureRecord([]byte(data)) {
			t.Errorf("IsFailureRecord(%q): got true, want false", data)
		}
	}
}
