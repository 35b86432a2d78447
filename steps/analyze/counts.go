package analyze

import "unsafe"

// counts is a counter by string key that remembers first-seen order. Its
// keys are few (verdicts, confidences, difficulty levels, tags, batch
// ids...) and the same ones come again record after record, so up to
// countsLinear keys are found by comparing them in turn (the strings are
// mostly shared, so a comparison is mostly a pointer check), and only a
// larger counter keeps an index: a record's counting costs no map
// assignment and no hashing.
type counts struct {
	keys []string
	vals []int
	idx  map[string]int // index into keys, once there are more than countsLinear
}

const countsLinear = 8

// countsScan is how many of a larger counter's first keys are compared by
// pointer before its index is used.
const countsScan = 32

// at returns k's index, or -1.
func (c *counts) at(k string) int {
	if c.idx != nil {
		// A larger counter's frequent keys (tags, mostly) come first:
		// they are found by their pointer before hashing.
		for i, x := range c.keys[:min(len(c.keys), countsScan)] {
			if len(x) == len(k) && unsafe.StringData(x) == unsafe.StringData(k) {
				return i
			}
		}
		if i, ok := c.idx[k]; ok {
			return i
		}
		return -1
	}
	// The same key is mostly the same string (interned): its bytes are
	// compared only when no key shares them.
	for i, x := range c.keys {
		if len(x) == len(k) && unsafe.StringData(x) == unsafe.StringData(k) {
			return i
		}
	}
	for i, x := range c.keys {
		if x == k {
			return i
		}
	}
	return -1
}

func (c *counts) add(k string, d int) {
	if i := c.at(k); i >= 0 {
		c.vals[i] += d
		return
	}
	c.keys = append(c.keys, k)
	c.vals = append(c.vals, d)
	switch {
	case c.idx != nil:
		c.idx[k] = len(c.keys) - 1
	case len(c.keys) > countsLinear:
		c.idx = make(map[string]int, 2*len(c.keys))
		for i, x := range c.keys {
			c.idx[x] = i
		}
	}
}

// get returns k's count (0 when never added).
func (c *counts) get(k string) int {
	if i := c.at(k); i >= 0 {
		return c.vals[i]
	}
	return 0
}

// has reports whether k was added.
func (c *counts) has(k string) bool { return c.at(k) >= 0 }

func (c *counts) merge(o *counts) {
	for i, k := range o.keys {
		c.add(k, o.vals[i])
	}
}

// m returns the counts as a map.
func (c *counts) m() map[string]int {
	m := make(map[string]int, len(c.keys))
	for i, k := range c.keys {
		m[k] = c.vals[i]
	}
	return m
}
