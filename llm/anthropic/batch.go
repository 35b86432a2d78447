package anthropic

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/transport"
)

// The Message Batches API (POST /v1/messages/batches and friends): up to
// 100,000 requests per batch, each {custom_id, params} with params a
// Messages request body; processing within 24 hours; results as JSONL in
// any order, each succeeded, errored, canceled or expired; only succeeded
// requests are billed (at half price).

var (
	_ llm.BatchAPI      = (*Provider)(nil)
	_ llm.BatchSplitter = (*Provider)(nil)
)

// Limits of one Message Batch.
const (
	MaxBatchRequests = 100_000
	MaxBatchBytes    = 256 << 20
)

// batchLimits are the limits SplitBatch keeps to (tests lower them).
var batchLimits = llm.BatchLimits{Requests: MaxBatchRequests, Bytes: MaxBatchBytes, Framing: 16} // {"requests":[…]}

// SplitBatch implements llm.BatchSplitter: consecutive batches of at most
// MaxBatchRequests requests and MaxBatchBytes of create body.
func (p *Provider) SplitBatch(items []llm.BatchItem) ([]int, error) {
	sizes, err := batchLimits.SplitSizes(len(items), func(i int) (int, error) {
		body, err := encodeRequest(items[i].Request, false)
		if err != nil {
			return 0, p.fail(items[i].Request, err)
		}
		return len(body) + len(items[i].CustomID) + 32, nil // {"custom_id":"…","params":…},
	}, func(i int) string { return items[i].CustomID })
	if err != nil {
		return nil, fmt.Errorf("anthropic batch: %w", err)
	}
	return sizes, nil
}

// createClient sends batch creations: never retried, since a retry after
// a lost answer would create (and bill) the batch twice. A lost answer
// leaves the intent record without an id, and the next run finds the
// batch by listing.
var createClient = &http.Client{Timeout: 10 * time.Minute}

// wireBatch is a MessageBatch object.
type wireBatch struct {
	ID               string          `json:"id"`
	Type             string          `json:"type"`
	ProcessingStatus string          `json:"processing_status"` // in_progress, canceling, ended
	RequestCounts    llm.BatchCounts `json:"request_counts"`
	CreatedAt        time.Time       `json:"created_at"`
	ExpiresAt        time.Time       `json:"expires_at"`
	EndedAt          *time.Time      `json:"ended_at"`
	ResultsURL       *string         `json:"results_url"`
}

func (b *wireBatch) status() *llm.BatchStatus {
	return &llm.BatchStatus{ID: b.ID, Ended: b.ProcessingStatus == "ended", Created: b.CreatedAt,
		Expires: b.ExpiresAt, Counts: b.RequestCounts}
}

// CreateBatch implements llm.BatchAPI. Each item's params are the body
// the online call would send (without stream: batch requests are not
// streamed), so a result answers exactly the request its key names.
func (p *Provider) CreateBatch(ctx context.Context, items []llm.BatchItem) (*llm.BatchStatus, error) {
	// The body is assembled in one buffer of its exact size from each
	// request's params as encodeRequest makes them: a 200 MB batch is
	// held twice at most (params, then body), not as params, their copy
	// in a marshalled array and a buffer grown by doubling.
	params := make([][]byte, len(items))
	size := len(`{"requests":[]}`)
	for i, it := range items {
		if n := len(it.CustomID); n < 1 || n > 64 {
			return nil, fmt.Errorf("anthropic batch: custom id %q: want 1 to 64 characters", it.CustomID)
		}
		var err error
		if params[i], err = encodeRequest(it.Request, false); err != nil {
			return nil, p.fail(it.Request, err)
		}
		size += len(params[i]) + len(it.CustomID)*6 + 32
	}
	var buf bytes.Buffer
	buf.Grow(size)
	buf.WriteString(`{"requests":[`)
	for i, it := range items {
		id, err := json.Marshal(it.CustomID)
		if err != nil {
			return nil, fmt.Errorf("anthropic batch: encode custom id: %w", err)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"custom_id":`)
		buf.Write(id)
		buf.WriteString(`,"params":`)
		buf.Write(params[i])
		buf.WriteByte('}')
		params[i] = nil
	}
	buf.WriteString(`]}`)
	var b wireBatch
	if err := p.batchJSON(ctx, http.MethodPost, p.batchURL(""), buf.Bytes(), &b); err != nil {
		return nil, err
	}
	return b.status(), nil
}

// GetBatch implements llm.BatchAPI.
func (p *Provider) GetBatch(ctx context.Context, id string) (*llm.BatchStatus, error) {
	var b wireBatch
	if err := p.batchJSON(ctx, http.MethodGet, p.batchURL(id), nil, &b); err != nil {
		return nil, err
	}
	return b.status(), nil
}

// CancelBatch implements llm.BatchAPI (POST .../batches/{id}/cancel): the
// batch is canceling until the requests in processing are done; its
// results then hold them, the others canceled.
func (p *Provider) CancelBatch(ctx context.Context, id string) (*llm.BatchStatus, error) {
	var b wireBatch
	if err := p.batchJSON(ctx, http.MethodPost, p.batchURL(id)+"/cancel", nil, &b); err != nil {
		return nil, err
	}
	return b.status(), nil
}

// ListBatches implements llm.BatchAPI: it pages through the account's
// batches, newest first, until one was created before since.
func (p *Provider) ListBatches(ctx context.Context, since time.Time) ([]*llm.BatchStatus, error) {
	var out []*llm.BatchStatus
	after := ""
	for {
		q := url.Values{"limit": {"100"}}
		if after != "" {
			q.Set("after_id", after)
		}
		var page struct {
			Data    []wireBatch `json:"data"`
			HasMore bool        `json:"has_more"`
			LastID  string      `json:"last_id"`
		}
		if err := p.batchJSON(ctx, http.MethodGet, p.batchURL("")+"?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		for i := range page.Data {
			if page.Data[i].CreatedAt.Before(since) {
				return out, nil
			}
			out = append(out, page.Data[i].status())
		}
		if !page.HasMore || page.LastID == "" || page.LastID == after {
			return out, nil
		}
		after = page.LastID
	}
}

// batchLine is one line of a batch's results.
type batchLine struct {
	CustomID string `json:"custom_id"`
	Result   struct {
		Type    string          `json:"type"`
		Message *message        `json:"message"`
		Error   json.RawMessage `json:"error"`
	} `json:"result"`
}

// BatchResults implements llm.BatchAPI: it streams the results JSONL line
// by line. A succeeded message is checked like an online response (a cut
// or malformed tool call is an error with the response); an errored one
// is classified from its error object (invalid_request_error is an
// invalid request, api_error a server error).
func (p *Provider) BatchResults(ctx context.Context, id string, request func(string) *llm.Request, fn func(*llm.BatchResult) error) error {
	resp, err := p.batchDo(ctx, http.MethodGet, p.batchURL(id)+"/results", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l batchLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("anthropic batch %s results line %d: %w", id, n, err)
		}
		if err := fn(lineResult(&l, request(l.CustomID))); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("anthropic batch %s results: %w", id, transport.ClassifyErr(ctx, err))
	}
	return nil
}

func lineResult(l *batchLine, req *llm.Request) *llm.BatchResult {
	r := &llm.BatchResult{CustomID: l.CustomID, Outcome: llm.BatchOutcome(l.Result.Type)}
	switch l.Result.Type {
	case "succeeded":
		if l.Result.Message == nil {
			r.Err = &llm.Error{Kind: llm.KindEmpty, Provider: "anthropic", Message: "succeeded result without a message"}
			return r
		}
		for _, b := range l.Result.Message.Content {
			if b.Type == "tool_use" && len(b.Input) == 0 {
				b.Input = json.RawMessage("{}")
			}
		}
		r.Response = l.Result.Message.response()
		r.Response.Attempts = 1
		if req == nil { // not asked for by this run: check what can be checked
			req = &llm.Request{}
		}
		if err := check(req, l.Result.Message, r.Response); err != nil {
			r.Err = err
		}
	case "errored":
		r.Err = classifyBatchError(l.Result.Error)
	case "canceled", "expired":
	default:
		r.Outcome = llm.BatchErrored
		r.Err = &llm.Error{Kind: llm.KindServer, Provider: "anthropic", Message: fmt.Sprintf("unknown batch result type %q", l.Result.Type)}
	}
	return r
}

// classifyBatchError types an errored result's error object
// ({"type":"error","error":{"type":...,"message":...}}).
func classifyBatchError(raw json.RawMessage) *llm.Error {
	var e struct {
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	status := 500
	switch e.Error.Type {
	case "invalid_request_error":
		status = 400
	case "overloaded_error":
		status = 529
	}
	err := transport.Classify(status, nil, raw)
	err.Provider = "anthropic"
	return err
}

func (p *Provider) batchURL(id string) string {
	u := p.url + "/batches"
	if id != "" {
		u += "/" + url.PathEscape(id)
	}
	return u
}

func (p *Provider) batchJSON(ctx context.Context, method, u string, body []byte, out any) error {
	resp, err := p.batchDo(ctx, method, u, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(out); err != nil {
		return fmt.Errorf("anthropic batch %s %s: decode: %w", method, u, err)
	}
	return nil
}

// batchDo sends one batch API request; a non-2xx answer is a typed
// *llm.Error.
func (p *Provider) batchDo(ctx context.Context, method, u string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	r.Header.Set("X-Api-Key", p.cfg.APIKey)
	r.Header.Set("Anthropic-Version", p.cfg.Version)
	r.Header.Set("Content-Type", "application/json")
	client := p.cfg.HTTPClient
	if method == http.MethodPost && u == p.batchURL("") {
		client = createClient
	}
	resp, err := client.Do(r)
	if err != nil {
		return nil, transport.ClassifyErr(ctx, err)
	}
	if resp.StatusCode >= 300 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		e := transport.Classify(resp.StatusCode, resp.Header, raw)
		e.Provider = "anthropic"
		if p.batchGone(u, resp.StatusCode, raw) {
			e.Err = llm.ErrBatchNotFound
		}
		return nil, e
	}
	return resp, nil
}

// batchGone reports whether an error answer to a request about one batch
// (its status, cancel or results) says the batch does not exist: a 404
// with Anthropic's not_found_error. A 404 without it (a proxy's page, a
// server without the batch API) may be anything, so it is not taken for
// the batch's absence.
func (p *Provider) batchGone(u string, status int, body []byte) bool {
	if status != http.StatusNotFound || !strings.HasPrefix(u, p.batchURL("")+"/") {
		return false
	}
	e, ok := transport.ParseError(body)
	return ok && e.Type == "not_found_error"
}
