package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"
)

// The fake Anthropic server implements the Message Batches API:
//
//	POST /v1/messages/batches              create ({"requests":[{custom_id, params}]})
//	GET  /v1/messages/batches              list, newest first (limit, after_id)
//	GET  /v1/messages/batches/{id}         retrieve
//	POST /v1/messages/batches/{id}/cancel  cancel
//	GET  /v1/messages/batches/{id}/results results as JSONL, once ended
//
// A batch stays in_progress for BatchScript.Polls retrievals, then every
// request is answered at once (through Options.Script and the fault queue,
// as an online request with the same content would be: the reply and the
// usage depend on Request.Content, so a request streamed online gets the
// answer its batched params get) and the batch ends.
// Results come in a seeded shuffled order. Only succeeded requests are
// billed, into Stats.BatchBilled (the provider charges them at
// BatchDiscount of the online price).

// BatchDiscount is the fraction the fake's provider takes off batch prices.
const BatchDiscount = 0.5

// BatchFate scripts what becomes of one request of a batch; the zero
// value processes it as normal.
type BatchFate struct {
	Expire bool // the batch's 24 h ran out before it was processed
	// Error makes it errored with an invalid_request_error of this message.
	Error string
	// ServerError makes it errored with an api_error (worth retrying).
	ServerError bool
}

// BatchScript scripts the batch API of a fake Anthropic server.
type BatchScript struct {
	// Polls is how many retrievals a batch answers in_progress before it
	// ends (0: it ends at the first).
	Polls int
	// Fate decides each request's fate, by custom id and its index in its
	// batch; nil processes every request.
	Fate func(customID string, i int) BatchFate
	// InOrder keeps results in request order (default: shuffled).
	InOrder bool
	// Fail makes every batch fail validation as a whole with this
	// message, as a malformed request shape does a day after submission:
	// Anthropic answers every request errored with an
	// invalid_request_error of it; OpenAI ends the batch failed, with the
	// message in its errors.
	Fail string
	// FailCode is the error code of an OpenAI batch failed by Fail
	// (default invalid_request; token_limit_exceeded is the enqueued-token
	// limit, worth submitting again later).
	FailCode string
	// RestartAfter > 0 restarts the server mid-poll: once that many
	// retrievals of batches were answered, the next RestartFor requests to
	// the batch API are refused (the connection closed without a
	// response, as a server that is down; with Restart503, a 503), while
	// every batch's state persists; then it serves again.
	RestartAfter, RestartFor int
	Restart503               bool
}

// down answers a request to the batch API during a scripted restart; it
// reports false when the server is up.
func (f *Fake) down(w http.ResponseWriter) bool {
	f.mu.Lock()
	down := f.downFor > 0
	if down {
		f.downFor--
	}
	f.mu.Unlock()
	if !down {
		return false
	}
	if f.opts.Batch.Restart503 {
		f.dialect.writeError(w, &Fault{Status: 503, Message: "the server is restarting"}, f.opts.Flavor)
	} else {
		hangUp(w)
	}
	return true
}

// retrievedLocked counts one answered retrieval of a batch, starting the
// scripted restart after the RestartAfter-th.
func (f *Fake) retrievedLocked() {
	f.retrievals++
	if f.retrievals == f.opts.Batch.RestartAfter {
		f.downFor = f.opts.Batch.RestartFor
	}
}

type fakeBatch struct {
	oa       *oaBatch // an OpenAI batch (openaibatch.go); nil for Anthropic's
	ID       string
	Created  time.Time
	Requests []batchReq
	Polls    int
	Canceled bool
	Ended    bool
	busy     bool     // being processed (f.mu is released around each answer)
	Results  [][]byte // JSONL lines, once ended
	Counts   map[string]int
	// forgotten batches are answered 404 (ForgetBatches) and not listed.
	forgotten bool
}

type batchReq struct {
	CustomID string          `json:"custom_id"`
	Params   json.RawMessage `json:"params"`
}

// Batches returns how many batches were created, and their request counts.
func (f *Fake) Batches() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]int, len(f.batches))
	for i, b := range f.batches {
		out[i] = len(b.Requests)
	}
	return out
}

// ForgetBatches makes the server forget every batch created so far, as a
// provider does once a batch's results are purged (Anthropic keeps them
// 29 days): retrieving, canceling or reading the results of one is a 404
// with the provider's not-found error. Batches() still counts them.
func (f *Fake) ForgetBatches() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.batches {
		b.forgotten = true
	}
}

// serveBatches answers the batch endpoints; it reports false for other
// paths.
func (f *Fake) serveBatches(w http.ResponseWriter, r *http.Request, body []byte) bool {
	const root = "/v1/messages/batches"
	if _, ok := f.dialect.(*openaiDialect); ok {
		return f.serveOpenAIBatches(w, r, body)
	}
	if _, ok := f.dialect.(anthropicDialect); !ok || !strings.HasPrefix(r.URL.Path, root) {
		return false
	}
	if f.down(w) {
		return true
	}
	if f.opts.APIKey != "" && !f.dialect.authorized(r.Header, f.opts.APIKey) {
		f.dialect.writeError(w, &Fault{Status: 401}, "")
		return true
	}
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, root), "/")
	parts := strings.Split(rest, "/")
	switch {
	case rest == "" && r.Method == http.MethodPost:
		f.createBatch(w, body)
	case rest == "" && r.Method == http.MethodGet:
		f.listBatches(w, r)
	case len(parts) == 1 && r.Method == http.MethodGet:
		f.withBatch(w, parts[0], func(b *fakeBatch) {
			f.pollLocked(b)
			writeJSON(w, 200, f.batchJSONLocked(b))
			f.retrievedLocked()
		})
	case len(parts) == 2 && parts[1] == "cancel" && r.Method == http.MethodPost:
		f.withBatch(w, parts[0], func(b *fakeBatch) {
			b.Canceled = true
			writeJSON(w, 200, f.batchJSONLocked(b))
		})
	case len(parts) == 2 && parts[1] == "results" && r.Method == http.MethodGet:
		f.withBatch(w, parts[0], func(b *fakeBatch) {
			if !b.Ended {
				f.dialect.writeError(w, &Fault{Status: 400, Message: "batch " + b.ID + " is still processing; results are not available yet"}, "")
				return
			}
			w.Header().Set("Content-Type", "application/x-jsonl")
			w.WriteHeader(200)
			for _, l := range b.Results {
				_, _ = w.Write(append(l, '\n'))
			}
		})
	default:
		f.dialect.writeError(w, &Fault{Status: 404, Message: "unknown path " + r.URL.Path}, "")
	}
	return true
}

func (f *Fake) createBatch(w http.ResponseWriter, body []byte) {
	var in struct {
		Requests []batchReq `json:"requests"`
	}
	if err := json.Unmarshal(body, &in); err != nil || len(in.Requests) == 0 {
		f.dialect.writeError(w, &Fault{Status: 400, Message: "requests: at least one request is required"}, "")
		return
	}
	seen := map[string]bool{}
	for i, rq := range in.Requests {
		switch {
		case len(rq.CustomID) < 1 || len(rq.CustomID) > 64:
			f.dialect.writeError(w, &Fault{Status: 400, Message: fmt.Sprintf("requests.%d.custom_id: 1 to 64 characters", i)}, "")
			return
		case seen[rq.CustomID]:
			f.dialect.writeError(w, &Fault{Status: 400, Message: fmt.Sprintf("requests.%d.custom_id: duplicate %q", i, rq.CustomID)}, "")
			return
		case len(in.Requests) > 100_000:
			f.dialect.writeError(w, &Fault{Status: 400, Message: "requests: at most 100000"}, "")
			return
		}
		seen[rq.CustomID] = true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	b := &fakeBatch{ID: fmt.Sprintf("msgbatch_fake%06d", f.seq), Created: time.Now().UTC(), Requests: in.Requests}
	f.batches = append(f.batches, b)
	writeJSON(w, 200, f.batchJSONLocked(b))
}

func (f *Fake) listBatches(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	after := r.URL.Query().Get("after_id")
	limit := 20
	if n, err := fmt.Sscan(r.URL.Query().Get("limit"), &limit); n != 1 || err != nil || limit <= 0 {
		limit = 20
	}
	var data []json.RawMessage
	started := after == ""
	last := ""
	more := false
	for i := len(f.batches) - 1; i >= 0; i-- {
		b := f.batches[i]
		if b.forgotten {
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
		data = append(data, f.batchJSONLocked(b))
		last = b.ID
	}
	writeJSON(w, 200, compact(map[string]any{"data": data, "has_more": more, "first_id": nil, "last_id": last}))
}

func (f *Fake) withBatch(w http.ResponseWriter, id string, fn func(*fakeBatch)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.batches {
		if b.ID == id && !b.forgotten {
			fn(b)
			return
		}
	}
	msg := "batch " + id + " not found"
	if _, ok := f.dialect.(*openaiDialect); ok {
		msg = "No batch found with id '" + id + "'."
	}
	f.dialect.writeError(w, &Fault{Status: 404, Message: msg}, f.opts.Flavor)
}

// pollLocked counts one retrieval and ends the batch when its polls are
// used up (or it was canceled).
func (f *Fake) pollLocked(b *fakeBatch) {
	if b.Ended || b.busy {
		return
	}
	b.Polls++
	if b.oa != nil && (len(b.oa.Invalid) > 0 || f.opts.Batch.Fail != "") {
		f.processOpenAILocked(b) // fails at validation
		return
	}
	if b.Polls <= f.opts.Batch.Polls && !b.Canceled {
		return
	}
	if b.oa != nil {
		f.processOpenAILocked(b)
		return
	}
	f.processLocked(b)
}

// processLocked answers every request of b, as the online endpoint would
// answer the same body, and ends it. It runs with f.mu held and releases
// it around each answer.
func (f *Fake) processLocked(b *fakeBatch) {
	b.busy = true
	defer func() { b.busy = false }()
	b.Counts = map[string]int{}
	lines := make([][]byte, 0, len(b.Requests))
	for i, rq := range b.Requests {
		var fate BatchFate
		if f.opts.Batch.Fate != nil {
			fate = f.opts.Batch.Fate(rq.CustomID, i)
		}
		var result any
		if f.opts.Batch.Fail != "" {
			fate = BatchFate{Error: f.opts.Batch.Fail}
		}
		switch {
		case b.Canceled:
			result = map[string]any{"type": "canceled"}
		case fate.Expire:
			result = map[string]any{"type": "expired"}
		case fate.Error != "" || fate.ServerError:
			ft := &Fault{Status: 400, Message: fate.Error}
			if fate.ServerError {
				ft = &Fault{Status: 500}
			}
			_, eb := anthropicError(ft)
			result = map[string]any{"type": "errored", "error": json.RawMessage(eb)}
		default:
			f.mu.Unlock()
			result = f.answerBatched(rq.Params)
			f.mu.Lock()
		}
		typ := result.(map[string]any)["type"].(string)
		b.Counts[typ]++
		lines = append(lines, compact(map[string]any{"custom_id": rq.CustomID, "result": result}))
	}
	if !f.opts.Batch.InOrder {
		rng := rand.New(rand.NewPCG(f.opts.Seed, uint64(len(f.batches))))
		rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	}
	b.Results, b.Ended = lines, true
}

// answerBatched answers one batched request as POST /v1/messages with the
// same body would be answered, billing a success into the batch account.
func (f *Fake) answerBatched(params json.RawMessage) map[string]any {
	code, raw := f.answerRaw(params)
	if code != 200 {
		return map[string]any{"type": "errored", "error": json.RawMessage(raw)}
	}
	return map[string]any{"type": "succeeded", "message": json.RawMessage(raw)}
}

// answerRaw answers one batched request body as the online endpoint
// would answer the same body (script, fault queue, validation), without
// latency, billing a success into the batch account. A reply that is not
// valid JSON (a scripted malformed body) is a 500.
func (f *Fake) answerRaw(params json.RawMessage) (int, []byte) {
	h := http.Header{}
	if _, ok := f.dialect.(anthropicDialect); ok {
		h.Set("Anthropic-Version", "2023-06-01")
	}
	rec := Request{Method: http.MethodPost, Path: f.dialect.path(), Header: h, Body: params, Time: time.Now()}
	x := &exchange{fake: f, req: rec, batch: true}
	rw := httptest.NewRecorder()
	fail := func(ft *Fault) (int, []byte) {
		f.dialect.writeError(rw, ft, f.opts.Flavor)
		return rw.Code, slices.Clone(rw.Body.Bytes())
	}
	if json.Unmarshal(params, &x.body) != nil {
		return fail(&Fault{Status: 400, Message: "body: not a JSON object"})
	}
	if x.stream() {
		return fail(&Fault{Status: 400, Message: "stream: streaming is not supported in batches"})
	}
	fault := f.next(rec)
	x.fault = &fault
	fault.Delay, fault.StallAfter = 0, 0
	if fault.Reset || fault.StreamError {
		fault = Fault{Status: 500}
	}
	if fault.Status != 0 && fault.Status != 200 && !fault.ErrorIn200 {
		return fail(&fault)
	}
	r := httptest.NewRequest(http.MethodPost, f.dialect.path(), bytes.NewReader(params))
	f.dialect.serve(rw, r, x)
	raw := rw.Body.Bytes()
	if rw.Code != 200 || !json.Valid(raw) {
		if rw.Code == 200 {
			rw = httptest.NewRecorder()
			return fail(&Fault{Status: 500, Message: "the model's output could not be encoded"})
		}
		return rw.Code, slices.Clone(raw)
	}
	return 200, slices.Clone(raw)
}

func (f *Fake) batchJSONLocked(b *fakeBatch) []byte {
	status := "in_progress"
	counts := map[string]int{"processing": len(b.Requests), "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
	var ended, results any
	if b.Canceled && !b.Ended {
		status = "canceling"
	}
	if b.Ended {
		status = "ended"
		counts["processing"] = 0
		for k, v := range b.Counts {
			counts[k] = v
		}
		ended = b.Created.Add(time.Duration(b.Polls) * time.Second).Format(time.RFC3339Nano)
		results = "/v1/messages/batches/" + b.ID + "/results"
	}
	return compact(map[string]any{"id": b.ID, "type": "message_batch", "processing_status": status,
		"request_counts": counts, "created_at": b.Created.Format(time.RFC3339Nano),
		"expires_at": b.Created.Add(24 * time.Hour).Format(time.RFC3339Nano), "ended_at": ended,
		"cancel_initiated_at": nil, "archived_at": nil, "results_url": results})
}
