package pipeline

import (
	"gopkg.in/yaml.v3"
)

// value converts n to plain data (map[string]any, []any, string, int,
// float64, bool, nil), substituting `${...}` references in strings from sc.
// ctx prefixes messages ("node \"x\": "). It reports every problem and
// returns ok=false if there was one.
func (l *loader) value(n *yaml.Node, sc *scope, ctx string) (any, bool) {
	if !l.spend(n) {
		return nil, false
	}
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return l.mapValue(n, sc, ctx)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		ok := true
		for _, e := range n.Content {
			v, eok := l.value(e, sc, ctx)
			ok = ok && eok
			list = append(list, v)
		}
		return list, ok
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			return l.subst(n, sc, ctx)
		}
		v, err := scalarValue(n)
		if err != nil {
			l.errorf(n, "%s%v", ctx, err)
			return nil, false
		}
		return v, true
	}
	l.errorf(n, "%sunresolved alias", ctx)
	return nil, false
}

func (l *loader) mapValue(n *yaml.Node, sc *scope, ctx string) (any, bool) {
	m := make(map[string]any, len(n.Content)/2)
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			l.errorf(k, "%smapping keys must be scalars, got %s", ctx, describe(k))
			ok = false
			continue
		}
		v, vok := l.value(n.Content[i+1], sc, ctx)
		ok = ok && vok
		m[k.Value] = v
	}
	return m, ok
}

// spend counts one visited node against maxExpand and reports, once, a
// document that expands beyond it.
func (l *loader) spend(n *yaml.Node) bool {
	l.spent++
	if l.spent <= maxExpand {
		return true
	}
	if l.spent == maxExpand+1 {
		l.errorf(n, "the pipeline expands to more than %d values (alias expansion?)", maxExpand)
	}
	return false
}

// spendCopy counts the values of v (about to be copied into a partition)
// against maxExpand.
func (l *loader) spendCopy(n *yaml.Node, v any) bool {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if !l.spendCopy(n, e) {
				return false
			}
		}
	case map[string]any:
		for _, e := range v {
			if !l.spendCopy(n, e) {
				return false
			}
		}
	}
	return l.spend(n)
}
