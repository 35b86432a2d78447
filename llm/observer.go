package llm

import (
	"net/http"
	"time"
)

// Observer sees every HTTP response a provider receives, including the ones
// its transport retries, so the rate governor can refine its budgets from
// rate-limit headers and pause every worker of a model on a 429. Providers
// call it from their transport; implementations must be cheap and safe for
// concurrent use. A nil Observer is allowed.
type Observer interface {
	ObserveResponse(status int, header http.Header, latency time.Duration)
}
