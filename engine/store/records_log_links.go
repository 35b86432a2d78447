package store

// logLinks is what GCOptions.RecordLinks says of the latest entries of a
// record log: which are objects, what the others name.
type logLinks struct {
	objects map[int]bool       // index in all -> an object
	refs    map[int][][32]byte // index in all -> the keys a record names
	named   map[[32]byte]bool  // keys named by records that stay
}

// readLinks reads the latest put entry of every key, in every segment,
// with GCOptions.RecordLinks; the records of growing segments stay, so
// what they name is named at once. Without RecordLinks it reads nothing.
func (g *gc) readLinks(all []gcEntry, latest map[[32]byte]int) *logLinks {
	l := &logLinks{objects: map[int]bool{}, refs: map[int][][32]byte{}, named: map[[32]byte]bool{}}
	if g.opts.RecordLinks == nil {
		return l
	}
	for _, i := range latest {
		e := all[i]
		if e.h.op != logOpPut {
			continue
		}
		data, ok := readLogEntry(logLoc{seg: &logSeg{f: e.seg.f}, off: e.off, n: e.h.n, v1: e.h.v1}, e.h.key)
		if !ok {
			continue
		}
		refs, object := g.opts.RecordLinks(data)
		switch {
		case object:
			l.objects[i] = true
		case !e.seg.locked:
			l.name(refs)
		default:
			l.refs[i] = refs
		}
	}
	return l
}

// kept notes that the entry all[i] of a sealed segment stays.
func (l *logLinks) kept(i int) { l.name(l.refs[i]) }

func (l *logLinks) name(refs [][32]byte) {
	for _, k := range refs {
		l.named[k] = true
	}
}

// keepObjects keeps the objects of sealed segments that a staying record
// names; the others are removed, whatever their age: a writer puts an
// object with each record that names it (llm's request store does), so
// none is waiting for a record to come.
func (g *gc) keepObjects(c *compaction, all []gcEntry, l *logLinks) {
	for i := range l.objects {
		e := all[i]
		if !e.seg.locked {
			continue
		}
		if l.named[e.h.key] {
			c.keep = append(c.keep, e)
			c.newBytes += e.newSize()
			continue
		}
		c.dropped++
		g.stats.Objects++
	}
}
