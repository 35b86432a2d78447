package llm

import (
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestEffectiveBudget(t *testing.T) {
	spec := &ModelSpec{RPM: 100, InputTPM: 30000, OutputTPM: 8000}
	for _, tc := range []struct {
		share float64
		want  Budget
		text  string
	}{
		{1, Budget{RPM: 100, InputTPM: 30000, OutputTPM: 8000}, "100 rpm, 30000 input tpm, 8000 output tpm"},
		{1.0 / 3, Budget{RPM: 33, InputTPM: 10000, OutputTPM: 2666}, "33 rpm, 10000 input tpm, 2666 output tpm"},
		{0.5, Budget{RPM: 50, InputTPM: 15000, OutputTPM: 4000}, "50 rpm, 15000 input tpm, 4000 output tpm"},
		{0.001, Budget{RPM: 1, InputTPM: 30, OutputTPM: 8}, "1 rpm, 30 input tpm, 8 output tpm"},
	} {
		got := EffectiveBudget(spec, tc.share)
		if got != tc.want || got.String() != tc.text {
			t.Errorf("share %g: got %+v %q, want %+v %q", tc.share, got, got, tc.want, tc.text)
		}
	}
	if got := EffectiveBudget(&ModelSpec{}, 0.5).String(); got != "no rpm/tpm limits" {
		t.Errorf("unlimited: got %q", got)
	}
}

// TestGovernorShare: a governor built with a share paces at that share of
// the entry's budgets and of the limits the provider's headers announce
// (they are the account's, shared by every shard).
func TestGovernorShare(t *testing.T) {
	spec := &ModelSpec{Provider: "openai", Model: "x", RPM: 90, TPM: 60000}
	g := newGovernor(sharedSpec(spec, 1.0/3), time.Second, zerolog.Nop())
	g.share = 1.0 / 3
	if got, want := g.rpm.Limit(), perMinute(30); got != want {
		t.Errorf("rpm limiter: got %v, want %v (30/min)", got, want)
	}
	if got := g.tpm.limit(); got != 20000 {
		t.Errorf("tpm bucket: got %d, want 20000", got)
	}
	// The account allows 60 rpm (below the entry's 90): the shard takes 20.
	g.refine(RateLimitInfo{RequestsLimit: 60, RequestsRemaining: 50, TokensLimit: 30000})
	if got, want := g.rpm.Limit(), perMinute(20); got != want {
		t.Errorf("rpm limiter after headers: got %v, want %v (20/min)", got, want)
	}
	if got := g.tpm.limit(); got != 10000 {
		t.Errorf("tpm bucket after headers: got %d, want 10000", got)
	}
	// Without a share the headers apply as announced.
	whole := newGovernor(&ModelSpec{Provider: "openai", Model: "x"}, time.Second, zerolog.Nop())
	whole.refine(RateLimitInfo{RequestsLimit: 60, RequestsRemaining: 50})
	if got, want := whole.rpm.Limit(), perMinute(60); got != want {
		t.Errorf("unshared rpm after headers: got %v, want %v", got, want)
	}
}

// TestRuntimeRateShare: the runtime's share reaches the governors it builds.
func TestRuntimeRateShare(t *testing.T) {
	rt, err := NewRuntime(RuntimeConfig{Records: NewMemRecords(), Log: zerolog.Nop(),
		Connect: func(*ModelSpec, ConnectEnv) (Provider, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.SetRateShare(0); err == nil {
		t.Error("SetRateShare(0): no error")
	}
	if err := rt.SetRateShare(0.25); err != nil {
		t.Fatal(err)
	}
	c, err := rt.Client(&ModelSpec{Name: "m", Provider: "openai", Model: "x", RPM: 200})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.gov.rpm.Limit(), perMinute(50); got != want {
		t.Errorf("governor rpm: got %v, want %v (50/min)", got, want)
	}
	if got := c.Spec().RPM; got != 200 {
		t.Errorf("client spec rpm: got %d, want the entry's 200 (keys and estimates see the entry)", got)
	}
}
