package pipeline

import (
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// chainLink is one file of an extends chain being loaded.
type chainLink struct {
	abs, display string
}

// baseName is the name a file of an extends chain (not the file loaded)
// gives: an experiment may not take it.
type baseName struct {
	name, file string
}

// loadChain parses display and, recursively, the file it extends, and
// returns the merged top-level mapping (nil when a file could not be
// parsed). from is the position of the `extends` value that named display.
func (l *loader) loadChain(display string, from Pos, chain []chainLink) *yaml.Node {
	abs, err := filepath.Abs(display)
	if err != nil {
		l.probs.add(from, "resolve %s: %v", display, err)
		return nil
	}
	for i, c := range chain {
		if c.abs == abs {
			names := make([]string, 0, len(chain)-i+1)
			for _, c := range chain[i:] {
				names = append(names, c.display)
			}
			l.probs.add(from, "extends cycle: %s -> %s", strings.Join(names, " -> "), display)
			return nil
		}
	}
	top := l.parseFile(display, from)
	if top == nil {
		return nil
	}
	if len(chain) > 0 {
		if n := lookup(top, "name"); n != nil && resolve(n).Kind == yaml.ScalarNode {
			l.bases = append(l.bases, baseName{name: resolve(n).Value, file: display})
		}
	}
	ext := lookup(top, "extends")
	if ext == nil {
		return top
	}
	name, ok := l.str(ext, "extends")
	if !ok {
		return nil
	}
	if name == "" {
		l.errorf(ext, "extends: empty file name")
		return nil
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(filepath.Dir(display), name)
	}
	base := l.loadChain(name, l.pos(ext), append(chain, chainLink{abs, display}))
	if base == nil {
		return nil
	}
	return l.merge(base, top)
}

// lookup returns the value of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	m = resolve(m)
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if resolve(m.Content[i]).Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// merge deep-merges child over base: mappings merge key-wise with the child
// winning, base keys keep their order and new child keys are appended;
// anything else (sequences, scalars, a mapping over a non-mapping) is
// replaced by the child's value. Neither input is modified; unmerged values
// are shared, so every node keeps the file it was written in.
func (l *loader) merge(base, child *yaml.Node) *yaml.Node {
	b, c := resolve(base), resolve(child)
	if b.Kind != yaml.MappingNode || c.Kind != yaml.MappingNode {
		return child
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: c.Line, Column: c.Column}
	l.file[out] = l.file[c]
	inChild := map[string]int{}
	for i := 0; i+1 < len(c.Content); i += 2 {
		if _, dup := inChild[c.Content[i].Value]; !dup {
			inChild[c.Content[i].Value] = i
		}
	}
	used := map[int]bool{}
	for i := 0; i+1 < len(b.Content); i += 2 {
		k, v := b.Content[i], b.Content[i+1]
		if j, ok := inChild[k.Value]; ok && !used[j] {
			used[j] = true
			k, v = c.Content[j], l.merge(v, c.Content[j+1])
		}
		out.Content = append(out.Content, k, v)
	}
	for i := 0; i+1 < len(c.Content); i += 2 {
		if !used[i] {
			out.Content = append(out.Content, c.Content[i], c.Content[i+1])
		}
	}
	return out
}
