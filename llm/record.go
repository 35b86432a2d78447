package llm

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"
)

// recordVersion versions the stored record format.
const recordVersion = 1

// Record is what the request store keeps for one request key. Success
// records live under the request key itself; failure records under
// FailureKey(key), so a failure can never be read as a success and a later
// success never races with an earlier failure.
type Record struct {
	Version     int       `json:"v"`
	Key         string    `json:"key"`
	OK          bool      `json:"ok"`
	Provider    string    `json:"provider"`
	Model       string    `json:"model"`        // requested model id
	ServedModel string    `json:"served_model"` // what the provider says served it
	Response    *Response `json:"response,omitempty"`
	Usage       Usage     `json:"usage"`
	CostUSD     float64   `json:"cost_usd"`
	Attempts    int       `json:"attempts"` // HTTP requests sent, retries included
	// Run is the run that paid for it ("" before runs were recorded).
	Run string `json:"run,omitempty"`
	// FailedUsage is the usage of the responses to this request that were
	// paid for and not stored (they failed validation); Usage is the stored
	// response's, CostUSD covers both.
	FailedUsage *Usage    `json:"failed_usage,omitempty"`
	Time        time.Time `json:"time"`
	Simulated   bool      `json:"simulated,omitempty"`
	ErrorKind   ErrorKind `json:"error_kind,omitempty"`
	Error       string    `json:"error,omitempty"`
	// Batch is the provider batch that produced it ("" online); CostUSD
	// is then at the batch price.
	Batch string `json:"batch,omitempty"`
	// Request is the digest of the request object (StoredRequest) the
	// record answers, stored beside it; "" in records written before
	// requests were stored, which read as before.
	Request string `json:"request,omitempty"`
	// RequestParts are the digests of the shared parts of that request
	// (system prompt, tools) the record keeps alive too.
	RequestParts []string `json:"request_parts,omitempty"`
}

// FailureKey is where the last failure of key is recorded.
func FailureKey(key RequestKey) [32]byte {
	return sha256.Sum256(append([]byte("sptflow/llm-failure/v1\x00"), key[:]...))
}

// LookupRecord returns the success record stored for key. A missing,
// damaged or non-success record is a miss (ok false): the request is made
// again. An error is a store that cannot tell whether it holds the record
// (a request-log segment it cannot read, say): a caller that sends the
// request on an error may pay again for a response it has, so it must not.
func LookupRecord(rs RecordStore, key RequestKey) (*Record, bool, error) {
	data, ok, err := rs.Get(key)
	if err != nil {
		return nil, false, fmt.Errorf("request store: %w", err)
	}
	if !ok {
		return nil, false, nil
	}
	var rec Record
	if json.Unmarshal(data, &rec) != nil || rec.Version != recordVersion || !rec.OK ||
		rec.Response == nil || rec.Key != key.String() {
		return nil, false, nil
	}
	return &rec, true, nil
}

// LookupFailure returns the last failure recorded for key, if any.
func LookupFailure(rs RecordStore, key RequestKey) (*Record, bool) {
	data, ok, err := rs.Get(FailureKey(key))
	if err != nil || !ok {
		return nil, false
	}
	var rec Record
	if json.Unmarshal(data, &rec) != nil || rec.OK {
		return nil, false
	}
	return &rec, true
}

func putRecord(rs RecordStore, where [32]byte, rec *Record) error {
	rec.Version = recordVersion
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode request record %s: %w", rec.Key, err)
	}
	if err := rs.Put(where, data); err != nil {
		return fmt.Errorf("store request record %s: %w", rec.Key, err)
	}
	return nil
}
