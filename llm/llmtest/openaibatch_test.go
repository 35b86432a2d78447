package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// noReuse opens a connection per request, so that a refused one is not
// retried by the transport on another.
var noReuse = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// oaClient drives the fake's Files and Batch APIs over HTTP.
type oaClient struct {
	t   *testing.T
	url string
}

func (c oaClient) do(method, path, ctype string, body []byte) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := noReuse.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c oaClient) upload(lines ...string) string {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("purpose", "batch")
	fw, _ := mw.CreateFormFile("file", "in.jsonl")
	_, _ = fw.Write([]byte(strings.Join(lines, "\n") + "\n"))
	_ = mw.Close()
	code, b := c.do(http.MethodPost, "/files", mw.FormDataContentType(), buf.Bytes())
	var f struct{ ID string }
	if code != 200 || json.Unmarshal(b, &f) != nil || f.ID == "" {
		c.t.Fatalf("upload: %d %s", code, b)
	}
	return f.ID
}

type oaBatchJSON struct {
	ID            string
	Status        string
	OutputFileID  *string                                `json:"output_file_id"`
	ErrorFileID   *string                                `json:"error_file_id"`
	RequestCounts struct{ Total, Completed, Failed int } `json:"request_counts"`
	Errors        *struct {
		Data []struct {
			Code string
			Line *int
		}
	}
	Metadata map[string]string
}

func (c oaClient) create(file string) oaBatchJSON {
	c.t.Helper()
	code, b := c.do(http.MethodPost, "/batches", "application/json",
		[]byte(`{"input_file_id":"`+file+`","endpoint":"/v1/chat/completions","completion_window":"24h","metadata":{"k":"v"}}`))
	var out oaBatchJSON
	if code != 200 || json.Unmarshal(b, &out) != nil {
		c.t.Fatalf("create: %d %s", code, b)
	}
	return out
}

func (c oaClient) get(id string) oaBatchJSON {
	c.t.Helper()
	code, b := c.do(http.MethodGet, "/batches/"+id, "", nil)
	var out oaBatchJSON
	if code != 200 || json.Unmarshal(b, &out) != nil {
		c.t.Fatalf("get: %d %s", code, b)
	}
	return out
}

func (c oaClient) content(id *string) []string {
	c.t.Helper()
	if id == nil {
		return nil
	}
	code, b := c.do(http.MethodGet, "/files/"+*id+"/content", "", nil)
	if code != 200 {
		c.t.Fatalf("content of %s: %d %s", *id, code, b)
	}
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var line struct {
			CustomID string `json:"custom_id"`
		}
		_ = json.Unmarshal([]byte(l), &line)
		ids = append(ids, line.CustomID)
	}
	return ids
}

func oaLine(id, model string) string {
	return `{"custom_id":"` + id + `","method":"POST","url":"/v1/chat/completions","body":{"model":"` + model +
		`","messages":[{"role":"user","content":"hi ` + id + `"}]}}`
}

// TestOpenAIBatchLifecycle: validating, in_progress for the scripted
// polls, then completed with the answers shuffled in the output file, the
// 4xx and 5xx in the error file; metadata kept; listing newest first.
func TestOpenAIBatchLifecycle(t *testing.T) {
	fates := map[string]BatchFate{"r2": {Error: "bad request"}, "r5": {ServerError: true}}
	srv := NewOpenAI(Options{Batch: BatchScript{Polls: 3, Fate: func(id string, _ int) BatchFate { return fates[id] }}})
	defer srv.Close()
	c := oaClient{t, srv.URL}
	var lines, want []string
	for i := range 8 {
		lines = append(lines, oaLine(fmt.Sprintf("r%d", i), "gpt-x"))
		if i != 2 && i != 5 {
			want = append(want, fmt.Sprintf("r%d", i))
		}
	}
	b := c.create(c.upload(lines...))
	if b.Status != "validating" || b.Metadata["k"] != "v" {
		t.Errorf("created: %+v, want validating with its metadata", b)
	}
	for i, st := range []string{"validating", "in_progress", "in_progress", "completed"} {
		if got := c.get(b.ID); got.Status != st {
			t.Fatalf("retrieval %d: %s, want %s", i+1, got.Status, st)
		}
	}
	b = c.get(b.ID)
	if rc := b.RequestCounts; rc.Total != 8 || rc.Completed != 6 || rc.Failed != 2 {
		t.Errorf("counts %+v: want 8 total, 6 completed, 2 failed", rc)
	}
	out := c.content(b.OutputFileID)
	if fmt.Sprint(sorted(out)) != fmt.Sprint(want) || fmt.Sprint(out) == fmt.Sprint(want) {
		t.Errorf("output file %v: want %v, shuffled", out, want)
	}
	if errs := c.content(b.ErrorFileID); fmt.Sprint(sorted(errs)) != "[r2 r5]" {
		t.Errorf("error file %v: want r2 and r5", errs)
	}
	second := c.create(c.upload(oaLine("x", "gpt-x")))
	code, body := c.do(http.MethodGet, "/batches?limit=1", "", nil)
	var page struct {
		Data    []oaBatchJSON
		HasMore bool `json:"has_more"`
	}
	if code != 200 || json.Unmarshal(body, &page) != nil || len(page.Data) != 1 || page.Data[0].ID != second.ID || !page.HasMore {
		t.Errorf("list: %d %s: want the newest batch first, more to come", code, body)
	}
	if code, body := c.do(http.MethodGet, "/batches?limit=5&after="+second.ID, "", nil); code != 200 || !strings.Contains(string(body), b.ID) {
		t.Errorf("list after %s: %d %s: want the first batch", second.ID, code, body)
	}
	if st := srv.Stats(); st.Batches != 2 || st.BatchBilled["gpt-x"].Replies != 6 {
		t.Errorf("stats %+v: want 2 batches, 6 batch-billed replies", st)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestOpenAIBatchFailsValidation: a file breaking the rules, or the Fail
// script, fails the batch at validation: status failed, errors naming the
// lines, no files, nothing billed.
func TestOpenAIBatchFailsValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script BatchScript
		lines  []string
		want   string // codes
	}{
		{"duplicate id", BatchScript{}, []string{oaLine("a", "m"), oaLine("a", "m")}, "[duplicate_custom_id@2]"},
		{"two models", BatchScript{}, []string{oaLine("a", "m"), oaLine("b", "n")}, "[mismatched_model@2]"},
		{"other endpoint", BatchScript{}, []string{strings.Replace(oaLine("a", "m"), "chat/completions", "embeddings", 1)}, "[mismatched_url@1]"},
		{"not json", BatchScript{}, []string{oaLine("a", "m"), "{nope"}, "[invalid_json_line@2]"},
		{"scripted", BatchScript{Fail: "model m is not supported in batches"}, []string{oaLine("a", "m")}, "[invalid_request@0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := NewOpenAI(Options{Batch: tc.script})
			defer srv.Close()
			c := oaClient{t, srv.URL}
			b := c.get(c.create(c.upload(tc.lines...)).ID)
			if b.Status != "failed" || b.OutputFileID != nil || b.ErrorFileID != nil || b.Errors == nil {
				t.Fatalf("batch %+v: want failed with errors, no files", b)
			}
			var got []string
			for _, e := range b.Errors.Data {
				line := 0
				if e.Line != nil {
					line = *e.Line
				}
				got = append(got, fmt.Sprintf("%s@%d", e.Code, line))
			}
			if fmt.Sprint(got) != tc.want {
				t.Errorf("errors %v, want %s", got, tc.want)
			}
			if st := srv.Stats(); len(st.BatchBilled) != 0 {
				t.Errorf("billed %+v", st.BatchBilled)
			}
		})
	}
}

// TestOpenAIBatchExpireAndCancel: an expired batch keeps its finished
// results and lists the rest as batch_expired; a cancelled one lists all
// as batch_cancelled; an ended batch cannot be cancelled.
func TestOpenAIBatchExpireAndCancel(t *testing.T) {
	srv := NewOpenAI(Options{Batch: BatchScript{Polls: 2, InOrder: true,
		Fate: func(id string, _ int) BatchFate { return BatchFate{Expire: id == "b"} }}})
	defer srv.Close()
	c := oaClient{t, srv.URL}
	b := c.create(c.upload(oaLine("a", "m"), oaLine("b", "m"), oaLine("c", "m")))
	c.get(b.ID)
	c.get(b.ID)
	b = c.get(b.ID)
	if b.Status != "expired" || fmt.Sprint(c.content(b.OutputFileID)) != "[a c]" || fmt.Sprint(c.content(b.ErrorFileID)) != "[b]" {
		t.Errorf("expired batch %+v: want a and c answered, b expired", b)
	}
	code, body := c.do(http.MethodGet, "/files/"+*b.ErrorFileID+"/content", "", nil)
	if code != 200 || !strings.Contains(string(body), `"code":"batch_expired"`) {
		t.Errorf("error file: %s, want batch_expired", body)
	}
	if code, _ := c.do(http.MethodPost, "/batches/"+b.ID+"/cancel", "", nil); code != 409 {
		t.Errorf("cancel of an ended batch: %d, want 409", code)
	}
	d := c.create(c.upload(oaLine("d", "m")))
	code, body = c.do(http.MethodPost, "/batches/"+d.ID+"/cancel", "", nil)
	if code != 200 || !strings.Contains(string(body), `"status":"cancelling"`) {
		t.Fatalf("cancel: %d %s, want cancelling", code, body)
	}
	if d = c.get(d.ID); d.Status != "cancelled" || fmt.Sprint(c.content(d.ErrorFileID)) != "[d]" {
		t.Errorf("cancelled batch %+v: want d batch_cancelled", d)
	}
}

// TestBatchRestart: during a scripted restart the batch API refuses
// connections (or answers 503) for RestartFor requests, then serves the
// same batches again.
func TestBatchRestart(t *testing.T) {
	for _, with503 := range []bool{false, true} {
		srv := NewOpenAI(Options{Batch: BatchScript{Polls: 5, RestartAfter: 1, RestartFor: 2, Restart503: with503}})
		c := oaClient{t, srv.URL}
		b := c.create(c.upload(oaLine("a", "m")))
		c.get(b.ID)
		want := 0
		if with503 {
			want = 503
		}
		for i := range 2 {
			if code, _ := c.do(http.MethodGet, "/batches/"+b.ID, "", nil); code != want {
				t.Errorf("503=%v: request %d during the restart: status %d, want %d", with503, i+1, code, want)
			}
		}
		if got := c.get(b.ID); got.ID != b.ID || got.Status != "in_progress" {
			t.Errorf("503=%v: after the restart: %+v, want the same batch in progress", with503, got)
		}
		srv.Close()
	}
}
