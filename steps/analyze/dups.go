package analyze

import (
	"hash/fnv"
)

// dupSet counts items by the first 50 characters of their task T, for the
// duplicate report, without keeping every item's key: a key is known by its
// 128-bit FNV-1a digest, and its text (and the files it is in) only from
// its second occurrence on, when it becomes a duplicate. Per distinct key
// it holds a map entry and a 16-byte slot, so its size follows the
// number of distinct items, not their text.
type dupSet struct {
	at    map[[16]byte]int32 // digest -> index in slots
	slots []dupSlot          // in first-seen order
}

type dupSlot struct {
	file int32     // the file of the first occurrence
	dup  *dupGroup // set from the second occurrence on
}

// dupGroup is a key that occurs more than once.
type dupGroup struct {
	key   string
	n     int
	files []int // the files it occurs in, in order, with repeats
}

func newDupSet() *dupSet { return &dupSet{at: map[[16]byte]int32{}} }

func digest50(key string) [16]byte {
	h := fnv.New128a()
	h.Write([]byte(key))
	var d [16]byte
	h.Sum(d[:0])
	return d
}

// add counts one item of file fi with key.
func (s *dupSet) add(key string, fi int) {
	d := digest50(key)
	i, ok := s.at[d]
	if !ok {
		s.at[d] = int32(len(s.slots))
		s.slots = append(s.slots, dupSlot{file: int32(fi)})
		return
	}
	sl := &s.slots[i]
	if sl.dup == nil {
		sl.dup = &dupGroup{key: key, n: 1, files: []int{int(sl.file)}}
	}
	sl.dup.n++
	if last := sl.dup.files[len(sl.dup.files)-1]; last != fi {
		sl.dup.files = append(sl.dup.files, fi)
	}
}

// groups returns the keys that occur more than once, in first-seen order.
func (s *dupSet) groups() []*dupGroup {
	var out []*dupGroup
	for _, sl := range s.slots {
		if sl.dup != nil {
			out = append(out, sl.dup)
		}
	}
	return out
}
