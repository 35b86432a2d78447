package llm

import (
	"errors"
	"testing"
)

// TestFlightLeaderPanic: callers waiting on a leader that panics get an
// error instead of waiting forever, and the key can be requested again.
func TestFlightLeaderPanic(t *testing.T) {
	var fs flights
	key := RequestKey{1}
	f, leader := fs.join(key)
	if !leader {
		t.Fatal("first join does not lead")
	}
	f2, leader2 := fs.join(key)
	if leader2 || f2 != f {
		t.Fatal("second join does not wait on the first flight")
	}
	func() {
		defer func() { _ = recover() }()
		fs.lead(t.Context(), key, f, func() (*Result, error) { panic("boom") })
	}()
	<-f2.done
	if !errors.Is(f2.err, errLeaderPanicked) {
		t.Errorf("waiter error: got %v, want errLeaderPanicked", f2.err)
	}
	if _, leader := fs.join(key); !leader {
		t.Error("after the flight landed, a new join does not lead")
	}
}
