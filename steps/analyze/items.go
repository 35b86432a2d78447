package analyze

import (
	"fmt"
	"path"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/internal/hugebuf"
	"github.com/sptflow/sptflow/pyjson"
)

// A raw-item category's file lists its kept items whole, as they are in
// their files (sameWhenTagged) or re-indented (appendTagged). The file is
// written while the files are merged: an example whose place in the file
// is known (every topic listed before its topic is complete: it has its
// `limit` examples) is written straight from its file's read buffer;
// another (an earlier topic may still get examples from a later file) is
// copied and written once its turn comes, at the latest when the outputs
// are written. With the files of a topic next to each other (sorted
// paths), almost nothing is copied or held, and no file is read twice.

// itemBytes is an item's written form. Until made owned, it may share its
// file's read buffer and is valid only during the file's merge.
type itemBytes struct {
	tagged []byte
	err    error
	owned  bool
}

// own copies the bytes out of the file's buffer into h, if they are in it.
func (b *itemBytes) own(h *heldBytes) {
	if !b.owned {
		b.tagged, b.owned = h.clone(b.tagged), true
	}
}

// heldBytes stores the copies of the items held for later, one after the
// other in chunks of huge pages (hugebuf.Make): they are whole items,
// some hundred kilobytes each, that stay until their turn comes (often
// the end), and a fresh allocation each would fault in every 4 KiB page
// of them. A chunk is freed once none of its copies is referred to.
type heldBytes struct {
	chunk []byte // the current chunk; its free space is after len
}

// clone returns a copy of b.
func (h *heldBytes) clone(b []byte) []byte {
	if len(b) > cap(h.chunk)-len(h.chunk) {
		h.chunk = hugebuf.Make(max(len(b), hugebuf.PageSize))
	}
	start := len(h.chunk)
	h.chunk = append(h.chunk, b...)
	return h.chunk[start:len(h.chunk):len(h.chunk)]
}

// itemForm returns item ii's written form, computed once per merge
// however many categories keep the item.
func (fr *fileResult) itemForm(ii int) *itemBytes {
	it := &fr.items[ii]
	if it.bytes == nil {
		raw := fr.data[it.start:it.end]
		if sameWhenTagged(raw, 2) {
			it.bytes = &itemBytes{tagged: raw}
		} else {
			b, err := appendTagged(make([]byte, 0, len(raw)+len(raw)/8), raw, 2)
			it.bytes = &itemBytes{tagged: b, err: err, owned: true}
		}
	}
	return it.bytes
}

// itemList is a raw-item category's file being written: a list of
// {"affected_subsets", "item"} objects. The first error stops the writing
// and is returned by close.
type itemList struct {
	name string // the file's path
	w    engine.FileWriter
	n    int // examples written
	buf  []byte
	err  error
}

// write writes example e, creating the file first.
func (l *itemList) write(out engine.Output, e *example, files []fileInfo) {
	if l.err != nil {
		return
	}
	if l.w == nil {
		if l.w, l.err = engine.CreateFile(out, l.name); l.err != nil {
			l.err = fmt.Errorf("write %s: %w", l.name, l.err)
			return
		}
		l.buf = append(l.buf[:0], '[')
	}
	sub, err := pyjson.Marshal(e.subsets, pyjson.Tagged)
	if err != nil {
		l.err = fmt.Errorf("write %s: %w", l.name, err)
		return
	}
	if e.bytes.err != nil {
		l.err = fmt.Errorf("write %s: item %d of %s: %w", l.name, e.item, files[e.file].path, e.bytes.err)
		return
	}
	if l.n > 0 {
		l.buf = append(l.buf, ',')
	}
	l.n++
	l.buf = append(l.buf, "\n  {\n    \"affected_subsets\": "...)
	l.buf = appendNested(l.buf, sub, 2)
	l.buf = append(l.buf, ",\n    \"item\": "...)
	if _, err := l.w.Write(l.buf); err != nil {
		l.err = fmt.Errorf("write %s: %w", l.name, err)
		return
	}
	if _, err := l.w.Write(e.bytes.tagged); err != nil {
		l.err = fmt.Errorf("write %s: %w", l.name, err)
		return
	}
	l.buf = append(l.buf[:0], "\n  }"...)
}

// close finishes the file (one example at least was written).
func (l *itemList) close() error {
	if l.err == nil {
		if _, err := l.w.Write(append(l.buf, "\n]"...)); err != nil {
			l.err = fmt.Errorf("write %s: %w", l.name, err)
		} else if err := l.w.Close(); err != nil {
			l.err = fmt.Errorf("write %s: %w", l.name, err)
		}
	}
	return l.err
}

// abort drops the file if it is not closed.
func (l *itemList) abort() {
	if l.w != nil {
		l.w.Abort()
	}
}

// flush writes the examples whose place in the file is known; all that
// are left when all is true (the last files are merged).
func (c *itemCat) flush(a *analysis, limit int, all bool) {
	for ; c.head < len(c.order); c.head++ {
		te := c.topics[c.order[c.head]]
		for ; te.written < len(te.kept); te.written++ {
			e := &te.kept[te.written]
			c.list.write(a.out, e, a.files)
			e.bytes = nil
		}
		if !all && len(te.kept) < limit {
			return
		}
	}
}

// newItemList starts the file of category name.
func newItemList(o *options, name string) *itemList {
	return &itemList{name: path.Join(o.OutputDir, "interesting_examples", name+".json")}
}
