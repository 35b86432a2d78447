package analyze

import (
	"fmt"
	"io"
)

// itemSource reads again the bytes of items that are written whole (the
// analysis keeps only their byte ranges). A file whose reader is an
// io.ReaderAt (a plain file) is read at the item's range only; any other
// (the store's verifying reader) is read whole once and kept until an item
// of another file is asked for, so a category's items, listed in file
// order, read each file once.
type itemSource struct {
	files []fileInfo
	cur   int    // index of the file held in buf, or -1
	buf   []byte // the whole of file cur, or the last item read at its range
}

func newItemSource(files []fileInfo) *itemSource {
	return &itemSource{files: files, cur: -1}
}

// item returns the bytes of an example's item, valid until the next call.
func (s *itemSource) item(e example) ([]byte, error) {
	b, err := s.bytes(e.file, e)
	if err != nil {
		return nil, fmt.Errorf("read item %d of %s again: %w", e.item, s.files[e.file].path, err)
	}
	return b, nil
}

func (s *itemSource) bytes(fi int, it example) ([]byte, error) {
	if s.cur == fi {
		return s.span(it)
	}
	f := s.files[fi].file
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	s.cur = -1
	if ra, ok := rc.(io.ReaderAt); ok {
		s.buf = grow(s.buf, it.end-it.start)
		if _, err := ra.ReadAt(s.buf, int64(it.start)); err != nil {
			return nil, fmt.Errorf("file changed while being analysed: %w", err)
		}
		return s.buf, nil
	}
	if s.buf, err = readAll(rc, f.Size, s.buf); err != nil {
		return nil, err
	}
	s.cur = fi
	return s.span(it)
}

func (s *itemSource) span(it example) ([]byte, error) {
	if it.end > len(s.buf) {
		return nil, fmt.Errorf("file changed while being analysed")
	}
	return s.buf[it.start:it.end], nil
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
