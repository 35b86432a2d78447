package engine

import (
	"fmt"
	"path"
	"strings"
)

// claims returns the output paths partition n owns below its data
// directory (Plan.Outputs, else Plan.OutputDir), cleaned; [""] (the whole
// data directory) when it declares none, nil when nothing is materialized.
func (n *node) claims() []string {
	if n.plan.NoMaterialize {
		return nil
	}
	out := n.plan.Outputs
	if len(out) == 0 && n.plan.OutputDir != "" {
		out = []string{n.plan.OutputDir}
	}
	if len(out) == 0 {
		return []string{""}
	}
	cs := make([]string, 0, len(out))
	for _, o := range out {
		c := path.Clean(o)
		if c == "." {
			c = ""
		}
		cs = append(cs, c)
	}
	return cs
}

// overlaps reports whether two claimed paths share any file: they are
// equal, or one is a directory holding the other ("" holds everything).
func overlaps(a, b string) bool {
	return a == b || a == "" || b == "" || below(b, a) || below(a, b)
}

// below reports whether path p lies below directory dir, without
// allocating (checkCollisions calls overlaps for every pair of claims).
func below(p, dir string) bool {
	return len(p) > len(dir) && p[len(dir)] == '/' && strings.HasPrefix(p, dir)
}

// within reports whether rel lies inside one of claims (nil claims: anywhere).
func within(rel string, claims []string) bool {
	if claims == nil {
		return true
	}
	for _, c := range claims {
		if c == "" || rel == c || strings.HasPrefix(rel, c+"/") {
			return true
		}
	}
	return false
}

// show names a claimed path in messages.
func show(c string) string {
	if c == "" {
		return "the whole data directory"
	}
	return c
}

// checkCollisions reports every pair of partitions that would materialize
// overlapping paths into the same data directory, each with both positions.
func checkCollisions(g *Graph, nodes map[PartitionID]*node) []error {
	type claim struct {
		n    *node
		path string
	}
	var dirs []string
	byDir := map[string][]claim{}
	for _, spec := range g.Partitions {
		n := nodes[spec.ID]
		if n == nil {
			continue
		}
		for _, c := range n.claims() {
			if byDir[spec.DataDir] == nil {
				dirs = append(dirs, spec.DataDir)
			}
			byDir[spec.DataDir] = append(byDir[spec.DataDir], claim{n, c})
		}
	}
	type pair struct{ a, b *node }
	var pairs []pair
	paths := map[pair][]string{}
	for _, dir := range dirs {
		cs := byDir[dir]
		for i, a := range cs {
			for _, b := range cs[i+1:] {
				if b.n == a.n || !overlaps(a.path, b.path) {
					continue
				}
				k := pair{a.n, b.n}
				if paths[k] == nil {
					pairs = append(pairs, k)
				}
				p := show(a.path)
				if a.path != b.path {
					p += " / " + show(b.path)
				}
				paths[k] = append(paths[k], p)
			}
		}
	}
	errs := make([]error, 0, len(pairs))
	for _, k := range pairs {
		errs = append(errs, fmt.Errorf("%s: %s and %s (%s) would both write %s; give one of them another output",
			k.a.spec.NodePos, k.a.spec.ID, k.b.spec.ID, k.b.spec.NodePos, strings.Join(paths[k], ", ")))
	}
	return errs
}
