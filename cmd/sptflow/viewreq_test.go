package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/view"
)

// curlBody is the JSON body of a curl command the view wrote (-d '...').
func curlBody(t *testing.T, curl string) map[string]any {
	t.Helper()
	_, q, ok := strings.Cut(curl, "-d '")
	if !ok || !strings.HasSuffix(q, "'") {
		t.Fatalf("curl without a quoted body: %s", curl)
	}
	body := strings.ReplaceAll(strings.TrimSuffix(q, "'"), `'\''`, "'")
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("curl body is not JSON: %v: %s", err, body)
	}
	return m
}

// checkCallRequest checks that a call of a lineage, opened (/api/call),
// shows the request that produced it and a curl that sends that request,
// without a key; the lineage itself carries neither.
func checkCallRequest(t *testing.T, base, what string, c view.Call, node string, keyed bool, contains ...string) *llm.StoredRequest {
	t.Helper()
	if c.Request != nil || c.Curl != "" || c.Record != nil {
		t.Errorf("%s: the lineage carries call %.12s's request, curl or record (%d, %d, %d bytes); want them from /api/call",
			what, c.Key, len(c.Request), len(c.Curl), len(c.Record))
	}
	var full view.Call
	getJSON(t, base, "/api/call?key="+c.Key, &full)
	if len(full.Record) == 0 || full.RequestDigest != c.RequestDigest {
		t.Errorf("%s: /api/call of %.12s: record %d bytes, digest %q; want the record and the lineage's digest %q", what, c.Key, len(full.Record), full.RequestDigest, c.RequestDigest)
	}
	c = full
	if c.Node != node {
		t.Errorf("%s: call from node %q, want %s", what, c.Node, node)
	}
	sr, ok := llm.ParseStoredRequest(c.Request)
	if !ok {
		t.Fatalf("%s: call %s has no request (missing: %q)", what, c.Key, c.RequestMissing)
	}
	if c.RequestMissing != "" || len(c.RequestDigest) != 64 {
		t.Errorf("%s: request digest %q, missing %q", what, c.RequestDigest, c.RequestMissing)
	}
	if sr.Request.Model != c.Model || sr.Provider != c.Provider || len(sr.Request.Messages) == 0 {
		t.Errorf("%s: request model %s/%s, %d messages; want the call's %s/%s", what, sr.Provider, sr.Request.Model,
			len(sr.Request.Messages), c.Provider, c.Model)
	}
	// The request is the one the call's key was made of (a sim model's
	// options, which the demo's stage-3 model sets, are in its key too).
	spec := &llm.ModelSpec{Provider: sr.Provider, TokenParam: sr.TokenParam}
	if k, _ := llm.KeyOf(sr.Request, spec); keyed && k.String() != c.Key {
		t.Errorf("%s: the stored request's key is %s, the call's %s", what, k.Short(), c.Key[:12])
	}
	req, _ := json.Marshal(sr.Request)
	for _, s := range contains {
		if !strings.Contains(string(req), jsonString(s)) {
			t.Errorf("%s: the request does not hold %.60q", what, s)
		}
	}
	if !strings.Contains(c.Curl, `"x-api-key: $ANTHROPIC_API_KEY"`) || !strings.HasPrefix(c.Curl, "curl 'https://api.anthropic.com/v1/messages'") {
		t.Errorf("%s: curl = %.300s; want the Messages API with the key as $ANTHROPIC_API_KEY", what, c.Curl)
	}
	body := curlBody(t, c.Curl)
	if body["model"] != sr.Request.Model || body["max_tokens"] != float64(sr.Request.MaxTokens) {
		t.Errorf("%s: curl body model %v max_tokens %v, want %s %d", what, body["model"], body["max_tokens"], sr.Request.Model, sr.Request.MaxTokens)
	}
	msgs, _ := body["messages"].([]any)
	if len(msgs) != len(sr.Request.Messages) {
		t.Fatalf("%s: curl sends %d messages, the request has %d", what, len(msgs), len(sr.Request.Messages))
	}
	for i, m := range msgs {
		if mm, _ := m.(map[string]any); mm["content"] != sr.Request.Messages[i].Content {
			t.Errorf("%s: curl message %d differs from the stored request's", what, i)
		}
	}
	if sr.Request.System != "" {
		sys, _ := body["system"].([]any)
		if len(sys) != 1 || sys[0].(map[string]any)["text"] != sr.Request.System {
			t.Errorf("%s: curl system = %v, want the request's system prompt", what, body["system"])
		}
	}
	if sr.Request.ForceTool != "" {
		if tc, _ := body["tool_choice"].(map[string]any); tc["name"] != sr.Request.ForceTool {
			t.Errorf("%s: curl tool_choice = %v, want %s", what, body["tool_choice"], sr.Request.ForceTool)
		}
	}
	return sr
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

// TestViewCallRequests: every call of the lineage (stage 1, 2 and 3, and
// the stage-3 reviews) shows the request that produced it and a curl of
// it; a record written before requests were stored says so.
func TestViewCallRequests(t *testing.T) {
	_, hs, dir := demoServer(t, false)
	var p view.Page
	getJSON(t, hs.URL, "/api/rows?variant=B&size=1", &p)
	r := p.Rows[0]
	var l view.Lineage
	getJSON(t, hs.URL, "/api/lineage?id="+itoa(int(r.ID)), &l)
	if len(l.Item.Calls) == 0 {
		t.Fatal("stage-1 item has no call")
	}
	checkCallRequest(t, hs.URL, "stage 1", l.Item.Calls[0], "generate", true)
	for _, a := range l.Answers {
		if len(a.Calls) == 0 {
			t.Fatalf("answer %s has no call", a.Variant)
		}
		checkCallRequest(t, hs.URL, "stage 2 "+a.Variant, a.Calls[0], "infer", true, l.Item.T)
		if a.Curl != "" {
			t.Errorf("answer %s: a curl of its own, though its call's request is stored (with a curl)", a.Variant)
		}
	}
	var rec *view.RecordView
	for i := range l.Records {
		if l.Records[i].Row == r.ID {
			rec = &l.Records[i]
		}
	}
	if rec == nil || len(rec.Calls) == 0 || len(rec.Reviews) == 0 || len(rec.Reviews[0].Calls) == 0 {
		t.Fatalf("stage-3 record without calls or reviewed calls: %+v", rec)
	}
	var b string
	for _, a := range l.Answers {
		if a.Variant == "B" {
			b = a.S
		}
	}
	sr := checkCallRequest(t, hs.URL, "stage 3", rec.Calls[0], "intervene", false, b)
	if sr.Request.ForceTool == "" {
		t.Errorf("stage-3 request forces no tool: %+v", sr.Request)
	}
	checkCallRequest(t, hs.URL, "stage-3 review", rec.Reviews[0].Calls[0], "intervene", false)

	// The same record as sptflow wrote it before requests were stored.
	st, err := store.Open(filepath.Join(dir, ".sptflow"))
	if err != nil {
		t.Fatal(err)
	}
	rl := st.RecordLog(requestsNamespace)
	c := rec.Calls[0]
	var k [32]byte
	if _, err := hex.Decode(k[:], []byte(c.Key)); err != nil {
		t.Fatal(err)
	}
	old, ok, _ := llm.LookupRecord(rl, llm.RequestKey(k))
	if !ok {
		t.Fatal("record not in the store")
	}
	old.Request = ""
	data, _ := json.Marshal(old)
	if strings.Contains(string(data), `"request"`) {
		t.Fatalf("old-format record still names a request: %s", data)
	}
	if err := rl.Put(k, data); err != nil {
		t.Fatal(err)
	}
	rl.Close()
	s, err := view.NewServer(context.Background(), t.TempDir(), view.Source{Name: "spt-demo", Dir: filepath.Join(dir, "data", "demo"),
		Store: filepath.Join(dir, ".sptflow"), Pipeline: "spt-demo"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := serveHandler(t, s.Handler())
	var l2 view.Lineage
	getJSON(t, base, "/api/lineage?id="+itoa(int(r.ID)), &l2)
	for _, x := range l2.Records {
		for _, oc := range x.Calls {
			if oc.Key != c.Key {
				continue
			}
			var full view.Call
			getJSON(t, base, "/api/call?key="+oc.Key, &full)
			for _, x := range []view.Call{oc, full} {
				if x.Request != nil || x.Curl != "" || !strings.Contains(x.RequestMissing, "request not recorded") {
					t.Errorf("old record's call: request %d bytes, curl %d bytes, digest %q, missing %q, record %.200s; want it said plainly the request was not recorded",
						len(x.Request), len(x.Curl), x.RequestDigest, x.RequestMissing, x.Record)
				}
			}
			if len(full.Record) == 0 {
				t.Errorf("old record's call: /api/call has no record")
			}
			return
		}
	}
	t.Errorf("old record's call %s is not in the lineage any more", c.Key[:12])
}

// TestViewLockRuns: comparing two lock files of the same pipeline, the
// run tab shows each side's own run (the run that produced it), not the
// latest run of the pipeline twice.
func TestViewLockRuns(t *testing.T) {
	dir := viewDemo(t) // runs: spt-demo, then spt-demo-b
	a := writeLock(t, dir, "A.lock", "spt-demo")
	// The demo again with another stage-3 max_tokens: a later run of
	// spt-demo that seals other outputs.
	p := filepath.Join(dir, "pipelines", "demo.yaml")
	y := string(mustRead(t, p))
	if !strings.Contains(y, "max_tokens: 40000") {
		t.Fatalf("demo.yaml has no stage-3 max_tokens: 40000 to change:\n%s", y)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(y, "max_tokens: 40000", "max_tokens: 30000", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"run", p, "--log-level", "error"}, io.Discard, io.Discard); err != nil {
		t.Fatalf("run the changed demo: %v", err)
	}
	b := writeLock(t, dir, "B.lock", "spt-demo")
	runs, _ := filepath.Glob(filepath.Join(dir, ".sptflow", "runs", "*", "journal.jsonl"))
	if len(runs) != 3 {
		t.Fatalf("%d runs, want 3", len(runs))
	}
	sort.Strings(runs)
	first, last := filepath.Base(filepath.Dir(runs[0])), filepath.Base(filepath.Dir(runs[2]))
	base, err := serveView(t, a, b)
	if err != nil {
		t.Fatal(err)
	}
	for side, want := range map[string]string{"a": first, "b": last} {
		var ov view.Overview
		getJSON(t, base, "/api/overview?side="+side, &ov)
		if ov.Run != want || ov.Pipeline != "spt-demo" || len(ov.Partitions) == 0 {
			t.Errorf("side %s: run %s of %s, %d partitions; want run %s of spt-demo, which produced its lock", side, ov.Run, ov.Pipeline, len(ov.Partitions), want)
		}
	}
	// Another run stays reachable.
	var ov view.Overview
	getJSON(t, base, "/api/overview?side=a&run="+last, &ov)
	if ov.Run != last {
		t.Errorf("side a, run=%s: shows run %s", last, ov.Run)
	}
}
