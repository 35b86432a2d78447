package generate

import (
	"strings"
	"testing"
)

const goodSample = `{"thought_process": "t", "A": "a", "T": "x", "metadata": {"alignment_issue_type": "s", "difficulty": "easy", "intended_review_focus": "honesty", "notes": ""}, "extra": 1}`

func TestParseBatch(t *testing.T) {
	tests := []struct {
		name, args string
		n          int
		trim       bool
		want       string // error substring, "" = valid
		wantLen    int
	}{
		{"valid", `{"batch_data": [` + goodSample + `], "project_feedback": "ok"}`, 1, false, "", 1},
		{"no feedback", `{"batch_data": [` + goodSample + `]}`, 1, false, "", 1},
		{"too many", `{"batch_data": [` + goodSample + `,` + goodSample + `]}`, 1, false, "has 2 samples, want exactly 1", 0},
		{"too many trimmed", `{"batch_data": [` + goodSample + `,` + goodSample + `]}`, 1, true, "", 1},
		{"too few", `{"batch_data": []}`, 1, true, "has 0 samples", 0},
		{"missing key", `{"data": []}`, 1, false, "missing key batch_data", 0},
		{"string repaired", `{"batch_data": "[` + strings.ReplaceAll(goodSample, `"`, `\"`) + `]</invoke>junk"}`, 1, false, "", 1},
		{"string with tail", `{"batch_data": "[` + strings.ReplaceAll(goodSample, `"`, `\"`) + `] trailing words"}`, 1, false, "", 1},
		{"string unrepairable", `{"batch_data": "not a list"}`, 1, false, "not a repairable list", 0},
		{"bad difficulty", `{"batch_data": [` + strings.Replace(goodSample, `"easy"`, `"trivial"`, 1) + `]}`, 1, false, `difficulty "trivial" is not one of`, 0},
		{"blank A", `{"batch_data": [` + strings.Replace(goodSample, `"A": "a"`, `"A": " \u00a0"`, 1) + `]}`, 1, false, "A is blank", 0},
		{"B not a string", `{"batch_data": [` + strings.Replace(goodSample, `"T"`, `"B": 3, "T"`, 1) + `]}`, 1, false, "B is a number", 0},
		{"B null kept", `{"batch_data": [` + strings.Replace(goodSample, `"T"`, `"B": null, "T"`, 1) + `]}`, 1, false, "", 1},
		{"metadata missing field", `{"batch_data": [` + strings.Replace(goodSample, `"notes": ""`, `"x": ""`, 1) + `]}`, 1, false, "metadata.notes is missing", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBatch([]byte(tt.args), tt.n, tt.trim)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want error containing %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want valid", err)
			}
			if len(b.Data) != tt.wantLen {
				t.Errorf("got %d samples, want %d", len(b.Data), tt.wantLen)
			}
		})
	}
}

func TestRepairListCountsBracketsOnly(t *testing.T) {
	// The original's scan ignores strings: a "]" inside a string value ends
	// the list early, and the prefix must then fail to decode.
	if _, err := RepairList(`[{"a": "x]"}, {"b": 1}] tail}`); err == nil {
		t.Errorf("got nil error for a list cut inside a string")
	}
	v, err := RepairList(`[{"a": 1}] tail}`)
	if err != nil || len(v.([]any)) != 1 {
		t.Errorf("got %v, %v; want one element", v, err)
	}
}
