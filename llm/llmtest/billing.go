package llmtest

import (
	"encoding/json"
	"net/http"
)

// StatsPath is where a fake server answers GET with its Stats as JSON
// (cmd/fakellm serves it too), so a test or a person can compare what a
// client says it sent and paid with what the server received and billed.
const StatsPath = "/stats"

// Billed is what a fake server billed one model: the replies it wrote
// whole (a 200 with a usage object, including unusable ones: truncated,
// malformed tool arguments, refusals) and the tokens their usage reported.
// Error statuses, resets, stalls and cut streams bill nothing, and neither
// does a non-streamed Anthropic body spliced into invalid JSON (malformed
// tool input): no real Messages reply has that shape, and no client could
// read its usage.
type Billed struct {
	Replies          int64 `json:"replies"`
	InputTokens      int64 `json:"input_tokens"`
	OutputTokens     int64 `json:"output_tokens"`
	CacheReadTokens  int64 `json:"cache_read_tokens"`
	CacheWriteTokens int64 `json:"cache_write_tokens"`
}

// Stats are a fake server's own counts.
type Stats struct {
	Requests int               `json:"requests"` // every request received
	Billed   map[string]Billed `json:"billed"`   // by requested model
	// RateLimited counts the 429s answered for the enforced budgets (RPM,
	// TPM); scripted 429 faults are not in it.
	RateLimited int `json:"rate_limited"`
	// Batches counts the message batches created; BatchBilled is what
	// their succeeded requests billed, by requested model (charged at
	// BatchDiscount off the online price).
	Batches     int               `json:"batches,omitempty"`
	BatchBilled map[string]Billed `json:"batch_billed,omitempty"`
}

// Stats returns the server's counts so far.
func (f *Fake) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := Stats{Requests: f.received, Billed: map[string]Billed{}, RateLimited: f.limited}
	for m, b := range f.billed {
		s.Billed[m] = *b
	}
	s.Batches = len(f.batches)
	if len(f.batchBilled) > 0 {
		s.BatchBilled = map[string]Billed{}
		for m, b := range f.batchBilled {
			s.BatchBilled[m] = *b
		}
	}
	return s
}

// bill adds one reply written whole to the model's account.
func (x *exchange) bill(in, out, cacheRead, cacheWrite int) {
	m := x.str("model")
	f := x.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.billed == nil {
		f.billed = map[string]*Billed{}
	}
	if f.batchBilled == nil {
		f.batchBilled = map[string]*Billed{}
	}
	account := f.billed
	if x.batch {
		account = f.batchBilled
	}
	b := account[m]
	if b == nil {
		b = &Billed{}
		account[m] = b
	}
	b.Replies++
	b.InputTokens += int64(in)
	b.OutputTokens += int64(out)
	b.CacheReadTokens += int64(cacheRead)
	b.CacheWriteTokens += int64(cacheWrite)
}

// serveStats answers GET StatsPath.
func (f *Fake) serveStats(w http.ResponseWriter) {
	b, _ := json.Marshal(f.Stats())
	writeJSON(w, 200, b)
}
