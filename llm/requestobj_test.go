package llm_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
)

// TestRecordsNameTheirRequest: a stored success and a stored failure name
// the applied request by digest; the object is stored once, reads back as
// what the provider was given, and a record names nothing it lacks.
func TestRecordsNameTheirRequest(t *testing.T) {
	for _, kind := range []string{"mem", "log"} {
		t.Run(kind, func(t *testing.T) {
			var rs llm.RecordStore = newMemRecords()
			if kind == "log" {
				st, err := store.Open(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				rl := st.RecordLog("requests")
				t.Cleanup(func() { rl.Close() })
				rs = rl
			}
			var sent *llm.Request
			p := &fakeProvider{script: func(n int64, req *llm.Request) (*llm.Response, error) {
				sent = req
				if req.Messages[0].Content == "bad" {
					return nil, &llm.Error{Kind: llm.KindInvalidRequest, Message: "no"}
				}
				return okResponse(req), nil
			}}
			spec := testSpec(t, map[string]any{"temperature": 0.5, "base_url": "http://localhost:9/v1"})
			c := newClient(t, newRuntime(t, rs, p, nil), spec)
			res, err := c.Do(context.Background(), llm.Call{Request: userReq("good")})
			if err != nil {
				t.Fatal(err)
			}
			rec, ok, _ := llm.LookupRecord(rs, res.Key)
			if !ok {
				t.Fatal("no record stored")
			}
			d, ok := rec.RequestRef()
			if !ok {
				t.Fatalf("record names no request: %q", rec.Request)
			}
			sr, data, ok := llm.LookupRequest(rs, d)
			if !ok {
				t.Fatalf("request %s not stored", rec.Request)
			}
			if sha256.Sum256(data) != d {
				t.Errorf("object is not stored under its content digest")
			}
			if !reflect.DeepEqual(sr.Request, sent) {
				t.Errorf("stored request = %+v, want what the provider got %+v", sr.Request, sent)
			}
			if sr.Provider != "openai" || sr.BaseURL != "http://localhost:9/v1" || sr.TokenParam != spec.TokenParam || sr.APIKeyEnv != "OPENAI_API_KEY" {
				t.Errorf("stored request settings = %+v", sr)
			}
			if sr.Request.Temperature == nil || *sr.Request.Temperature != 0.5 {
				t.Errorf("stored request is not the applied one: temperature %v", sr.Request.Temperature)
			}
			if refs, object := llm.RecordLinks(data); !object || refs != nil {
				t.Errorf("RecordLinks(object) = %v, %v; want an object", refs, object)
			}
			recData, _, _ := rs.Get(res.Key)
			if refs, object := llm.RecordLinks(recData); object || len(refs) != 1 || refs[0] != d {
				t.Errorf("RecordLinks(record) = %x, %v; want [%x]", refs, object, d)
			}
			if llm.IsFailureRecord(data) {
				t.Errorf("a request object reads as a failure record")
			}

			_, err = c.Do(context.Background(), llm.Call{Request: userReq("bad")})
			var e *llm.Error
			if !errors.As(err, &e) {
				t.Fatalf("bad request: err = %v", err)
			}
			fail, ok := llm.LookupFailure(rs, c.KeyOf(userReq("bad")))
			if !ok {
				t.Fatal("no failure record")
			}
			fd, ok := fail.RequestRef()
			if !ok {
				t.Fatal("failure record names no request")
			}
			if fsr, _, ok := llm.LookupRequest(rs, fd); !ok || fsr.Request.Messages[0].Content != "bad" {
				t.Errorf("failure's request = %+v, %v", fsr, ok)
			}
		})
	}
}

// TestRequestStoredWithEveryRecord: a request stored again (its failure,
// then its success) goes with each record, under one digest: one object
// once the log is compacted, never a record naming a missing object.
func TestRequestStoredWithEveryRecord(t *testing.T) {
	rs := newMemRecords()
	p := &fakeProvider{script: func(n int64, req *llm.Request) (*llm.Response, error) {
		if n == 1 {
			return nil, &llm.Error{Kind: llm.KindInvalidRequest, Message: "first time no"}
		}
		return okResponse(req), nil
	}}
	c := newClient(t, newRuntime(t, rs, p, nil), testSpec(t, nil))
	if _, err := c.Do(context.Background(), llm.Call{Request: userReq("q")}); err == nil {
		t.Fatal("first call: want the scripted failure")
	}
	if _, err := c.Do(context.Background(), llm.Call{Request: userReq("q")}); err != nil {
		t.Fatal(err)
	}
	if got, want := rs.Puts(), int64(4); got != want {
		t.Errorf("puts = %d, want %d (object and failure, object and success)", got, want)
	}
	objects := 0
	for _, data := range rs.Values() {
		if _, object := llm.RecordLinks(data); object {
			objects++
		}
	}
	key := c.KeyOf(userReq("q"))
	ok, _, _ := llm.LookupRecord(rs, key)
	fail, _ := llm.LookupFailure(rs, key)
	if objects != 1 || ok == nil || fail == nil || ok.Request != fail.Request {
		t.Errorf("%d objects, success names %v, failure %v; want one object both name", objects, ok, fail)
	}
}

// TestOldRecordsStillRead: a record written before requests were stored
// (no "request" field) is still a hit, and says it names no request.
func TestOldRecordsStillRead(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rl := st.RecordLog("requests")
	defer rl.Close()
	spec := testSpec(t, nil)
	req := userReq("old")
	key, _ := llm.KeyOf(req, spec)
	// The format 1 record as sptflow wrote it before this change.
	old := `{"v":1,"key":"` + key.String() + `","ok":true,"provider":"openai","model":"gpt-test","served_model":"gpt-test-served",` +
		`"response":{"text":"an old answer","stop_reason":"end","usage":{"input_tokens":3,"output_tokens":4},"model":"gpt-test-served","latency":0,"attempts":1},` +
		`"usage":{"input_tokens":3,"output_tokens":4},"cost_usd":0.001,"attempts":1,"time":"2026-01-02T03:04:05Z"}`
	if err := rl.Put(key, []byte(old)); err != nil {
		t.Fatal(err)
	}
	rec, ok, _ := llm.LookupRecord(rl, key)
	if !ok {
		t.Fatal("old record is not read")
	}
	if rec.Response.Text != "an old answer" || rec.Request != "" {
		t.Errorf("old record = %+v", rec)
	}
	if _, ok := rec.RequestRef(); ok {
		t.Errorf("old record names a request")
	}
	if refs, object := llm.RecordLinks([]byte(old)); refs != nil || object {
		t.Errorf("RecordLinks(old record) = %v, %v; want neither", refs, object)
	}
	p := &fakeProvider{}
	c := newClient(t, newRuntime(t, rl, p, nil), spec)
	res, err := c.Do(context.Background(), llm.Call{Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Cached || p.calls.Load() != 0 || res.Response.Text != "an old answer" {
		t.Errorf("old record not served: cached %v, provider calls %d, text %q", res.Cached, p.calls.Load(), res.Response.Text)
	}
	var v map[string]any
	if json.Unmarshal([]byte(old), &v) != nil {
		t.Fatal("test record is not JSON")
	}
}

// TestGCKeepsRequestsOfKeptRecords: gc with RecordLinks keeps the request
// objects (and shared system prompts) of the records it keeps and drops
// those no kept record names.
func TestGCKeepsRequestsOfKeptRecords(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rl := st.RecordLog("requests")
	p := &fakeProvider{script: func(_ int64, req *llm.Request) (*llm.Response, error) {
		if req.Messages[0].Content == "bad" {
			return nil, &llm.Error{Kind: llm.KindInvalidRequest, Message: "no"}
		}
		return okResponse(req), nil
	}}
	c := newClient(t, newRuntime(t, rl, p, nil), testSpec(t, nil))
	sys := func(m string) *llm.Request {
		r := userReq(m)
		r.System = "a long shared system prompt"
		return r
	}
	for _, m := range []string{"one", "two", "bad"} {
		_, _ = c.Do(context.Background(), llm.Call{Request: sys(m), Attempts: 1})
	}
	rl.Close() // its segment is sealed: gc compacts it
	reqOf := func(l *store.RecordLog, m string, failure bool) (*llm.StoredRequest, bool) {
		rec, ok, _ := llm.LookupRecord(l, c.KeyOf(sys(m)))
		if failure {
			rec, ok = llm.LookupFailure(l, c.KeyOf(sys(m)))
		}
		if !ok {
			return nil, false
		}
		d, _ := rec.RequestRef()
		sr, _, ok := llm.LookupRequest(l, d)
		return sr, ok
	}
	failed, _ := reqOf(st.RecordLog("requests"), "bad", true)
	if failed == nil || failed.SystemRef == "" {
		t.Fatalf("failure's request = %+v; want one naming its shared system prompt", failed)
	}
	gc := func(opts store.GCOptions) store.GCStats {
		opts.Namespace, opts.RecordLinks = "requests", llm.RecordLinks
		stats, err := st.GC(nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		return stats
	}
	stats := gc(store.GCOptions{PruneRecordIf: llm.IsFailureRecord})
	l := st.RecordLog("requests")
	if stats.Records != 1 || stats.Objects != 1 {
		t.Errorf("gc --failed-requests removed %d records, %d objects; want the failure and its request object", stats.Records, stats.Objects)
	}
	for _, m := range []string{"one", "two"} {
		if sr, ok := reqOf(l, m, false); !ok || sr.Request.System != "a long shared system prompt" || sr.Request.Messages[0].Content != m {
			t.Errorf("request %q after gc: %+v, %v; want it whole", m, sr, ok)
		}
	}
	l.Close()
	stats = gc(store.GCOptions{PruneRecords: true})
	if stats.Records != 2 || stats.Objects != 3 {
		t.Errorf("gc --requests-older-than 0 removed %d records, %d objects; want 2 and 3 (two requests, one system prompt)", stats.Records, stats.Objects)
	}
	l = st.RecordLog("requests")
	defer l.Close()
	n := 0
	_ = l.Range(func([32]byte, time.Time) bool { n++; return true })
	if n != 0 {
		t.Errorf("%d entries left in the log, want none", n)
	}
}
