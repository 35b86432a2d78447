package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/sptflow/sptflow/pyjson"
)

// maxDepth bounds recursion through nested or self-referencing schemas.
const maxDepth = 12

// Arguments generates tool arguments that validate against the JSON schema:
// every required property, most optional ones, enums, integers and numbers
// within their bounds, booleans, arrays within minItems/maxItems, strings
// within minLength/maxLength, local $refs, and the first branch of
// anyOf/oneOf. Property order follows the schema. The same schema and seed
// always give the same bytes.
func Arguments(schema []byte, seed uint64) ([]byte, error) {
	root, err := pyjson.ParseObject(schema)
	if err != nil {
		return nil, fmt.Errorf("parse tool schema: %w", err)
	}
	g := &generator{root: root, rng: NewRand(seed)}
	v, err := g.value(root, "", 0)
	if err != nil {
		return nil, err
	}
	return pyjson.Marshal(v, pyjson.Line)
}

// NewRand returns the deterministic generator sim derives everything from.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

type generator struct {
	root *pyjson.Object
	rng  *rand.Rand
}

func (g *generator) value(s *pyjson.Object, name string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("tool schema nests deeper than %d at %q", maxDepth, name)
	}
	if ref, ok := s.Str("$ref"); ok {
		target, err := g.resolve(ref)
		if err != nil {
			return nil, err
		}
		return g.value(target, name, depth+1)
	}
	if v, ok := s.Get("const"); ok {
		return v, nil
	}
	if enum := s.Arr("enum"); len(enum) > 0 {
		return enum[g.rng.IntN(len(enum))], nil
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if alts := s.Arr(k); len(alts) > 0 {
			if o, ok := alts[0].(*pyjson.Object); ok {
				return g.value(o, name, depth+1)
			}
		}
	}
	return g.typed(s, schemaType(s), name, depth)
}

func (g *generator) typed(s *pyjson.Object, typ, name string, depth int) (any, error) {
	switch typ {
	case "object":
		return g.object(s, depth)
	case "array":
		return g.array(s, name, depth)
	case "integer":
		return g.integer(s), nil
	case "number":
		return g.number(s), nil
	case "boolean":
		return g.rng.IntN(2) == 1, nil
	case "null":
		return nil, nil
	}
	return g.str(s, name), nil
}

// schemaType returns the schema's type (the first non-null one of a list),
// inferring object or array from properties or items when it is missing.
func schemaType(s *pyjson.Object) string {
	if t, ok := s.Str("type"); ok {
		return t
	}
	for _, t := range s.Arr("type") {
		if ts, ok := t.(string); ok && ts != "null" {
			return ts
		}
	}
	switch {
	case s.Has("properties"):
		return "object"
	case s.Has("items"):
		return "array"
	}
	return "string"
}

func (g *generator) resolve(ref string) (*pyjson.Object, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("tool schema: only local $ref is supported, got %q", ref)
	}
	cur := g.root
	for _, part := range strings.Split(ref[2:], "/") {
		next := cur.Obj(strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~"))
		if next == nil {
			return nil, fmt.Errorf("tool schema: $ref %q does not resolve", ref)
		}
		cur = next
	}
	return cur, nil
}

func (g *generator) object(s *pyjson.Object, depth int) (*pyjson.Object, error) {
	required := map[string]bool{}
	for _, r := range s.Arr("required") {
		if rs, ok := r.(string); ok {
			required[rs] = true
		}
	}
	props := s.Obj("properties")
	out := pyjson.NewObject(0)
	if props == nil {
		return out, nil
	}
	for i := range props.Len() {
		k, v := props.At(i)
		ps, ok := v.(*pyjson.Object)
		if !ok || (!required[k] && g.rng.Float64() < 0.2) {
			continue
		}
		val, err := g.value(ps, k, depth+1)
		if err != nil {
			return nil, err
		}
		out.Set(k, val)
	}
	return out, nil
}

func (g *generator) array(s *pyjson.Object, name string, depth int) ([]any, error) {
	lo, hi := bound(s, "minItems", 1), bound(s, "maxItems", -1)
	if hi < 0 {
		hi = max(lo, 4)
	}
	n := lo + g.rng.IntN(max(hi-lo, 0)+1)
	items := s.Obj("items")
	out := make([]any, 0, n)
	for range n {
		if items == nil {
			out = append(out, g.sentence())
			continue
		}
		v, err := g.value(items, name, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// bound reads a non-negative integer keyword, def when absent.
func bound(s *pyjson.Object, k string, def int) int {
	n, ok := s.Num(k)
	if !ok {
		return def
	}
	return max(int(n.Float64()), 0)
}

func (g *generator) integer(s *pyjson.Object) int64 {
	lo, hi := g.limits(s)
	l, h := int64(math.Ceil(lo)), int64(math.Floor(hi))
	if h < l {
		return l
	}
	return l + g.rng.Int64N(h-l+1)
}

func (g *generator) number(s *pyjson.Object) float64 {
	lo, hi := g.limits(s)
	v := lo + g.rng.Float64()*(hi-lo)
	r := math.Round(v*100) / 100
	if r < lo || r > hi {
		return v
	}
	return r
}

// limits returns the inclusive range of a numeric schema (default 0..100;
// exclusive bounds are moved inwards by one for integers and a little for
// numbers).
func (g *generator) limits(s *pyjson.Object) (lo, hi float64) {
	lo, hi = 0, 100
	if n, ok := s.Num("minimum"); ok {
		lo = n.Float64()
	}
	if n, ok := s.Num("maximum"); ok {
		hi = n.Float64()
	}
	step := 1e-6
	if t, _ := s.Str("type"); t == "integer" {
		step = 1
	}
	if n, ok := s.Num("exclusiveMinimum"); ok {
		lo = n.Float64() + step
	}
	if n, ok := s.Num("exclusiveMaximum"); ok {
		hi = n.Float64() - step
	}
	if !s.Has("maximum") && !s.Has("exclusiveMaximum") && hi < lo {
		hi = lo + 100
	}
	if !s.Has("minimum") && !s.Has("exclusiveMinimum") && lo > hi {
		lo = hi - 100
	}
	return lo, hi
}

func (g *generator) str(s *pyjson.Object, name string) string {
	text := g.sentence()
	if strings.Contains(strings.ToLower(name), "thought") || strings.Contains(strings.ToLower(name), "evaluation") {
		text = g.paragraph(2, 4)
	}
	lo, hi := bound(s, "minLength", 0), bound(s, "maxLength", -1)
	for len([]rune(text)) < lo {
		text += " " + g.sentence()
	}
	if hi >= 0 && len([]rune(text)) > hi {
		text = string([]rune(text)[:hi])
	}
	return text
}
