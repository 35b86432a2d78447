package analyze

import (
	"reflect"
	"testing"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
)

// TestScalarMatchesPyjson checks that the scanner decodes scalars as
// pyjson.Parse does (the analysis compares and writes these values).
func TestScalarMatchesPyjson(t *testing.T) {
	for _, raw := range []string{
		`"PASS"`, `""`, `"a\"b\\c\/d\n\r\t\b\f"`, `"\u00e9\u2028\ud83d\ude00"`, `"\ud800x"`, `"\udc00\u0041"`,
		`"\ud800\ud800"`, `"\u00E9"`, `0`, `-0`, `12`, `-3.25`, `1e5`, `2.5E-3`, `true`, `false`, `null`,
		`NaN`, `Infinity`, `-Infinity`, `{"a": [1]}`, `[1, "x"]`,
	} {
		s := scan.New([]byte(raw))
		got, err := scalar(s)
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		want, err := pyjson.Parse([]byte(raw))
		if err != nil {
			t.Fatalf("%s: pyjson: %v", raw, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", raw, got, want)
		}
		if s.Offset() != len(raw) {
			t.Errorf("%s: stopped at %d of %d", raw, s.Offset(), len(raw))
		}
	}
}

func TestScalarRejects(t *testing.T) {
	for _, raw := range []string{`"\x"`, `"\u12"`, `-`, `1.`, `1e`, `01x`, `tru`, `nul`, "\"a\x01\""} {
		s := scan.New([]byte(raw))
		if v, err := scalar(s); err == nil && s.Offset() == len(raw) {
			t.Errorf("%s: got %#v, want an error", raw, v)
		}
	}
}

// TestScalarCached: a worker's cache gives every token, seen again, the
// value pyjson.Parse gives it, and an invalid token is never cached.
func TestScalarCached(t *testing.T) {
	var l localIntern
	raws := []string{`"PASS"`, `"FAIL"`, `"\u00e9"`, `"é"`, `5`, `5.0`, `"5"`, `null`, `"x\ny"`, `"honesty_scare__version_4"`, `"a"`, `"b"`}
	for round := range 3 {
		for _, raw := range raws {
			got, err := l.scalar(scan.New([]byte(raw)))
			if err != nil {
				t.Fatalf("round %d, %s: %v", round, raw, err)
			}
			want, _ := pyjson.Parse([]byte(raw))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round %d, %s: got %#v, want %#v", round, raw, got, want)
			}
		}
		if _, err := l.scalar(scan.New([]byte(`"\x"`))); err == nil {
			t.Errorf("round %d: an invalid escape is accepted", round)
		}
	}
}
