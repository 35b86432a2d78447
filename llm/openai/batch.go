package openai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/transport"
)

// The OpenAI Batch API, as any base URL implementing /files and /batches
// serves it (OpenAI, OpenRouter, other compatible servers): the requests
// are uploaded as a JSONL file (purpose batch), one line
// {custom_id, method, url, body} each, body being exactly the chat
// completions request Call would send; POST /batches creates the batch over
// the file (one endpoint, one model, up to 50,000 requests and 200 MB, a
// 24 h window, metadata naming sptflow's intent record); the batch is
// validating, in_progress, finalizing, then completed, failed (validation
// of the whole file), expired or cancelled (cancelling in between). Its
// output file holds the answered requests (status_code 200 and others),
// its error file the failed ones and, for an expired or cancelled batch,
// the requests never run (batch_expired, batch_cancelled); both in any
// order. Finished results of an expired batch are kept (and billed).
//
// go-openai's file and batch calls (CreateFileBytes, CreateBatch,
// RetrieveBatch, ListBatch, CancelBatch, GetFileContent) carry the
// exchanges, with the errors typed as the online ones are; the JSONL lines
// are written here, not with its BatchChatCompletionRequest, whose
// ChatCompletionRequest body would lose the extra body fields Call merges
// in (temperature 0, max_tokens, reasoning, extra).

// Limits of one OpenAI batch.
const (
	MaxBatchRequests = 50_000
	MaxBatchBytes    = 200 << 20
)

// batchLimits are the limits SplitBatch and CreateBatch keep to (tests
// lower them).
var batchLimits = llm.BatchLimits{Requests: MaxBatchRequests, Bytes: MaxBatchBytes}

const (
	// batchEndpoint is the endpoint of every batch sptflow creates.
	batchEndpoint = goopenai.BatchEndpointChatCompletions
	// IntentMetadata is the batch metadata key holding the name of the
	// intent record in sptflow's batch ledger.
	IntentMetadata = "sptflow_intent"
)

var (
	_ llm.BatchAPI      = (*Provider)(nil)
	_ llm.BatchSplitter = (*Provider)(nil)
)

// createClient creates batches: never retried, since a retry after a lost
// answer would create (and bill) the batch twice. A lost answer leaves the
// intent record without an id, and the next run finds the batch by its
// metadata.
var createClient = &http.Client{Timeout: 10 * time.Minute}

// errCaptured stops go-openai once the request body is captured.
var errCaptured = errors.New("request body captured")

// captureDoer is the HTTPClient go-openai marshals one chat request for:
// it merges the extra fields as the online exchange does, keeps the body
// and sends nothing.
type captureDoer struct {
	extra map[string]any
	body  []byte
}

func (c *captureDoer) Do(r *http.Request) (*http.Response, error) {
	if err := mergeBody(r, c.extra); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c.body = body
	return nil, errCaptured
}

// chatBody returns the body Call sends for req, byte for byte.
func (p *Provider) chatBody(req *llm.Request) ([]byte, error) {
	cr, extra, err := p.chatRequest(req)
	if err != nil {
		return nil, p.fail(req, err)
	}
	d := &captureDoer{extra: extra}
	gc := p.gc
	gc.HTTPClient = d
	_, err = goopenai.NewClientWithConfig(gc).CreateChatCompletion(context.Background(), cr)
	if d.body == nil {
		return nil, p.fail(req, &llm.Error{Kind: llm.KindInvalidRequest, Message: err.Error(), Err: err})
	}
	return d.body, nil
}

// batchLine renders one JSONL line of the input file. It is written by
// hand so that body goes out as chatBody made it (json.Marshal would
// re-escape it).
func batchLine(customID string, body []byte) ([]byte, error) {
	if n := len(customID); n < 1 || n > 64 {
		return nil, fmt.Errorf("openai batch: custom id %q: want 1 to 64 characters", customID)
	}
	id, err := json.Marshal(customID)
	if err != nil {
		return nil, err
	}
	line := make([]byte, 0, len(body)+len(id)+80)
	line = append(line, `{"custom_id":`...)
	line = append(line, id...)
	line = append(line, `,"method":"POST","url":"`+string(batchEndpoint)+`","body":`...)
	line = append(line, body...)
	return append(line, "}\n"...), nil
}

// SplitBatch implements llm.BatchSplitter: consecutive batches of at most
// MaxBatchRequests requests and MaxBatchBytes of input file.
func (p *Provider) SplitBatch(items []llm.BatchItem) ([]int, error) {
	sizes, err := batchLimits.SplitSizes(len(items), func(i int) (int, error) {
		body, err := p.chatBody(items[i].Request)
		if err != nil {
			return 0, err
		}
		return len(body) + len(items[i].CustomID) + 80, nil // the JSONL line around the body
	}, func(i int) string { return items[i].CustomID })
	if err != nil {
		return nil, fmt.Errorf("openai batch: %w", err)
	}
	return sizes, nil
}

// CreateBatch implements llm.BatchAPI: it uploads the input file, then
// creates the batch, its metadata naming the intent record of ctx
// (llm.WithBatchIntent).
func (p *Provider) CreateBatch(ctx context.Context, items []llm.BatchItem) (*llm.BatchStatus, error) {
	if len(items) == 0 || len(items) > batchLimits.Requests {
		return nil, fmt.Errorf("openai batch: %d requests: want 1 to %d", len(items), batchLimits.Requests)
	}
	var file bytes.Buffer
	model := ""
	for _, it := range items {
		if model == "" {
			model = it.Request.Model
		} else if it.Request.Model != model {
			return nil, fmt.Errorf("openai batch: models %s and %s: a batch holds one model", model, it.Request.Model)
		}
		body, err := p.chatBody(it.Request)
		if err != nil {
			return nil, err
		}
		line, err := batchLine(it.CustomID, body)
		if err != nil {
			return nil, err
		}
		file.Write(line)
	}
	if file.Len() > batchLimits.Bytes {
		return nil, fmt.Errorf("openai batch: input file of %d bytes: at most %d", file.Len(), batchLimits.Bytes)
	}
	intent := llm.BatchIntent(ctx)
	name := "sptflow-batch.jsonl"
	if intent != "" {
		name = "sptflow-" + intent + ".jsonl"
	}
	var f goopenai.File
	err := p.batchCall(ctx, p.cfg.HTTPClient, "upload batch input file", func(c *goopenai.Client) (err error) {
		f, err = c.CreateFileBytes(ctx, goopenai.FileBytesRequest{Name: name, Bytes: file.Bytes(), Purpose: goopenai.PurposeBatch})
		return err
	})
	if err != nil {
		return nil, err
	}
	meta := map[string]any{}
	if intent != "" {
		meta[IntentMetadata] = intent
	}
	var b goopenai.BatchResponse
	err = p.batchCall(ctx, createClient, "create batch", func(c *goopenai.Client) (err error) {
		b, err = c.CreateBatch(ctx, goopenai.CreateBatchRequest{InputFileID: f.ID, Endpoint: batchEndpoint,
			CompletionWindow: "24h", Metadata: meta})
		return err
	})
	if err != nil {
		return nil, err
	}
	return status(&b.Batch), nil
}

// GetBatch implements llm.BatchAPI.
func (p *Provider) GetBatch(ctx context.Context, id string) (*llm.BatchStatus, error) {
	b, err := p.retrieve(ctx, id)
	if err != nil {
		return nil, err
	}
	return status(b), nil
}

func (p *Provider) retrieve(ctx context.Context, id string) (*goopenai.Batch, error) {
	var b goopenai.BatchResponse
	err := p.batchCall(ctx, p.cfg.HTTPClient, "retrieve batch "+id, func(c *goopenai.Client) (err error) {
		b, err = c.RetrieveBatch(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &b.Batch, nil
}

// CancelBatch implements llm.BatchAPI (POST /batches/{id}/cancel): the
// batch is cancelling, then cancelled; its finished results are kept.
func (p *Provider) CancelBatch(ctx context.Context, id string) (*llm.BatchStatus, error) {
	var b goopenai.BatchResponse
	err := p.batchCall(ctx, p.cfg.HTTPClient, "cancel batch "+id, func(c *goopenai.Client) (err error) {
		b, err = c.CancelBatch(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return status(&b.Batch), nil
}

// ListBatches implements llm.BatchAPI: it pages through the account's
// batches, newest first, until one was created before since.
func (p *Provider) ListBatches(ctx context.Context, since time.Time) ([]*llm.BatchStatus, error) {
	var out []*llm.BatchStatus
	limit := 100
	var after *string
	for {
		var page goopenai.ListBatchResponse
		err := p.batchCall(ctx, p.cfg.HTTPClient, "list batches", func(c *goopenai.Client) (err error) {
			page, err = c.ListBatch(ctx, after, &limit)
			return err
		})
		if err != nil {
			return nil, err
		}
		for i := range page.Data {
			st := status(&page.Data[i])
			if st.Created.Before(since) {
				return out, nil
			}
			out = append(out, st)
		}
		if !page.HasMore || len(page.Data) == 0 {
			return out, nil
		}
		last := page.Data[len(page.Data)-1].ID
		if after != nil && *after == last {
			return out, nil
		}
		after = &last
	}
}

// Batch statuses of the API.
const (
	statusFailed    = "failed"
	statusCompleted = "completed"
	statusExpired   = "expired"
	statusCancelled = "cancelled"
)

// status maps a batch object to an llm.BatchStatus. The API counts only
// total, completed and failed: the rest is processing while the batch
// runs, and expired or canceled once it has ended so.
func status(b *goopenai.Batch) *llm.BatchStatus {
	st := &llm.BatchStatus{ID: b.ID, Created: time.Unix(int64(b.CreatedAt), 0).UTC()}
	if b.ExpiresAt != nil {
		st.Expires = time.Unix(int64(*b.ExpiresAt), 0).UTC()
	} else if b.CreatedAt > 0 {
		st.Expires = st.Created.Add(24 * time.Hour)
	}
	if s, ok := b.Metadata[IntentMetadata].(string); ok {
		st.Intent = s
	}
	rc := b.RequestCounts
	rest := max(0, rc.Total-rc.Completed-rc.Failed)
	st.Counts = llm.BatchCounts{Succeeded: rc.Completed, Errored: rc.Failed}
	switch b.Status {
	case statusCompleted:
		st.Ended = true
		st.Counts.Errored += rest
	case statusFailed:
		st.Ended = true
		st.Counts.Errored += rest
	case statusExpired:
		st.Ended, st.Counts.Expired = true, rest
	case statusCancelled:
		st.Ended, st.Counts.Canceled = true, rest
	default: // validating, in_progress, finalizing, cancelling
		st.Counts.Processing = rest
	}
	return st
}

// resultLine is one line of an output or error file.
type resultLine struct {
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// BatchResults implements llm.BatchAPI: it streams the output file, then
// the error file, line by line. A status 200 body is parsed and checked
// as Call's response is (usage from the body); a 4xx is an errored
// request of the kind its status and body say (an invalid request is not
// retried); a 5xx a server error. Requests an expired or cancelled batch
// never ran are expired or canceled. A batch that failed validation as a
// whole has no files: each request of its input file is errored with the
// batch's errors (the one naming its line, else all of them); if the input
// file cannot be read back, or the failure is the account's enqueued-token
// limit, it has no results (its requests are submitted again).
func (p *Provider) BatchResults(ctx context.Context, id string, request func(string) *llm.Request, fn func(*llm.BatchResult) error) error {
	b, err := p.retrieve(ctx, id)
	if err != nil {
		return err
	}
	if b.Status == statusFailed {
		return p.failedResults(ctx, b, fn)
	}
	for _, file := range []*string{b.OutputFileID, b.ErrorFileID} {
		if file == nil || *file == "" {
			continue
		}
		err := p.fileLines(ctx, *file, func(n int, line []byte) error {
			var l resultLine
			if err := json.Unmarshal(line, &l); err != nil {
				return fmt.Errorf("openai batch %s file %s line %d: %w", id, *file, n, err)
			}
			return fn(p.lineResult(&l, request(l.CustomID)))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (p *Provider) lineResult(l *resultLine, req *llm.Request) *llm.BatchResult {
	r := &llm.BatchResult{CustomID: l.CustomID, Outcome: llm.BatchErrored}
	if req == nil { // not asked for by this run: check what can be checked
		req = &llm.Request{}
	}
	stamp := func(err error) error {
		var e *llm.Error
		if errors.As(err, &e) {
			e.Provider, e.Model = p.Name(), req.Model
		}
		return err
	}
	switch {
	case l.Response == nil && l.Error != nil && l.Error.Code == "batch_expired":
		r.Outcome = llm.BatchExpired
	case l.Response == nil && l.Error != nil && l.Error.Code == "batch_cancelled":
		r.Outcome = llm.BatchCanceled
	case l.Response == nil:
		msg := "batch result without a response"
		if l.Error != nil {
			msg = l.Error.Code + ": " + l.Error.Message
		}
		r.Err = stamp(&llm.Error{Kind: llm.KindServer, Message: msg})
	case l.Response.StatusCode == http.StatusOK:
		var cr goopenai.ChatCompletionResponse
		if err := json.Unmarshal(l.Response.Body, &cr); err != nil {
			r.Err = stamp(&llm.Error{Kind: llm.KindServer, Status: 200, Message: "response body is not valid JSON", Err: err})
			return r
		}
		resp, err := response(req, &cr, l.Response.Body)
		if resp == nil { // an error object in the body
			r.Err = stamp(err)
			return r
		}
		resp.Attempts = 1
		r.Outcome, r.Response, r.Err = llm.BatchSucceeded, resp, stamp(err)
	default:
		e := transport.Classify(l.Response.StatusCode, nil, l.Response.Body)
		r.Err = stamp(e)
	}
	return r
}

// retryableBatchFailure are the error codes of a failed batch that say
// nothing about its requests: the account's limit of enqueued tokens was
// reached, so the same requests are worth submitting again later.
var retryableBatchFailure = map[string]bool{"token_limit_exceeded": true, "rate_limit_exceeded": true}

// failedResults answers the requests of a batch that failed validation,
// read back from its input file.
func (p *Provider) failedResults(ctx context.Context, b *goopenai.Batch, fn func(*llm.BatchResult) error) error {
	byLine := map[int]string{}
	all := ""
	if b.Errors != nil {
		for _, e := range b.Errors.Data {
			if retryableBatchFailure[e.Code] {
				return nil // no results: every request is submitted again
			}
			msg := e.Code + ": " + e.Message
			if e.Line != nil {
				byLine[*e.Line] += msg
				continue
			}
			if all != "" {
				all += "; "
			}
			all += msg
		}
	}
	if all == "" && len(byLine) == 0 {
		all = "the batch failed validation"
	}
	sent := 0
	err := p.fileLines(ctx, b.InputFileID, func(n int, line []byte) error {
		var l struct {
			CustomID string `json:"custom_id"`
		}
		if err := json.Unmarshal(line, &l); err != nil || l.CustomID == "" {
			return nil // the file's own fault: no request of ours
		}
		msg := byLine[n]
		if msg == "" {
			msg = all
		}
		if msg == "" {
			msg = "the batch failed validation (on other lines)"
		}
		sent++
		return fn(&llm.BatchResult{CustomID: l.CustomID, Outcome: llm.BatchErrored, Err: &llm.Error{
			Kind: llm.KindInvalidRequest, Provider: p.Name(), Status: 400, Message: "batch " + b.ID + " failed validation: " + msg}})
	})
	var e *llm.Error
	if sent == 0 && errors.As(err, &e) && e.Status >= 400 && e.Status < 500 {
		// The input file cannot be read back (deleted, or the server
		// keeps batch inputs private): no result, so every request of the
		// batch is submitted again, and after the last wave goes online,
		// where its error shows.
		return nil
	}
	return err
}

// fileLines streams a file's content to fn, line by line (numbered from
// 1), skipping blank lines.
func (p *Provider) fileLines(ctx context.Context, id string, fn func(n int, line []byte) error) error {
	var raw goopenai.RawResponse
	err := p.batchCall(ctx, p.cfg.HTTPClient, "read file "+id, func(c *goopenai.Client) (err error) {
		raw, err = c.GetFileContent(ctx, id)
		return err
	})
	if err != nil {
		return err
	}
	defer raw.Close()
	sc := bufio.NewScanner(raw)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := fn(n, sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("openai batch: read file %s: %w", id, transport.ClassifyErr(ctx, err))
	}
	return nil
}

// batchDoer carries one batch API call: the configured headers on, over
// client.
type batchDoer struct {
	client  *http.Client
	headers map[string]string
	sent    bool
}

func (d *batchDoer) Do(r *http.Request) (*http.Response, error) {
	for k, v := range d.headers {
		r.Header.Set(k, v)
	}
	d.sent = true
	return d.client.Do(r)
}

// batchGone reports whether err, go-openai's error of a call about one
// batch (retrieve or cancel), says the batch does not exist: a 404 with
// the API's error object ({"error": {"message": "No batch found with id
// …", …}}). A 404 whose body is not that object (a proxy's page, a server
// without /batches) may be anything, so it is not taken for the batch's
// absence.
func batchGone(what string, err error) bool {
	if !strings.HasPrefix(what, "retrieve batch ") && !strings.HasPrefix(what, "cancel batch ") {
		return false
	}
	var reqErr *goopenai.RequestError
	var apiErr *goopenai.APIError
	return !errors.As(err, &reqErr) && errors.As(err, &apiErr) &&
		apiErr.HTTPStatusCode == http.StatusNotFound && apiErr.Message != ""
}

// batchCall runs call with a go-openai client over client, typing its
// error as Call's are (*llm.Error, or the context's cause). A 404 says
// the base URL may not implement the batch API.
func (p *Provider) batchCall(ctx context.Context, client *http.Client, what string, call func(*goopenai.Client) error) error {
	d := &batchDoer{client: client, headers: p.cfg.Headers}
	gc := p.gc
	gc.HTTPClient = d
	err := call(goopenai.NewClientWithConfig(gc))
	if err == nil {
		return nil
	}
	gone := batchGone(what, err)
	err = callError(ctx, &exchange{sent: d.sent}, nil, err)
	var e *llm.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("openai batch: %s: %w", what, err)
	}
	e.Provider = p.Name()
	if gone {
		e.Err = llm.ErrBatchNotFound
	}
	if e.Status == http.StatusNotFound && (strings.HasPrefix(what, "upload") || strings.HasPrefix(what, "list")) {
		e.Message += " (does " + p.gc.BaseURL + " implement the batch API, /files and /batches?)"
	}
	return fmt.Errorf("openai batch: %s: %w", what, e)
}
