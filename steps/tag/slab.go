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
	if len(s.recs) == cap(s.recs) {
		s.recs = make([]fastRecord, 0, slabLen)
	}
	s.recs = s.recs[:len(s.recs)+1]
	r := &s.recs[len(s.recs)-1]
	r.tags = r.inl[:0]
	return r
}

// variant returns a new variant whose tags start in its inline array.
func (s *slab) variant() *fastVariant {
	if len(s.vars) == cap(s.vars) {
		s.vars = make([]fastVariant, 0, slabLen)
	}
	s.vars = s.vars[:len(s.vars)+1]
	v := &s.vars[len(s.vars)-1]
	v.tags = v.inl[:0]
	return v
}

// variantScan returns a new zero variantScan.
func (s *slab) variantScan() *variantScan {
	if len(s.scan) == cap(s.scan) {
		s.scan = make([]variantScan, 0, slabLen)
	}
	s.scan = s.scan[:len(s.scan)+1]
	return &s.scan[len(s.scan)-1]
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
