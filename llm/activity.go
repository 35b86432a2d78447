package llm

import (
	"net/http"
	"sync"
	"time"
)

// Activity is what the run's models are waiting for, for a progress
// display: the models paused by their rate governor (after a 429, or until
// a rate-limit window resets) and the responses the transport retries.
type Activity struct {
	// Paused maps "provider/model" to the end of its pause, for the models
	// paused now.
	Paused map[string]time.Time
	// Retrying maps "provider/model" to the time of its last retryable
	// response (429 or 5xx), for those seen within RetryWindow.
	Retrying map[string]time.Time
	// Retryable counts every 429 and 5xx response of the run.
	Retryable int64
}

// RetryWindow is how long after a retryable response a model counts as
// retrying in Activity.
const RetryWindow = 5 * time.Second

// Activity reports the models that are waiting now.
func (r *Runtime) Activity() Activity {
	now := time.Now()
	a := Activity{Paused: map[string]time.Time{}, Retrying: map[string]time.Time{}}
	r.mu.Lock()
	govs := make(map[string]*Governor, len(r.govs))
	for id, g := range r.govs {
		govs[id] = g
	}
	r.mu.Unlock()
	for id, g := range govs {
		g.mu.Lock()
		until := g.pausedUntil
		g.mu.Unlock()
		if until.After(now) {
			a.Paused[id] = until
		}
	}
	r.retries.mu.Lock()
	defer r.retries.mu.Unlock()
	a.Retryable = r.retries.n
	for id, t := range r.retries.last {
		if now.Sub(t) < RetryWindow {
			a.Retrying[id] = t
		}
	}
	return a
}

// retryWatch records the retryable responses of each model.
type retryWatch struct {
	mu   sync.Mutex
	n    int64
	last map[string]time.Time
}

func (w *retryWatch) saw(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil {
		w.last = map[string]time.Time{}
	}
	w.n++
	w.last[id] = time.Now()
}

// watchedObserver is the Observer a provider gets: the model's governor,
// and the runtime's record of retryable responses. It is a ConnObserver,
// as the governor is, so connection failures still reach the governor.
type watchedObserver struct {
	gov   *Governor
	id    string
	watch *retryWatch
}

var _ ConnObserver = watchedObserver{}

// ObserveConnFailure implements ConnObserver.
func (o watchedObserver) ObserveConnFailure(target, cause string) error {
	return o.gov.ObserveConnFailure(target, cause)
}

// ObserveResponse implements Observer.
func (o watchedObserver) ObserveResponse(status int, h http.Header, latency time.Duration) {
	o.gov.ObserveResponse(status, h, latency)
	if status == http.StatusTooManyRequests || status >= 500 {
		o.watch.saw(o.id)
	}
}
