package pyjson

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// appendFloatReference is AppendFloat as it was before appendFixed: the
// fixed notation from strconv's 'f' form, formatting the float twice.
func appendFloatReference(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[bytes.IndexByte([]byte(e), 'e')+1:])
	if exp < -4 || exp >= 16 {
		return append(dst, e...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	if bytes.IndexByte(dst[start:], '.') < 0 {
		dst = append(dst, '.', '0')
	}
	return dst
}

func checkAppendFloat(t *testing.T, f float64) {
	t.Helper()
	prefix := []byte("x:")
	got := AppendFloat(prefix[:len(prefix):len(prefix)], f)
	want := appendFloatReference(prefix[:len(prefix):len(prefix)], f)
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendFloat(%v (bits %#x)) = %q, want %q", f, math.Float64bits(f), got, want)
	}
}

// TestAppendFloatFixed checks AppendFloat against the two-format reference
// at the ends of the fixed-notation range, on integers and short decimals
// of every length, and on random floats of every exponent the fixed form
// covers.
func TestAppendFloatFixed(t *testing.T) {
	for _, f := range []float64{1e-4, 9.999999999999999e-5, 0.0001000000000000001, 1e16, 9999999999999998,
		1e15, 123456789012345.6, 0.1, 0.5, 1, 1.5, 10, 100.25, 0.000123, 0.00012345678901234567,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 1234567890123456.7, 5e-324, 2.5e-5} {
		checkAppendFloat(t, f)
		checkAppendFloat(t, -f)
	}
	for p := -6; p <= 18; p++ {
		for _, m := range []float64{1, 3, 12, 123, 1234567, 123456789012345, 1234567890123456, 12345678901234567} {
			checkAppendFloat(t, m*math.Pow(10, float64(p)))
			checkAppendFloat(t, -m*math.Pow(10, float64(p)))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		checkAppendFloat(t, math.Float64frombits(r.Uint64()))
		e := r.IntN(22) - 6 // 1e-6 .. 1e15 scale: mostly the fixed form
		checkAppendFloat(t, r.Float64()*math.Pow(10, float64(e)))
		checkAppendFloat(t, float64(r.Int64N(1<<53))/math.Pow(10, float64(r.IntN(20))))
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0.1, 1e15, 1e16, 1e-4, 123.456, 1234567890123456.7} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		checkAppendFloat(t, math.Float64frombits(bits))
	})
}
