package scan

import (
	"bytes"
	"errors"
)

var (
	errNumber   = errors.New("invalid number")
	errFraction = errors.New("invalid number: no digits after '.'")
	errExponent = errors.New("invalid number: no digits in exponent")
)

// NumberLen returns the length of the number token at the start of b:
// JSON's grammar (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?) plus
// Python's NaN, Infinity and -Infinity. What follows the token is not
// looked at. On error n is where the grammar failed.
func NumberLen(b []byte) (n int, err error) {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && (b[i] == 'I' || b[i] == 'N' && i == 0) {
		for _, lit := range [...]string{"Infinity", "NaN"} {
			if bytes.HasPrefix(b[i:], []byte(lit)) {
				return i + len(lit), nil
			}
		}
		return i, errNumber
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if d := digits(b[i:]); d > 0 {
		i += d
	} else {
		return i, errNumber
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := digits(b[i:])
		if d == 0 {
			return i, errFraction
		}
		i += d
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := digits(b[i:])
		if d == 0 {
			return i, errExponent
		}
		i += d
	}
	return i, nil
}

func digits(b []byte) int {
	for i, c := range b {
		if c < '0' || c > '9' {
			return i
		}
	}
	return len(b)
}
