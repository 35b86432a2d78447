package llm

import "encoding/json"

// IsFailureRecord reports whether data, a payload of the request store, is
// a recorded failure (what the client stores under FailureKey). Failures
// only serve diagnostics: the next run sends their requests again whether
// or not they are kept, so `sptflow gc --failed-requests` removes them with
// this predicate, which the store cannot evaluate itself. Success records
// and payloads that are not request records report false. Cost: one JSON
// decode of the payload.
func IsFailureRecord(data []byte) bool {
	var rec struct {
		Key string `json:"key"`
		OK  bool   `json:"ok"`
	}
	return json.Unmarshal(data, &rec) == nil && rec.Key != "" && !rec.OK
}
