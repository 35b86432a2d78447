package main

import (
	"flag"
	"fmt"
	"strconv"
)

// atLeast is an int flag that refuses values below min, so that a command
// line such as `--limit -1` or `--jobs 0` is a usage error (exit 2) rather
// than silently meaning something else.
type atLeast struct {
	p   *int
	min int
}

func (a atLeast) String() string {
	if a.p == nil {
		return "0"
	}
	return strconv.Itoa(*a.p)
}

func (a atLeast) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("want a whole number")
	}
	if n < a.min {
		return fmt.Errorf("%d: must be at least %d", n, a.min)
	}
	*a.p = n
	return nil
}

// intFlag registers an int flag whose values must be at least min.
func intFlag(fs *flag.FlagSet, p *int, name string, value, min int, usage string) {
	*p = value
	fs.Var(atLeast{p: p, min: min}, name, usage)
}

// nonNegative is a float flag that refuses negative values.
type nonNegative struct{ p *float64 }

func (f nonNegative) String() string {
	if f.p == nil {
		return "0"
	}
	return strconv.FormatFloat(*f.p, 'g', -1, 64)
}

func (f nonNegative) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("want a number")
	}
	if v < 0 {
		return fmt.Errorf("%g: must not be negative", v)
	}
	*f.p = v
	return nil
}
