package tag

import "unsafe"

// Allocation in bulk for analyze: a file has hundreds of records and
// variants and an id per record; allocating each alone was most of
// analyze's ~250k allocations per pass over the published data. Values
// are carved from chunks that are never grown in place, so a pointer or a
// string into a chunk stays valid (and unchanged) for the file's life.

const (
	slabLen   = 128      // records or variants a chunk
	idChunk   = 16 << 10 // bytes of ids a chunk
	inlineTag = 4        // tags a record or variant holds without a heap slice
)

// slab hands out a file's records, variants and ids.
type slab struct {
	recs []fastRecord
	vars []fastVariant
	scan []variantScan
	ptrs []*fastRecord // the records of the variants, each variant's a run
	keys [][]byte      // the keys of the model's variants' records, each a run
	ids  []byte
}

// record returns a new record whose tags start in its inline array.
func (s *slab) record() *fastRecord {
	r := next(&s.recs)
	r.tags = r.inl[:0]
	return r
}

// variant returns a new variant whose tags start in its inline array.
func (s *slab) variant() *fastVariant {
	v := next(&s.vars)
	v.tags = v.inl[:0]
	return v
}

// variantScan returns a new zero variantScan.
func (s *slab) variantScan() *variantScan { return next(&s.scan) }

// next extends *buf by one element and returns it, starting a new chunk
// of slabLen elements when the current one is full (so the elements
// handed out before never move).
func next[T any](buf *[]T) *T {
	if len(*buf) == cap(*buf) {
		*buf = make([]T, 0, slabLen)
	}
	*buf = (*buf)[:len(*buf)+1]
	return &(*buf)[len(*buf)-1]
}

// id returns the string prefix+key, its bytes in the current id chunk.
func (s *slab) id(prefix, key []byte) string {
	n := len(prefix) + len(key)
	if n == 0 {
		return ""
	}
	if cap(s.ids)-len(s.ids) < n {
		s.ids = make([]byte, 0, max(idChunk, n))
	}
	start := len(s.ids)
	s.ids = append(append(s.ids, prefix...), key...)
	return unsafe.String(&s.ids[start], n)
}
