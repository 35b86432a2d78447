package llm

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/sptflow/sptflow/internal/suggest"
)

// fieldParser reads typed fields out of a decoded YAML/JSON map, collecting
// every problem instead of stopping at the first.
type fieldParser struct {
	path []string // of raw inside the entry; nil at the top
	raw  map[string]any
	seen map[string]bool
	errs []*FieldError
}

func (p *fieldParser) get(k string) (any, bool) {
	p.seen[k] = true
	v, ok := p.raw[k]
	return v, ok && v != nil
}

func (p *fieldParser) fail(k, format string, args ...any) {
	p.errs = append(p.errs, &FieldError{Path: p.at(k), Msg: fmt.Sprintf(format, args...)})
}

// at returns the path of field k of raw.
func (p *fieldParser) at(k string) []string {
	return append(append([]string(nil), p.path...), k)
}

func (p *fieldParser) str(k string) string {
	v, ok := p.get(k)
	if !ok {
		return ""
	}
	s, isStr := v.(string)
	if !isStr {
		p.fail(k, "want a string, got %T", v)
	}
	return s
}

func (p *fieldParser) optFloat(k string) *float64 {
	v, ok := p.get(k)
	if !ok {
		return nil
	}
	f, isNum := toFloat(v)
	if !isNum {
		p.fail(k, "want a number, got %T", v)
		return nil
	}
	if !finite(f) {
		p.fail(k, "want a finite number, got %g", f)
		return nil
	}
	return &f
}

func (p *fieldParser) float(k string) float64 {
	if f := p.optFloat(k); f != nil {
		return *f
	}
	return 0
}

func (p *fieldParser) optInt(k string) *int {
	f := p.optFloat(k)
	if f == nil {
		return nil
	}
	switch {
	case *f != math.Trunc(*f):
		p.fail(k, "want an integer, got %g", *f)
		return nil
	case math.Abs(*f) > math.MaxInt32:
		p.fail(k, "%g: want an integer of at most %d", *f, math.MaxInt32)
		return nil
	}
	i := int(*f)
	return &i
}

func (p *fieldParser) int(k string) int {
	if i := p.optInt(k); i != nil {
		return *i
	}
	return 0
}

func (p *fieldParser) optBool(k string) *bool {
	v, ok := p.get(k)
	if !ok {
		return nil
	}
	b, isBool := v.(bool)
	if !isBool {
		p.fail(k, "want true or false, got %T", v)
		return nil
	}
	return &b
}

func (p *fieldParser) duration(k string) time.Duration {
	v, ok := p.get(k)
	if !ok {
		return 0
	}
	s, isStr := v.(string)
	if !isStr {
		if f, isNum := toFloat(v); isNum && f == 0 {
			return 0
		}
		p.fail(k, "want a duration such as \"100ms\", got %T", v)
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		p.fail(k, "want a non-negative duration such as \"100ms\", got %q", s)
	}
	return d
}

func (p *fieldParser) mapField(k string) map[string]any {
	v, ok := p.get(k)
	if !ok {
		return nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		p.fail(k, "want a mapping, got %T", v)
	}
	return m
}

func (p *fieldParser) sub(k string) *fieldParser {
	m := p.mapField(k)
	return &fieldParser{path: p.at(k), raw: m, seen: map[string]bool{}}
}

func (p *fieldParser) merge(s *fieldParser) {
	s.unknown()
	p.errs = append(p.errs, s.errs...)
}

func (p *fieldParser) prices(k string) Prices {
	s := p.sub(k)
	pr := Prices{Input: s.float("input"), Output: s.float("output"), CacheRead: s.float("cache_read"),
		CacheWrite: s.float("cache_write"), BatchDiscount: s.float("batch_discount")}
	for _, f := range []struct {
		n string
		v float64
	}{{"input", pr.Input}, {"output", pr.Output}, {"cache_read", pr.CacheRead}, {"cache_write", pr.CacheWrite}} {
		if f.v < 0 {
			s.fail(f.n, "%g: want a non-negative price in USD per million tokens", f.v)
		}
	}
	if !inRange(pr.BatchDiscount, 0, 1) {
		s.fail("batch_discount", "%g: want a fraction in [0, 1]", pr.BatchDiscount)
	}
	p.merge(s)
	return pr
}

func (p *fieldParser) sim(k string) SimOptions {
	s := p.sub(k)
	o := SimOptions{
		Latency:             s.duration("latency"),
		LatencyJitter:       s.duration("latency_jitter"),
		RetryAfter:          s.duration("retry_after"),
		RateLimitRate:       s.float("rate_limit_rate"),
		ServerErrorRate:     s.float("server_error_rate"),
		TruncationRate:      s.float("truncation_rate"),
		ReviewRejectionRate: s.float("review_rejection_rate"),
	}
	if b := s.optBool("heavy_tail"); b != nil {
		o.HeavyTail = *b
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"rate_limit_rate", o.RateLimitRate}, {"server_error_rate", o.ServerErrorRate},
		{"truncation_rate", o.TruncationRate}, {"review_rejection_rate", o.ReviewRejectionRate}} {
		if !inRange(r.v, 0, 1) {
			s.fail(r.name, "%g: want a probability in [0, 1]", r.v)
		}
	}
	p.merge(s)
	return o
}

// unknown records every key of raw that no accessor asked for, sorted,
// with the nearest field the accessors know.
func (p *fieldParser) unknown() {
	var bad, known []string
	for k := range p.raw {
		if !p.seen[k] {
			bad = append(bad, k)
		}
	}
	for k := range p.seen {
		known = append(known, k)
	}
	sort.Strings(bad)
	sort.Strings(known)
	for _, k := range bad {
		p.fail(k, "unknown field%s", suggest.DidYouMean(k, known))
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// inRange reports whether lo <= f <= hi.
func inRange(f, lo, hi float64) bool { return f >= lo && f <= hi }

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	case interface{ Float64() (float64, error) }: // json.Number, pyjson.Number
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
