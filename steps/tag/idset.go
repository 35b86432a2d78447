package tag

import "hash/maphash"

// idSet is the set of a partition's id_string values, for the duplicate
// check. It keeps a 128-bit digest of each id (two 64-bit maphash values
// under independent random seeds), not the id: 16 bytes an id instead of
// its ~100-byte text, so a partition's memory stays flat as its files
// multiply. A repeated id always has the digest of its first occurrence,
// so no duplicate is missed; two different ids of one run share a digest
// with probability about n²/2¹²⁹ (below 10⁻²⁶ for a million ids), which
// would report a duplicate where there is none.
type idSet struct {
	seeds [2]maphash.Seed
	m     map[[2]uint64]struct{}
}

func newIDSet() *idSet {
	return &idSet{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, m: map[[2]uint64]struct{}{}}
}

// add adds id and reports whether it was new.
func (s *idSet) add(id string) bool {
	k := [2]uint64{maphash.String(s.seeds[0], id), maphash.String(s.seeds[1], id)}
	if _, dup := s.m[k]; dup {
		return false
	}
	s.m[k] = struct{}{}
	return true
}

// len is the number of distinct ids added.
func (s *idSet) len() int { return len(s.m) }
