package llm

import (
	"fmt"
	"math"
	"strings"
)

// Budget is the pace of one model: requests and tokens per minute, 0 =
// unlimited (or, until the provider announces its limits, not known).
type Budget struct{ RPM, TPM, InputTPM, OutputTPM int }

// EffectiveBudget is spec's budget when this process has share (0 < share
// <= 1) of it: each limit scaled down, at least 1 where one is set.
func EffectiveBudget(spec *ModelSpec, share float64) Budget {
	return Budget{scaleLimit(spec.RPM, share), scaleLimit(spec.TPM, share),
		scaleLimit(spec.InputTPM, share), scaleLimit(spec.OutputTPM, share)}
}

// String renders the budget as "100 rpm, 20000 input tpm", or "no rpm/tpm
// limits" when none is set.
func (b Budget) String() string {
	var parts []string
	for _, l := range []struct {
		n    int
		unit string
	}{{b.RPM, "rpm"}, {b.TPM, "tpm"}, {b.InputTPM, "input tpm"}, {b.OutputTPM, "output tpm"}} {
		if l.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", l.n, l.unit))
		}
	}
	if len(parts) == 0 {
		return "no rpm/tpm limits"
	}
	return strings.Join(parts, ", ")
}

// scaleLimit is share of limit n, rounded down but at least 1; n itself
// when unlimited or the share is whole.
func scaleLimit(n int, share float64) int {
	if n <= 0 || share <= 0 || share >= 1 {
		return n
	}
	return max(1, int(math.Floor(float64(n)*share)))
}

// scaled is info with its limits scaled to share: a provider announces the
// account's limits, of which this process may use share.
func (info RateLimitInfo) scaled(share float64) RateLimitInfo {
	info.RequestsLimit = scaleLimit(info.RequestsLimit, share)
	info.TokensLimit = scaleLimit(info.TokensLimit, share)
	info.InputTokensLimit = scaleLimit(info.InputTokensLimit, share)
	info.OutputTokensLimit = scaleLimit(info.OutputTokensLimit, share)
	return info
}

// SetRateShare makes every model's rate budgets (requests and tokens per
// minute, from the model entry and from the provider's rate-limit headers)
// this runtime's share of them: N processes that send on one account,
// each with 1/N, stay within its limits together. share must be in (0, 1];
// call it before the first request (governors built earlier keep the whole
// budget).
func (r *Runtime) SetRateShare(share float64) error {
	if !(share > 0 && share <= 1) {
		return fmt.Errorf("rate share %g: want a fraction in (0, 1]", share)
	}
	r.mu.Lock()
	r.share = share
	r.mu.Unlock()
	return nil
}

// RateShare returns the share SetRateShare set (1 when not set).
func (r *Runtime) RateShare() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.share == 0 {
		return 1
	}
	return r.share
}

// sharedSpec is spec with its budgets scaled to share.
func sharedSpec(spec *ModelSpec, share float64) *ModelSpec {
	if share <= 0 || share >= 1 {
		return spec
	}
	s := *spec
	b := EffectiveBudget(spec, share)
	s.RPM, s.TPM, s.InputTPM, s.OutputTPM = b.RPM, b.TPM, b.InputTPM, b.OutputTPM
	return &s
}
