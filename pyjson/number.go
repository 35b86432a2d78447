package pyjson

import (
	"bytes"
	"strconv"
)

// NumberOf returns the Number that Python's json.load and json.dumps make
// of a number token (JSON's grammar plus NaN, Infinity and -Infinity):
// integers stay exact whatever their size ("-0" becomes "0"), and every
// other token is a float written as repr(float) writes it: "1E5" becomes
// "100000.0", "1e999" "Infinity", "-1e999" "-Infinity", "1e-999" "0.0".
// Tokens Python writes unchanged (all of those in files Python wrote) are
// returned as they are, mostly without parsing them.
func NumberOf(tok []byte) Number {
	if c, ok := canonicalNumber(tok); ok {
		return Number(c)
	}
	var buf [32]byte
	return Number(appendPythonFloat(buf[:0], tok))
}

// zeroToken is what Python writes for the int -0.
var zeroToken = []byte("0")

// canonicalNumber returns what Python writes back for a token when that is
// the token itself (or zeroToken for -0), with ok false when the token
// must be re-encoded (appendPythonFloat).
func canonicalNumber(tok []byte) ([]byte, bool) {
	s := tok
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 {
		return nil, false
	}
	if s[0] == 'I' || s[0] == 'N' { // Infinity, -Infinity, NaN
		return tok, true
	}
	dot, exp := -1, false
	for i, c := range s {
		switch c {
		case '.':
			dot = i
		case 'e', 'E':
			exp = true
		}
	}
	if exp {
		return nil, false
	}
	if dot < 0 {
		if len(s) == 1 && s[0] == '0' && len(tok) == 2 {
			return zeroToken, true // -0 is the int 0
		}
		return tok, true // an int, exact at any size
	}
	if isReprFloat(s[:dot], s[dot+1:]) {
		return tok, true
	}
	return nil, false
}

// isReprFloat reports whether intPart.frac (no sign, no exponent, frac not
// empty) is what
// repr(float) writes for its value. A decimal of at most 15 significant
// digits round-trips through a float64, so when it has no trailing zero
// it is the shortest repr; repr uses this fixed notation in [1e-4, 1e16).
func isReprFloat(intPart, frac []byte) bool {
	if len(frac) == 1 && frac[0] == '0' { // an integral value: "12.0"
		return len(intPart) <= 15
	}
	if frac[len(frac)-1] == '0' {
		return false
	}
	digits := len(intPart) + len(frac)
	if len(intPart) == 1 && intPart[0] == '0' {
		lead := 0
		for lead < len(frac) && frac[lead] == '0' {
			lead++
		}
		if lead >= 4 { // below 1e-4: written with an exponent
			return false
		}
		digits = len(frac) - lead
	}
	return digits <= 15
}

// appendPythonFloat appends repr(float(tok)); a token out of float64's
// range becomes an infinity or zero, as in Python.
func appendPythonFloat(dst, tok []byte) []byte {
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil && f == 0 && !isRangeErr(err) {
		return append(dst, tok...) // not a number token: left as it is
	}
	return AppendFloat(dst, f)
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// KeepsToken reports whether Python writes a number token back unchanged
// (NumberOf(tok) is tok), so that a copier of tokens may copy it.
func KeepsToken(tok []byte) bool {
	if c, ok := canonicalNumber(tok); ok {
		return len(c) == len(tok)
	}
	var buf [32]byte
	return bytes.Equal(appendPythonFloat(buf[:0], tok), tok) // "1e-05", "1e+16": rare
}
