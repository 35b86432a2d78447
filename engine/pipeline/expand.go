package pipeline

import (
	"fmt"
	"path"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/sptflow/sptflow/engine"
)

// maxPartitions bounds the foreach product of one node.
const maxPartitions = 100000

// foreach decodes `foreach:`: each key maps to a non-empty list of distinct
// scalars, written inline or as one `${var}` naming a list.
func (l *loader) foreach(d *decl, v *yaml.Node, vars map[string]any) []axis {
	if v == nil {
		return nil
	}
	ents, ok := l.entries(v, d.ctx()+"foreach")
	if !ok {
		d.broken = true
		return nil
	}
	var axes []axis
	for _, e := range ents {
		if !isIdent(e.Name) {
			l.errorf(e.Key, "%sforeach key %q is not an identifier (letters, digits and _)", d.ctx(), e.Name)
			d.broken = true
			continue
		}
		d.keys = append(d.keys, e.Name)
		values, ok := l.axisValues(d, e, vars)
		if !ok {
			d.broken = true
			continue
		}
		axes = append(axes, axis{key: e.Name, values: values})
		d.node.ForeachKeys = append(d.node.ForeachKeys, e.Name)
	}
	return axes
}

// item is a foreach value and the node where it was written.
type item struct {
	v  any
	at *yaml.Node
}

// axisValues decodes the values of one foreach key.
func (l *loader) axisValues(d *decl, e entry, vars map[string]any) ([]string, bool) {
	ctx := fmt.Sprintf("%sforeach %q: ", d.ctx(), e.Name)
	n := resolve(e.Val)
	items, ok := l.axisItems(n, &scope{vars: vars}, ctx)
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		l.errorf(n, "%sno values", ctx)
		return nil, false
	}
	values := make([]string, 0, len(items))
	seen := map[string]bool{}
	for _, it := range items {
		s, scalar := formatScalar(it.v)
		switch {
		case !scalar:
			l.errorf(it.at, "%svalues must be scalars, got %s", ctx, typeName(it.v))
			ok = false
		case badValue(s) != "":
			l.errorf(it.at, "%svalue %q %s", ctx, s, badValue(s))
			ok = false
		case seen[s]:
			l.errorf(it.at, "%sduplicate value %q", ctx, s)
			ok = false
		}
		seen[s] = true
		values = append(values, s)
	}
	return values, ok
}

// axisItems returns the items of an inline list, or of the list a
// `${var}` string names.
func (l *loader) axisItems(n *yaml.Node, sc *scope, ctx string) ([]item, bool) {
	switch {
	case n.Kind == yaml.SequenceNode:
		items := make([]item, 0, len(n.Content))
		ok := true
		for _, e := range n.Content {
			v, eok := l.value(e, sc, ctx)
			ok = ok && eok
			items = append(items, item{v, resolve(e)})
		}
		return items, ok
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		v, ok := l.subst(n, sc, ctx)
		if !ok {
			return nil, false
		}
		list, isList := v.([]any)
		if !isList {
			l.errorf(n, "%sexpected a list of values, got %s", ctx, typeName(v))
			return nil, false
		}
		items := make([]item, len(list))
		for i, v := range list {
			items[i] = item{v, n}
		}
		return items, true
	}
	l.errorf(n, "%sexpected a list of values, got %s", ctx, describe(n))
	return nil, false
}

// badValue says why s cannot be a foreach value ("" when it can): values
// appear in partition ids and output paths.
func badValue(s string) string {
	if s == "" || s == "." || s == ".." {
		return "is not allowed"
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("@,=/\\", r) {
			return fmt.Sprintf("contains %q (not allowed: spaces and @ , = / \\)", r)
		}
	}
	return ""
}

// product returns the cartesian product of the axes, the first key varying
// slowest.
func product(axes []axis) [][]engine.KV {
	combos := [][]engine.KV{nil}
	for _, a := range axes {
		next := make([][]engine.KV, 0, len(combos)*len(a.values))
		for _, c := range combos {
			for _, v := range a.values {
				kv := append(append([]engine.KV(nil), c...), engine.KV{Key: a.key, Value: v})
				next = append(next, kv)
			}
		}
		combos = next
	}
	return combos
}

// PartitionIDFor returns the id of the partition of node bound to kvs:
// "node", "node@value" or "node@k1=v1,k2=v2".
func PartitionIDFor(node string, kvs []engine.KV) engine.PartitionID {
	switch len(kvs) {
	case 0:
		return engine.PartitionID(node)
	case 1:
		return engine.PartitionID(node + "@" + kvs[0].Value)
	}
	pairs := make([]string, len(kvs))
	for i, kv := range kvs {
		pairs[i] = kv.Key + "=" + kv.Value
	}
	return engine.PartitionID(node + "@" + strings.Join(pairs, ","))
}

// partitions expands the node's foreach product into PartitionSpecs.
func (l *loader) partitions(d *decl, p *Pipeline) {
	if d.broken {
		l.checkBroken(d, p)
		return
	}
	total := 1
	for _, a := range d.foreach {
		total *= len(a.values)
		if total > maxPartitions {
			l.errorf(d.key, "%sforeach expands to more than %d partitions", d.ctx(), maxPartitions)
			d.broken = true
			return
		}
	}
	for _, kvs := range product(d.foreach) {
		spec := l.spec(d, p, kvs)
		d.parts = append(d.parts, spec)
		d.node.Partitions = append(d.node.Partitions, spec.ID)
	}
}

// checkBroken reports the problems in `with` and `output` of a node whose
// foreach is broken, binding each foreach key to a placeholder value.
func (l *loader) checkBroken(d *decl, p *Pipeline) {
	kvs := make([]engine.KV, len(d.keys))
	for i, k := range d.keys {
		kvs[i] = engine.KV{Key: k, Value: "_"}
	}
	l.spec(d, p, kvs)
}

// spec builds the PartitionSpec bound to kvs, substituting vars and the
// partition's own foreach values into `with` and `output`.
func (l *loader) spec(d *decl, p *Pipeline, kvs []engine.KV) *engine.PartitionSpec {
	s := &engine.PartitionSpec{
		ID: PartitionIDFor(d.node.Name, kvs), Node: d.node.Name, Kind: d.node.Kind, Foreach: kvs,
		With: map[string]any{}, WithPos: map[string]string{}, NodePos: d.node.Pos,
		ProjectRoot: p.ProjectRoot, DataDir: p.DataDir, PromptsDir: p.PromptsDir,
		Vars: p.Vars, Models: p.Models, Options: l.opt.Run,
	}
	sc := &scope{vars: p.Vars, local: kvs}
	if d.with != nil {
		ents, _ := l.entries(d.with, d.ctx()+"with")
		for _, e := range ents {
			s.With[e.Name], _ = l.value(e.Val, sc, d.ctx())
			s.WithPos[e.Name] = l.pos(e.Key).String()
			if from := l.setFrom(e.Val); from != "" {
				if s.WithFrom == nil {
					s.WithFrom = map[string]string{}
				}
				s.WithFrom[e.Name] = from
			}
		}
	}
	if d.output != nil {
		s.Output = l.output(d, sc)
	}
	return s
}

// setFrom returns "--set NAME=VALUE" when the scalar n is exactly a
// reference to a variable the command line set, else "".
func (l *loader) setFrom(n *yaml.Node) string {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return ""
	}
	parts, err := parseTemplate(n.Value)
	if err != nil || len(parts) != 1 || parts[0].ref == "" {
		return ""
	}
	raw, ok := l.opt.Sets[parts[0].ref]
	if !ok {
		return ""
	}
	return "--set " + parts[0].ref + "=" + raw
}

// output substitutes and checks the node's `output:` for one partition.
func (l *loader) output(d *decl, sc *scope) string {
	v, ok := l.value(d.output, sc, d.ctx())
	if !ok {
		return ""
	}
	at := resolve(d.output)
	s, isStr := v.(string)
	if !isStr {
		l.errorf(at, "%soutput: expected a path, got %s", d.ctx(), typeName(v))
		return ""
	}
	clean, msg := cleanOutput(s)
	if msg != "" {
		l.errorf(at, "%soutput %q %s", d.ctx(), s, msg)
	}
	return clean
}

// cleanOutput cleans a relative output path, or says why it is not one.
func cleanOutput(s string) (string, string) {
	if s == "" {
		return "", "must not be empty"
	}
	if path.IsAbs(s) || strings.Contains(s, "\\") {
		return "", "must be a relative slash-separated path inside the data directory"
	}
	c := path.Clean(s)
	switch {
	case c == ".":
		return "", "must name a path below the data directory"
	case c == ".." || strings.HasPrefix(c, "../"):
		return "", "escapes the data directory"
	}
	return c, ""
}

// checkOutputs reports partitions that would write the same output.
func (l *loader) checkOutputs(decls []*decl) {
	owner := map[string]engine.PartitionID{}
	for _, d := range decls {
		for _, s := range d.parts {
			if s.Output == "" {
				continue
			}
			if prev, dup := owner[s.Output]; dup {
				l.errorf(resolve(d.output), "%soutput %q of %s is also the output of %s (use ${...} of a foreach key)", d.ctx(), s.Output, s.ID, prev)
				break // one report per node
			}
			owner[s.Output] = s.ID
		}
	}
}
