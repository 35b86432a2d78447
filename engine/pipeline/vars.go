package pipeline

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/internal/suggest"
)

// part is a piece of a string template: a literal, or a reference to a
// variable at rune offset off of the string.
type part struct {
	lit string
	ref string
	off int
}

// templateError is a malformed reference at rune offset off.
type templateError struct {
	off int
	msg string
}

// parseTemplate splits s into literals and `${name}` references. `$${`
// stands for a literal `${`.
func parseTemplate(s string) ([]part, *templateError) {
	var parts []part
	var lit strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			off := utf8.RuneCountInString(s[:i])
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return nil, &templateError{off, "unterminated ${ (write $${ for a literal ${)"}
			}
			name := s[i+2 : i+2+end]
			if !isIdent(name) {
				return nil, &templateError{off, fmt.Sprintf("invalid variable name %q in ${...}", name)}
			}
			if lit.Len() > 0 {
				parts = append(parts, part{lit: lit.String()})
				lit.Reset()
			}
			parts = append(parts, part{ref: name, off: off})
			i += 3 + end
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	if lit.Len() > 0 || len(parts) == 0 {
		parts = append(parts, part{lit: lit.String()})
	}
	return parts, nil
}

// scope is what `${name}` can refer to: the partition's own foreach
// bindings (which win) and the pipeline's vars.
type scope struct {
	vars  map[string]any
	local []engine.KV
	// literal forbids references (var values are literal); `$${` is still
	// unescaped.
	literal bool
}

// suggest returns " (did you mean "X"?)" for the variable in scope nearest
// to name, or "".
func (sc *scope) suggest(name string) string {
	known := slices.Sorted(maps.Keys(sc.vars))
	for _, kv := range sc.local {
		known = append(known, kv.Key)
	}
	return suggest.DidYouMean(name, known)
}

func (sc *scope) lookup(name string) (any, bool) {
	for _, kv := range sc.local {
		if kv.Key == name {
			return kv.Value, true
		}
	}
	v, ok := sc.vars[name]
	return v, ok
}

// subst substitutes the references in the string scalar n. A string that is
// exactly one reference takes the referenced value with its type; otherwise
// every referenced value must be a scalar and is interpolated.
func (l *loader) subst(n *yaml.Node, sc *scope, ctx string) (any, bool) {
	parts, terr := parseTemplate(n.Value)
	if terr != nil {
		l.probs.add(l.refPos(n, terr.off), "%s%s", ctx, terr.msg)
		return nil, false
	}
	if sc.literal {
		for _, p := range parts {
			if p.ref != "" {
				l.probs.add(l.refPos(n, p.off), "%s${%s}: vars are literal and cannot refer to variables (write $${ for a literal ${)", ctx, p.ref)
				return nil, false
			}
		}
	}
	if len(parts) == 1 && parts[0].ref != "" {
		v, ok := sc.lookup(parts[0].ref)
		if !ok {
			l.probs.add(l.refPos(n, parts[0].off), "%sundefined variable %q%s", ctx, parts[0].ref, sc.suggest(parts[0].ref))
			return nil, false
		}
		if !l.spendCopy(n, v) {
			return nil, false
		}
		return deepCopy(v), true
	}
	var b strings.Builder
	ok := true
	for _, p := range parts {
		if p.ref == "" {
			b.WriteString(p.lit)
			continue
		}
		v, found := sc.lookup(p.ref)
		if !found {
			l.probs.add(l.refPos(n, p.off), "%sundefined variable %q%s", ctx, p.ref, sc.suggest(p.ref))
			ok = false
			continue
		}
		s, scalar := formatScalar(v)
		if !scalar {
			l.probs.add(l.refPos(n, p.off), "%svariable %q is %s and cannot be interpolated into a string", ctx, p.ref, typeName(v))
			ok = false
			continue
		}
		b.WriteString(s)
	}
	return b.String(), ok
}

// refPos is the position of the reference at rune offset off in the scalar
// n: exact when the scalar is written on one line, else the scalar's own.
func (l *loader) refPos(n *yaml.Node, off int) Pos {
	p := l.pos(n)
	lines := l.src[p.File]
	if n.Line < 1 || n.Line > len(lines) || n.Column < 1 {
		return p
	}
	line := []rune(lines[n.Line-1])
	if n.Column-1 > len(line) {
		return p
	}
	rest := string(line[n.Column-1:])
	var written string
	switch n.Style {
	case 0:
		written = n.Value
	case yaml.SingleQuotedStyle:
		written = "'" + strings.ReplaceAll(n.Value, "'", "''") + "'"
		off++
	case yaml.DoubleQuotedStyle:
		written = `"` + n.Value + `"`
		off++
	default:
		return p
	}
	if strings.Contains(n.Value, "\n") || !strings.HasPrefix(rest, written) || n.Style == yaml.SingleQuotedStyle && strings.Contains(n.Value, "'") {
		return p
	}
	p.Col += off
	return p
}

// formatScalar renders a scalar var value for interpolation.
func formatScalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int:
		return strconv.Itoa(v), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// typeName names the type of a plain value for messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case string:
		return "a string"
	case int:
		return "an integer"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// deepCopy copies lists and mappings so partitions never share them.
func deepCopy(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	}
	return v
}

// scalarValue converts a non-string scalar to plain data: nil, bool, int,
// or a finite float64. Other tags (timestamps, binary, custom) keep their
// text.
func scalarValue(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		err := n.Decode(&b)
		return b, err
	case "!!int":
		var i int
		if err := n.Decode(&i); err != nil {
			return nil, fmt.Errorf("integer %s out of range", n.Value)
		}
		return i, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("bad number %s", n.Value)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("non-finite number %s is not allowed", n.Value)
		}
		return f, nil
	}
	return n.Value, nil
}

// parseSet parses the VALUE of --set NAME=VALUE: a YAML scalar or a flow
// sequence of scalars. An empty VALUE is the empty string.
func parseSet(s string) (any, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	doc, err := decodeOne([]byte(s))
	if err != nil {
		return nil, err
	}
	n := resolve(doc.Content[0])
	switch n.Kind {
	case yaml.ScalarNode:
		return scalarValue(n)
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			e = resolve(e)
			if e.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("list elements must be scalars")
			}
			v, err := scalarValue(e)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	}
	return nil, fmt.Errorf("expected a scalar or a list like [a, b]")
}
