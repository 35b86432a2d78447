package pipeline

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sptflow/sptflow/engine"
)

// graph builds the partition graph: a partition P of node N needs, for each
// node M in N's needs, the partitions of M that agree with P on the foreach
// keys N and M share (all of them when they share none).
func (l *loader) graph(p *Pipeline, decls []*decl, byName map[string]*decl) *engine.Graph {
	g := &engine.Graph{Name: p.Name, Path: p.Path, Needs: map[engine.PartitionID][]engine.PartitionID{}}
	for _, d := range decls {
		g.Partitions = append(g.Partitions, d.parts...)
		for _, at := range d.needs {
			m := byName[at.Value]
			if m == nil || m.broken || d.broken {
				continue
			}
			l.wire(g, d, m, at)
		}
	}
	return g
}

// wire adds, for every partition of d, its needs among m's partitions, and
// reports the foreach values of d that m has no partition for.
func (l *loader) wire(g *engine.Graph, d, m *decl, at *yaml.Node) {
	shared := sharedKeys(m.node.ForeachKeys, d.node.ForeachKeys)
	index := map[string][]engine.PartitionID{}
	for _, s := range m.parts {
		k := bindingKey(s, shared)
		index[k] = append(index[k], s.ID)
	}
	var missing []string
	for _, s := range d.parts {
		ids := index[bindingKey(s, shared)]
		if len(ids) == 0 {
			missing = append(missing, describeBinding(s, shared))
			continue
		}
		g.Needs[s.ID] = append(g.Needs[s.ID], ids...)
	}
	if len(missing) > 0 {
		if len(missing) > 5 {
			missing = append(missing[:5], "...")
		}
		l.errorf(at, "%sneeds %q, which has no partition for %s", d.ctx(), m.node.Name, strings.Join(missing, "; "))
	}
}

// sharedKeys returns the keys of a that b also has, in a's order.
func sharedKeys(a, b []string) []string {
	var out []string
	for _, k := range a {
		for _, k2 := range b {
			if k == k2 {
				out = append(out, k)
			}
		}
	}
	return out
}

// bindingKey joins s's values of keys into a map key.
func bindingKey(s *engine.PartitionSpec, keys []string) string {
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = s.Value(k)
	}
	return strings.Join(vals, "\x00")
}

func describeBinding(s *engine.PartitionSpec, keys []string) string {
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + s.Value(k)
	}
	return strings.Join(pairs, ",")
}

// checkCycles reports every strongly connected component of the node graph
// (a node needs another) as one cycle, starting at its first declared node.
func (l *loader) checkCycles(decls []*decl, byName map[string]*decl) {
	index := map[*decl]int{}
	for i, d := range decls {
		index[d] = i
	}
	for _, scc := range tarjan(decls, byName) {
		start := scc[0]
		for _, d := range scc {
			if index[d] < index[start] {
				start = d
			}
		}
		if len(scc) == 1 && !needsItself(start) {
			continue
		}
		in := map[*decl]bool{}
		for _, d := range scc {
			in[d] = true
		}
		path, first := cyclePath(start, byName, in)
		names := make([]string, len(path)+1)
		for i, d := range path {
			names[i] = d.node.Name
		}
		names[len(path)] = start.node.Name
		l.errorf(first, "cycle: %s", strings.Join(names, " -> "))
	}
}

func needsItself(d *decl) bool {
	for _, n := range d.needs {
		if n.Value == d.node.Name {
			return true
		}
	}
	return false
}

// cyclePath finds a path from start back to start within the component in,
// following needs in the order written. It returns the path (without the
// final start) and the needs entry of start that begins it.
func cyclePath(start *decl, byName map[string]*decl, in map[*decl]bool) ([]*decl, *yaml.Node) {
	visited := map[*decl]bool{}
	var path []*decl
	var first *yaml.Node
	var dfs func(d *decl) bool
	dfs = func(d *decl) bool {
		visited[d] = true
		path = append(path, d)
		for _, n := range d.needs {
			m := byName[n.Value]
			if m == nil || !in[m] {
				continue
			}
			if d == start {
				first = n
			}
			if m == start || !visited[m] && dfs(m) {
				return true
			}
		}
		path = path[:len(path)-1]
		return false
	}
	dfs(start)
	return path, first
}

// tarjan returns the strongly connected components of the node graph in a
// deterministic order (by declaration, needs as written).
func tarjan(decls []*decl, byName map[string]*decl) [][]*decl {
	t := &tarjanState{byName: byName, index: map[*decl]int{}, low: map[*decl]int{}, on: map[*decl]bool{}}
	for _, d := range decls {
		if _, seen := t.index[d]; !seen {
			t.visit(d)
		}
	}
	return t.sccs
}

type tarjanState struct {
	byName map[string]*decl
	index  map[*decl]int
	low    map[*decl]int
	on     map[*decl]bool
	stack  []*decl
	next   int
	sccs   [][]*decl
}

func (t *tarjanState) visit(d *decl) {
	t.index[d], t.low[d] = t.next, t.next
	t.next++
	t.stack = append(t.stack, d)
	t.on[d] = true
	for _, n := range d.needs {
		m := t.byName[n.Value]
		if m == nil {
			continue
		}
		if _, seen := t.index[m]; !seen {
			t.visit(m)
			t.low[d] = min(t.low[d], t.low[m])
		} else if t.on[m] {
			t.low[d] = min(t.low[d], t.index[m])
		}
	}
	if t.low[d] != t.index[d] {
		return
	}
	var scc []*decl
	for {
		m := t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
		t.on[m] = false
		scc = append(scc, m)
		if m == d {
			break
		}
	}
	t.sccs = append(t.sccs, scc)
}
