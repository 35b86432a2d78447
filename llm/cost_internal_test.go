package llm

import (
	"errors"
	"strings"
	"testing"
)

// TestBudgetRefusalSaysWhatIsCommitted: a refusal names what was spent
// and reserved besides the estimate, which alone may be under the limit.
func TestBudgetRefusalSaysWhatIsCommitted(t *testing.T) {
	b := &budget{max: 0.20}
	if err := b.reserve("first", 0.05); err != nil {
		t.Fatalf("first reservation: %v", err)
	}
	b.settle(0.05, 0.07)
	if err := b.reserve("second", 0.02); err != nil {
		t.Fatalf("second reservation: %v", err)
	}
	err := b.reserve("opus batch of 2 requests", 0.1378)
	want := "opus batch of 2 requests: $0.0700 spent and $0.0200 reserved by requests in flight + estimated $0.1378 = $0.2278: cost budget exceeded (max $0.20)"
	if !errors.Is(err, ErrBudgetExceeded) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	b.settle(0.02, 0.02)
	if err := b.reserve("third", 0.15); err == nil || !strings.Contains(err.Error(), ": $0.0900 spent + estimated $0.1500 = $0.2400:") {
		t.Errorf("got %v, want the spent amount and the sum", err)
	}
}
