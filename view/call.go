package view

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/llm"
)

// Call is one request record of the store. A lineage carries each call's
// summary (what it used and cost, where its request is); CallDetail adds
// the record, the request and its curl, which are most of the bytes (a
// stage-3 request is tens of KB, and each record of a batch names it).
type Call struct {
	Key          string  `json:"key"`
	Provider     string  `json:"provider"`
	Model        string  `json:"model"`
	Served       string  `json:"served_model"`
	OK           bool    `json:"ok"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	CacheRead    int64   `json:"cache_read_tokens"`
	CostUSD      float64 `json:"cost_usd"`
	Attempts     int     `json:"attempts"`
	Run          string  `json:"run"`
	Time         string  `json:"time"`
	Simulated    bool    `json:"simulated"`
	Partition    string  `json:"partition"`
	Node         string  `json:"node"`
	// Record is the stored record: response, usage, ... (CallDetail).
	Record json.RawMessage `json:"record,omitempty"`
	// Batch is the provider batch that answered ("" online).
	Batch string `json:"batch,omitempty"`
	// RequestDigest names the request object the record answers;
	// Request is that object (provider, model entry's wire settings and
	// the request as sent) and Curl sends it again, the key read from
	// the environment (both CallDetail). RequestMissing says why there is
	// none: the record predates stored requests, or its object is gone.
	RequestDigest  string          `json:"request_digest,omitempty"`
	Request        json.RawMessage `json:"request,omitempty"`
	Curl           string          `json:"curl,omitempty"`
	RequestMissing string          `json:"request_missing,omitempty"`
}

// Messages for a call whose request cannot be shown.
const (
	requestNotRecorded = "request not recorded: this record was written before sptflow stored requests beside responses"
	requestGone        = "request not in the store (removed, or written by a run still going): only the response was kept"
)

// callsFor returns the calls whose response holds the texts: those
// holding every one of them when there are such, else any of them; of
// those, the ones a partition of topic paid for when the spend ledgers
// say so.
func (ix *Index) callsFor(ctx context.Context, topic string, texts ...string) []Call {
	var sets []map[string]bool
	for _, t := range texts {
		if len(strings.TrimSpace(t)) < minFingerprintLen {
			continue
		}
		set := map[string]bool{}
		rs, err := ix.db.QueryContext(ctx, `SELECT key FROM call_fp WHERE fp = ?`, fingerprint(t))
		if err != nil {
			continue
		}
		for rs.Next() {
			var k string
			if rs.Scan(&k) == nil {
				set[k] = true
			}
		}
		rs.Close()
		sets = append(sets, set)
	}
	keys := map[string]bool{}
	for i, set := range sets {
		for k := range set {
			all := true
			for _, o := range sets[i+1:] {
				all = all && o[k]
			}
			if all && i == 0 {
				keys[k] = true
			}
		}
	}
	if len(keys) == 0 {
		for _, set := range sets {
			for k := range set {
				keys[k] = true
			}
		}
	}
	var calls, ofTopic []Call
	for k := range keys {
		c, ok := ix.call(ctx, k)
		if !ok {
			continue
		}
		calls = append(calls, c)
		if topic != "" && (strings.HasSuffix(c.Partition, "@"+topic) || strings.Contains(c.Partition, "="+topic)) {
			ofTopic = append(ofTopic, c)
		}
	}
	if len(ofTopic) > 0 {
		calls = ofTopic
	}
	slices.SortFunc(calls, func(a, b Call) int { return strings.Compare(a.Time+a.Key, b.Time+b.Key) })
	if calls == nil {
		calls = []Call{}
	}
	return calls
}

// call returns the summary of the call of key (no record, request or
// curl: CallDetail).
func (ix *Index) call(ctx context.Context, key string) (Call, bool) {
	c, rec, ok := ix.callRow(ctx, key)
	if ok {
		ix.requestOf(ctx, &c, rec, false)
	}
	return c, ok
}

// CallDetail returns the call of key with its record and, when the store
// holds its request, the request and the curl that sends it again.
func (ix *Index) CallDetail(ctx context.Context, key string) (*Call, error) {
	c, rec, ok := ix.callRow(ctx, key)
	if !ok {
		return nil, fmt.Errorf("call %.12s: %w", key, errNotFound)
	}
	c.Record = json.RawMessage(rec)
	ix.requestOf(ctx, &c, rec, true)
	return &c, nil
}

// callRow reads the call of key and its stored record.
func (ix *Index) callRow(ctx context.Context, key string) (Call, string, bool) {
	var c Call
	var rec string
	err := ix.db.QueryRowContext(ctx, `SELECT key, provider, model, served, ok, input_tokens, output_tokens, cache_read, cost, attempts, run, time, simulated, partition, node, record
		FROM calls WHERE key = ?`, key).Scan(&c.Key, &c.Provider, &c.Model, &c.Served, &c.OK, &c.InputTokens, &c.OutputTokens, &c.CacheRead, &c.CostUSD, &c.Attempts,
		&c.Run, &c.Time, &c.Simulated, &c.Partition, &c.Node, &rec)
	return c, rec, err == nil
}

// requestOf fills the call's batch and request digest from its record,
// and why it has no request; with detail, the request and its curl.
func (ix *Index) requestOf(ctx context.Context, c *Call, rec string, detail bool) {
	var r llm.Record
	if json.Unmarshal([]byte(rec), &r) != nil {
		return
	}
	c.Batch, c.RequestDigest = r.Batch, r.Request
	if r.Request == "" {
		c.RequestMissing = requestNotRecorded
		return
	}
	q := `SELECT '' FROM call_requests WHERE digest = ?`
	if detail {
		q = `SELECT body FROM call_requests WHERE digest = ?`
	}
	var body string
	if ix.db.QueryRowContext(ctx, q, r.Request).Scan(&body) != nil {
		c.RequestMissing = requestGone
		return
	}
	if !detail {
		return
	}
	sr, ok := llm.ParseStoredRequest([]byte(body))
	if !ok {
		c.RequestMissing = requestGone
		return
	}
	c.Request = json.RawMessage(body)
	if curl, err := CurlRequest(sr); err == nil {
		c.Curl = curl
	}
}
