package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/internal/suggest"
)

// Selection says which partitions a command works on.
type Selection struct {
	// Targets are node names ("intervene") or partitions: an exact id
	// ("intervene@sycophancy"), foreach bindings ("infer@topic=sycophancy",
	// any subset of the keys) or bare values ("infer@sycophancy,qwen32").
	// Empty means every partition.
	Targets []string
	// Topic, when set, keeps only partitions whose "topic" value is Topic.
	Topic string
}

// Select resolves sel against g and returns the chosen partitions in graph
// order. Unknown targets are configuration errors (ErrInvalid).
func Select(g *Graph, sel Selection) ([]PartitionID, error) {
	chosen := map[PartitionID]bool{}
	var errs []error
	if len(sel.Targets) == 0 {
		for _, p := range g.Partitions {
			chosen[p.ID] = true
		}
	}
	for _, t := range sel.Targets {
		ids := matchTarget(g, t)
		if len(ids) == 0 {
			errs = append(errs, fmt.Errorf("%s: unknown target %q%s", g.Path, t, suggestTarget(g, t)))
		}
		for _, id := range ids {
			chosen[id] = true
		}
	}
	if len(errs) > 0 {
		return nil, invalid(errs...)
	}
	var out []PartitionID
	for _, p := range g.Partitions {
		if chosen[p.ID] && (sel.Topic == "" || p.Value("topic") == sel.Topic) {
			out = append(out, p.ID)
		}
	}
	if len(out) == 0 && sel.Topic != "" {
		return nil, invalid(fmt.Errorf("%s: no selected partition has topic %q%s", g.Path, sel.Topic, suggest.DidYouMean(sel.Topic, topics(g))))
	}
	return out, nil
}

// suggestTarget returns " (did you mean "X"?)" for a target that names a
// node or partition of g nearly: the nearest node name (keeping the
// partition part, "intervne@sycophancy" → "intervene@sycophancy"), or the
// nearest partition of the node.
func suggestTarget(g *Graph, t string) string {
	node, spec, hasSpec := strings.Cut(t, "@")
	var nodes, specs, keys []string
	for _, p := range g.Partitions {
		if !slices.Contains(nodes, p.Node) {
			nodes = append(nodes, p.Node)
		}
		if _, s, ok := strings.Cut(string(p.ID), "@"); ok && p.Node == node {
			specs = append(specs, s)
			for _, kv := range p.Foreach {
				if !slices.Contains(keys, kv.Key) {
					keys = append(keys, kv.Key)
				}
			}
		}
	}
	if slices.Contains(nodes, node) {
		return suggestPartition(node, spec, hasSpec, specs, keys)
	}
	n, ok := suggest.Closest(node, nodes)
	if !ok {
		return " (nodes: " + strings.Join(nodes, ", ") + ")"
	}
	if hasSpec {
		n += "@" + spec
	}
	return fmt.Sprintf(" (did you mean %q?)", n)
}

// suggestPartition is suggestTarget's answer for a known node: the
// nearest of its partitions, else a foreach key it does not have, else the
// partitions it has (the first few).
func suggestPartition(node, spec string, hasSpec bool, specs, keys []string) string {
	if !hasSpec {
		return ""
	}
	if s, ok := suggest.Closest(spec, specs); ok {
		return fmt.Sprintf(" (did you mean %q?)", node+"@"+s)
	}
	if len(specs) == 0 {
		return fmt.Sprintf(" (node %s has one partition, %q)", node, node)
	}
	els := strings.Split(spec, ",")
	for i, el := range els {
		k, v, isKV := strings.Cut(el, "=")
		if !isKV || slices.Contains(keys, k) {
			continue
		}
		if near, ok := suggest.Closest(k, keys); ok {
			els[i] = near + "=" + v
			return fmt.Sprintf(" (did you mean %q?)", node+"@"+strings.Join(els, ","))
		}
		return fmt.Sprintf(" (%s has no foreach key %q; its keys: %s)", node, k, strings.Join(keys, ", "))
	}
	const shown = 6
	list := make([]string, 0, shown)
	for _, s := range specs[:min(len(specs), shown)] {
		list = append(list, node+"@"+s)
	}
	more := ""
	if len(specs) > shown {
		more = fmt.Sprintf(", … %d in all", len(specs))
	}
	return fmt.Sprintf(" (partitions of %s: %s%s)", node, strings.Join(list, ", "), more)
}

// topics returns the distinct topic values of g's partitions.
func topics(g *Graph) []string {
	var out []string
	for _, p := range g.Partitions {
		if v := p.Value("topic"); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// matchTarget returns the partitions target t names, in graph order.
func matchTarget(g *Graph, t string) []PartitionID {
	node, spec, hasSpec := strings.Cut(t, "@")
	var out []PartitionID
	for _, p := range g.Partitions {
		if p.Node != node {
			continue
		}
		if !hasSpec || string(p.ID) == t || matchBindings(p, spec) {
			out = append(out, p.ID)
		}
	}
	return out
}

// matchBindings reports whether every comma-separated element of spec
// matches p: "key=value" a binding, a bare value any bound value.
func matchBindings(p *PartitionSpec, spec string) bool {
	if spec == "" || len(p.Foreach) == 0 {
		return false
	}
	for _, el := range strings.Split(spec, ",") {
		k, v, isKV := strings.Cut(el, "=")
		if isKV && (p.Value(k) != v || !hasKey(p, k)) {
			return false
		}
		if !isKV && !hasValue(p, el) {
			return false
		}
	}
	return true
}

func hasKey(p *PartitionSpec, key string) bool {
	for _, kv := range p.Foreach {
		if kv.Key == key {
			return true
		}
	}
	return false
}

func hasValue(p *PartitionSpec, v string) bool {
	for _, kv := range p.Foreach {
		if kv.Value == v {
			return true
		}
	}
	return false
}
