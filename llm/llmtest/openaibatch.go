package llmtest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The fake OpenAI-compatible server implements the Files and Batch APIs:
//
//	POST /v1/files                    upload (multipart: purpose, file)
//	GET  /v1/files/{id}               the file object
//	GET  /v1/files/{id}/content       the file's bytes
//	POST /v1/batches                  create ({input_file_id, endpoint, completion_window, metadata})
//	GET  /v1/batches                  list, newest first (limit, after)
//	GET  /v1/batches/{id}             retrieve
//	POST /v1/batches/{id}/cancel      cancel
//
// A batch is validating at its first retrieval, then in_progress for
// BatchScript.Polls retrievals in all; then every request is answered at
// once (through Options.Script and the fault queue, as POST
// /v1/chat/completions with the same content would be, streaming or not:
// see Request.Content) and the batch is
// completed, or expired when BatchFate.Expire left requests unprocessed
// (their finished results kept), or cancelled. Answers with status 200 go
// to the output file, the others, and the requests an expired or
// cancelled batch never ran (batch_expired, batch_cancelled), to the error
// file; each file in a seeded shuffled order unless InOrder. An input file
// that breaks the rules (a line that is not a request for the batch's
// endpoint, duplicate custom ids, two models, more than 50,000 requests or
// 200 MB), or BatchScript.Fail, fails the batch at validation as a whole:
// status failed, with errors and no files. Only answers with status 200
// are billed, into Stats.BatchBilled.

// Limits of the fake's batches (OpenAI's).
const (
	openaiBatchRequests = 50_000
	openaiBatchBytes    = 200 << 20
)

type fakeFile struct {
	ID, Name, Purpose string
	Created           time.Time
	Data              []byte
}

// oaBatch is what an OpenAI batch has besides a fakeBatch's.
type oaBatch struct {
	InputFile, Endpoint, Window string
	Metadata                    map[string]any
	Invalid                     []map[string]any // validation errors
	Status                      string           // once ended: completed, failed, expired, cancelled
	OutputFile, ErrorFile       string
	Completed, Failed           int
}

func (f *Fake) serveOpenAIBatches(w http.ResponseWriter, r *http.Request, body []byte) bool {
	var rest string
	var files bool
	switch p := r.URL.Path; {
	case p == "/v1/files" || strings.HasPrefix(p, "/v1/files/"):
		files, rest = true, strings.Trim(strings.TrimPrefix(p, "/v1/files"), "/")
	case p == "/v1/batches" || strings.HasPrefix(p, "/v1/batches/"):
		rest = strings.Trim(strings.TrimPrefix(p, "/v1/batches"), "/")
	default:
		return false
	}
	if f.down(w) {
		return true
	}
	if f.opts.APIKey != "" && !f.dialect.authorized(r.Header, f.opts.APIKey) {
		f.dialect.writeError(w, &Fault{Status: 401}, f.opts.Flavor)
		return true
	}
	parts := strings.Split(rest, "/")
	switch {
	case files && rest == "" && r.Method == http.MethodPost:
		f.uploadFile(w, r, body)
	case files && len(parts) == 1 && rest != "" && r.Method == http.MethodGet:
		f.withFile(w, parts[0], func(ff *fakeFile) { writeJSON(w, 200, fileJSON(ff)) })
	case files && len(parts) == 2 && parts[1] == "content" && r.Method == http.MethodGet:
		f.withFile(w, parts[0], func(ff *fakeFile) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.WriteHeader(200)
			_, _ = w.Write(ff.Data)
		})
	case !files && rest == "" && r.Method == http.MethodPost:
		f.createOpenAIBatch(w, body)
	case !files && rest == "" && r.Method == http.MethodGet:
		f.listOpenAIBatches(w, r)
	case !files && len(parts) == 1 && r.Method == http.MethodGet:
		f.withBatch(w, parts[0], func(b *fakeBatch) {
			f.pollLocked(b)
			writeJSON(w, 200, f.openaiBatchJSONLocked(b))
			f.retrievedLocked()
		})
	case !files && len(parts) == 2 && parts[1] == "cancel" && r.Method == http.MethodPost:
		f.withBatch(w, parts[0], func(b *fakeBatch) {
			if b.Ended {
				f.dialect.writeError(w, &Fault{Status: 409, Message: "Cannot cancel a batch with status " + b.oa.Status + "."}, f.opts.Flavor)
				return
			}
			b.Canceled = true
			writeJSON(w, 200, f.openaiBatchJSONLocked(b))
		})
	default:
		f.dialect.writeError(w, &Fault{Status: 404, Message: "unknown path " + r.URL.Path}, f.opts.Flavor)
	}
	return true
}

func (f *Fake) uploadFile(w http.ResponseWriter, r *http.Request, body []byte) {
	bad := func(msg string) { f.dialect.writeError(w, &Fault{Status: 400, Message: msg}, f.opts.Flavor) }
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		bad("a file upload is multipart/form-data")
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	ff := &fakeFile{Created: time.Now().UTC()}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			bad("malformed multipart body: " + err.Error())
			return
		}
		data, _ := io.ReadAll(part)
		switch part.FormName() {
		case "purpose":
			ff.Purpose = string(data)
		case "file":
			ff.Name, ff.Data = part.FileName(), data
		}
	}
	switch {
	case ff.Purpose == "":
		bad("purpose: required")
		return
	case ff.Name == "":
		bad("file: required")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ff.ID = f.addFileLocked(ff)
	writeJSON(w, 200, fileJSON(ff))
}

func (f *Fake) addFileLocked(ff *fakeFile) string {
	if f.files == nil {
		f.files = map[string]*fakeFile{}
	}
	f.seq++
	ff.ID = fmt.Sprintf("file-fake%06d", f.seq)
	f.files[ff.ID] = ff
	return ff.ID
}

func fileJSON(ff *fakeFile) []byte {
	return compact(map[string]any{"id": ff.ID, "object": "file", "bytes": len(ff.Data), "created_at": ff.Created.Unix(),
		"filename": ff.Name, "purpose": ff.Purpose, "status": "processed"})
}

func (f *Fake) withFile(w http.ResponseWriter, id string, fn func(*fakeFile)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ff := f.files[id]; ff != nil {
		fn(ff)
		return
	}
	f.dialect.writeError(w, &Fault{Status: 404, Message: "No such File object: " + id}, f.opts.Flavor)
}

func (f *Fake) createOpenAIBatch(w http.ResponseWriter, body []byte) {
	var in struct {
		InputFileID      string         `json:"input_file_id"`
		Endpoint         string         `json:"endpoint"`
		CompletionWindow string         `json:"completion_window"`
		Metadata         map[string]any `json:"metadata"`
	}
	bad := func(msg string) { f.dialect.writeError(w, &Fault{Status: 400, Message: msg}, f.opts.Flavor) }
	if err := json.Unmarshal(body, &in); err != nil {
		bad("request body is not valid JSON")
		return
	}
	switch {
	case in.Endpoint != "/v1/chat/completions" && in.Endpoint != "/v1/embeddings" && in.Endpoint != "/v1/completions" && in.Endpoint != "/v1/responses":
		bad(fmt.Sprintf("endpoint: %q is not supported", in.Endpoint))
		return
	case in.CompletionWindow != "24h":
		bad(fmt.Sprintf("completion_window: %q: only 24h is supported", in.CompletionWindow))
		return
	case len(in.Metadata) > 16:
		bad("metadata: at most 16 pairs")
		return
	}
	for k, v := range in.Metadata {
		if s, ok := v.(string); !ok || len(k) > 64 || len(s) > 512 {
			bad(fmt.Sprintf("metadata.%s: keys up to 64 characters, string values up to 512", k))
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ff := f.files[in.InputFileID]
	if ff == nil {
		f.dialect.writeError(w, &Fault{Status: 404, Message: "No such File object: " + in.InputFileID}, f.opts.Flavor)
		return
	}
	if ff.Purpose != "batch" {
		bad(fmt.Sprintf("input_file_id: file %s has purpose %q, want batch", ff.ID, ff.Purpose))
		return
	}
	f.seq++
	b := &fakeBatch{ID: fmt.Sprintf("batch_fake%06d", f.seq), Created: time.Now().UTC(),
		oa: &oaBatch{InputFile: ff.ID, Endpoint: in.Endpoint, Window: in.CompletionWindow, Metadata: in.Metadata}}
	b.Requests, b.oa.Invalid = parseInput(ff.Data, in.Endpoint)
	f.batches = append(f.batches, b)
	writeJSON(w, 200, f.openaiBatchJSONLocked(b))
}

// parseInput reads a batch input file into its requests, with the
// validation errors that fail the batch.
func parseInput(data []byte, endpoint string) ([]batchReq, []map[string]any) {
	var reqs []batchReq
	var invalid []map[string]any
	bad := func(line int, code, msg string) {
		e := map[string]any{"code": code, "message": msg, "param": nil, "line": nil}
		if line > 0 {
			e["line"] = line
		}
		invalid = append(invalid, e)
	}
	if len(data) > openaiBatchBytes {
		bad(0, "file_too_large", fmt.Sprintf("The input file is %d bytes; at most %d are allowed.", len(data), openaiBatchBytes))
	}
	seen := map[string]bool{}
	model := ""
	for n, raw := range bytes.Split(data, []byte("\n")) {
		line := n + 1
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var l struct {
			CustomID string          `json:"custom_id"`
			Method   string          `json:"method"`
			URL      string          `json:"url"`
			Body     json.RawMessage `json:"body"`
		}
		var body struct {
			Model string `json:"model"`
		}
		switch {
		case json.Unmarshal(raw, &l) != nil:
			bad(line, "invalid_json_line", "This line is not parseable as valid JSON.")
		case l.CustomID == "":
			bad(line, "missing_required_parameter", "custom_id is required.")
		case seen[l.CustomID]:
			bad(line, "duplicate_custom_id", fmt.Sprintf("The custom_id %s is not unique in the file.", l.CustomID))
		case l.Method != http.MethodPost:
			bad(line, "invalid_method", "method: only POST is supported.")
		case l.URL != endpoint:
			bad(line, "mismatched_url", fmt.Sprintf("url %s does not match the batch's endpoint %s.", l.URL, endpoint))
		case json.Unmarshal(l.Body, &body) != nil || body.Model == "":
			bad(line, "invalid_request", "body: a request object with a model is required.")
		case model != "" && body.Model != model:
			bad(line, "mismatched_model", fmt.Sprintf("The model %s differs from the file's %s: a batch takes one model.", body.Model, model))
		default:
			model = body.Model
			seen[l.CustomID] = true
			reqs = append(reqs, batchReq{CustomID: l.CustomID, Params: l.Body})
		}
	}
	switch {
	case len(reqs) == 0 && len(invalid) == 0:
		bad(0, "empty_file", "The input file has no requests.")
	case len(reqs) > openaiBatchRequests:
		bad(0, "too_many_requests", fmt.Sprintf("The input file has %d requests; at most %d are allowed.", len(reqs), openaiBatchRequests))
	}
	return reqs, invalid
}

func (f *Fake) listOpenAIBatches(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	after := r.URL.Query().Get("after")
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit <= 0 || limit > 100 {
		limit = 20
	}
	data := []json.RawMessage{}
	started := after == ""
	first, last, more := "", "", false
	for i := len(f.batches) - 1; i >= 0; i-- {
		b := f.batches[i]
		if b.oa == nil || b.forgotten {
			continue
		}
		if !started {
			started = b.ID == after
			continue
		}
		if len(data) == limit {
			more = true
			break
		}
		data = append(data, f.openaiBatchJSONLocked(b))
		if first == "" {
			first = b.ID
		}
		last = b.ID
	}
	writeJSON(w, 200, compact(map[string]any{"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": more}))
}

// processOpenAILocked ends an OpenAI batch: it fails validation, or every
// request is answered (or expires, or is cancelled) into the output and
// error files. It runs with f.mu held and releases it around each answer.
func (f *Fake) processOpenAILocked(b *fakeBatch) {
	oa := b.oa
	if msg := f.opts.Batch.Fail; msg != "" && len(oa.Invalid) == 0 {
		code := cmp.Or(f.opts.Batch.FailCode, "invalid_request")
		oa.Invalid = []map[string]any{{"code": code, "message": msg, "param": nil, "line": nil}}
	}
	if len(oa.Invalid) > 0 {
		oa.Status, b.Ended = "failed", true
		return
	}
	b.busy = true
	defer func() { b.busy = false }()
	var out, errs [][]byte
	expired := false
	for i, rq := range b.Requests {
		var fate BatchFate
		if f.opts.Batch.Fate != nil {
			fate = f.opts.Batch.Fate(rq.CustomID, i)
		}
		line := map[string]any{"id": fmt.Sprintf("batch_req_%s_%d", b.ID, i), "custom_id": rq.CustomID, "response": nil, "error": nil}
		code, body := 0, []byte(nil)
		switch {
		case b.Canceled:
			line["error"] = map[string]any{"code": "batch_cancelled", "message": "This request was not executed because the batch was cancelled."}
		case fate.Expire:
			expired = true
			line["error"] = map[string]any{"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}
		case fate.Error != "":
			code, body = 400, openaiErrorBody(&Fault{Status: 400, Message: fate.Error}, false)
		case fate.ServerError:
			code, body = 500, openaiErrorBody(&Fault{Status: 500}, false)
		default:
			f.mu.Unlock()
			code, body = f.answerRaw(rq.Params)
			f.mu.Lock()
		}
		if code != 0 {
			line["response"] = map[string]any{"status_code": code, "request_id": fmt.Sprintf("req_fake_%s_%d", b.ID, i),
				"body": json.RawMessage(body)}
		}
		switch {
		case code == 200:
			oa.Completed++
			out = append(out, compact(line))
		case code != 0:
			oa.Failed++
			errs = append(errs, compact(line))
		default:
			errs = append(errs, compact(line))
		}
	}
	if !f.opts.Batch.InOrder {
		rng := rand.New(rand.NewPCG(f.opts.Seed, uint64(len(f.batches))))
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		rng.Shuffle(len(errs), func(i, j int) { errs[i], errs[j] = errs[j], errs[i] })
	}
	oa.OutputFile = f.resultFileLocked(b, "output", out)
	oa.ErrorFile = f.resultFileLocked(b, "errors", errs)
	switch {
	case b.Canceled:
		oa.Status = "cancelled"
	case expired:
		oa.Status = "expired"
	default:
		oa.Status = "completed"
	}
	b.Ended = true
}

// resultFileLocked stores the lines of a batch's output or error file,
// "" when there are none.
func (f *Fake) resultFileLocked(b *fakeBatch, kind string, lines [][]byte) string {
	if len(lines) == 0 {
		return ""
	}
	data := append(bytes.Join(lines, []byte("\n")), '\n')
	return f.addFileLocked(&fakeFile{Name: b.ID + "_" + kind + ".jsonl", Purpose: "batch_output", Created: time.Now().UTC(), Data: data})
}

func (f *Fake) openaiBatchJSONLocked(b *fakeBatch) []byte {
	oa := b.oa
	at := func(ok bool) any {
		if !ok {
			return nil
		}
		return b.Created.Add(time.Duration(b.Polls) * time.Second).Unix()
	}
	status := "validating"
	switch {
	case b.Ended:
		status = oa.Status
	case b.Canceled:
		status = "cancelling"
	case b.Polls > 1:
		status = "in_progress"
	}
	total := len(b.Requests)
	var errs any
	if len(oa.Invalid) > 0 && b.Ended {
		errs = map[string]any{"object": "list", "data": oa.Invalid}
		total = 0 // a batch that fails validation counts no requests
	}
	file := func(id string) any {
		if id == "" {
			return nil
		}
		return id
	}
	return compact(map[string]any{"id": b.ID, "object": "batch", "endpoint": oa.Endpoint, "errors": errs,
		"input_file_id": oa.InputFile, "completion_window": oa.Window, "status": status,
		"output_file_id": file(oa.OutputFile), "error_file_id": file(oa.ErrorFile),
		"created_at": b.Created.Unix(), "in_progress_at": at(b.Polls > 1 || b.Ended),
		"expires_at": b.Created.Add(24 * time.Hour).Unix(), "finalizing_at": at(b.Ended && status != "failed"),
		"completed_at": at(status == "completed"), "failed_at": at(status == "failed"), "expired_at": at(status == "expired"),
		"cancelling_at": at(b.Canceled), "cancelled_at": at(status == "cancelled"),
		"request_counts": map[string]int{"total": total, "completed": oa.Completed, "failed": oa.Failed},
		"metadata":       oa.Metadata})
}
