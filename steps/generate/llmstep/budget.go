package llmstep

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/with"
)

// TypeBudget is the reference type of max_failed_rows.
const TypeBudget engine.ParamType = "int | fraction"

// MaxFailedRowsName names the failure budget.
const MaxFailedRowsName = "max_failed_rows"

// MaxFailedRows is the failure budget every LLM kind declares; rows says
// what the kind's rows are ("batches") and recorded how a failed one is
// written. The budget is not part of the node key: it changes what is
// written only when rows fail, and a partition sealed with failed rows is
// executed again by every run anyway, so raising or lowering it never
// re-runs a partition that succeeded.
func MaxFailedRows(rows, recorded string) engine.Param {
	return engine.Param{Name: MaxFailedRowsName, Type: TypeBudget, Default: 0,
		Doc: "failed " + rows + " (after their retries) a partition may seal with: a count (3) or a fraction of its " + rows +
			" (0.05 or \"5%\", rounded down); " + recorded + "; every later run asks them again (and only them) and " +
			"updates the dependents when they succeed; more failures fail the partition. Not part of the node key"}
}

// Budget is a decoded max_failed_rows: a count, or a fraction of the
// partition's rows.
type Budget struct {
	Count    int
	Fraction float64 // in (0, 1]; used when > 0
}

// String renders the budget as it was written.
func (b Budget) String() string {
	if b.Fraction > 0 {
		return strconv.FormatFloat(b.Fraction*100, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(b.Count)
}

// Limit is the number of failed rows allowed among rows.
func (b Budget) Limit(rows int) int {
	if b.Fraction > 0 {
		return int(math.Floor(b.Fraction*float64(rows) + 1e-9))
	}
	return b.Count
}

// ParseBudget decodes a max_failed_rows value: a whole number >= 0 is a
// count; a number strictly between 0 and 1 a fraction of the rows; a
// string "P%" (P a number from 0 to 100) a percentage of the rows; a
// string holding a whole number a count.
func ParseBudget(v any) (Budget, error) {
	if s, ok := v.(string); ok {
		return parseBudgetString(s)
	}
	if n, ok := with.Whole(v); ok {
		if n < 0 {
			return Budget{}, fmt.Errorf("%d: must be at least 0", n)
		}
		return Budget{Count: n}, nil
	}
	f, ok := v.(float64)
	if !ok {
		return Budget{}, fmt.Errorf("want a count (3), a fraction (0.05) or a percentage (\"5%%\"), got %v", v)
	}
	if f <= 0 || f >= 1 {
		return Budget{}, fmt.Errorf("%v: a fraction must be between 0 and 1 (a count must be a whole number)", f)
	}
	return Budget{Fraction: f}, nil
}

func parseBudgetString(s string) (Budget, error) {
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > 100 {
			return Budget{}, fmt.Errorf("%q: want a percentage from 0%% to 100%%", s)
		}
		if f == 0 {
			return Budget{}, nil
		}
		return Budget{Fraction: f / 100}, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 {
		return Budget{}, fmt.Errorf("%q: want a count (3), a fraction (0.05) or a percentage (\"5%%\")", s)
	}
	return Budget{Count: n}, nil
}

// Budget reads the MaxFailedRows parameter.
func (w *With) Budget() Budget {
	v, ok := w.Value(MaxFailedRowsName)
	if !ok {
		return Budget{}
	}
	b, err := ParseBudget(v)
	if err != nil {
		w.Errorf(MaxFailedRowsName, "%w", err)
	}
	return b
}

// SealOrFail ends a partition of which failed of rows failed after their
// retries (what names the rows: "batches", "answers"): nil when none did;
// within the budget, it tells the engine to seal the output with failed
// rows (asked again by the next run) and returns nil; beyond it, an error
// matching ErrRowsFailed.
func (b Budget) SealOrFail(t *engine.Task, failed, rows int, what string) error {
	if failed == 0 {
		return nil
	}
	limit := b.Limit(rows)
	if failed > limit {
		over := ""
		if limit > 0 || b != (Budget{}) {
			over = fmt.Sprintf(", over max_failed_rows %s (%d allowed)", b, limit)
		}
		return fmt.Errorf("%d of %d %s%s: %w (they are asked again on the next run)", failed, rows, what, over, ErrRowsFailed)
	}
	t.Log.Warn().Int("failed", failed).Int("rows", rows).Str("max_failed_rows", b.String()).
		Msgf("%d of %d %s: sealed within max_failed_rows %s; asked again on the next run", failed, rows, what, b)
	t.SealWithFailedRows(failed)
	return nil
}
