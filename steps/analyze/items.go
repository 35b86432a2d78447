package analyze

// Whole items written into the raw-item example categories are copied out
// of their file's bytes when the file is merged (its read buffer goes back
// to the workers only then), and only the items a category keeps: what is
// held until the outputs are written is bounded by the number of examples,
// not by the data, and no file is read twice.

// itemBytes is a copied item and, once asked for, its form as written.
type itemBytes struct {
	raw    []byte // the item's bytes in its file
	tagged []byte // raw as pyjson.Marshal writes it at depth 2 (raw itself when the same)
	err    error
	done   bool
}

// form returns the item as written at depth 2 (appendTagged), computed
// once however many categories list the item.
func (b *itemBytes) form() ([]byte, error) {
	if !b.done {
		b.done = true
		b.tagged, b.err = taggedForm(b.raw, 2)
	}
	return b.tagged, b.err
}

// itemBytesOf returns item ii's copied bytes, copying them from the file's
// data on first use.
func (fr *fileResult) itemBytesOf(ii int) *itemBytes {
	it := &fr.items[ii]
	if it.bytes == nil {
		it.bytes = &itemBytes{raw: append([]byte(nil), fr.data[it.start:it.end]...)}
	}
	return it.bytes
}
