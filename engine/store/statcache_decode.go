package store

import (
	"bytes"
	"encoding/hex"
	"strconv"
)

// decodeStatCache decodes the body of statcache.json as SaveStatCache
// writes it (json.Marshal of a statCacheFile: keys in that order, no
// spaces, paths without escapes), several times faster than encoding/json,
// which a no-op run would otherwise spend a tenth of its own work on. ok is
// false for anything else (another writer's formatting, escaped paths,
// unknown fields): the caller then decodes it with encoding/json.
func decodeStatCache(b []byte) (f statCacheFile, ok bool) {
	d := scanner{b: b}
	if !d.lit(`{"version":`) {
		return f, false
	}
	v, ok := d.int()
	if !ok || !d.lit(`,"files":{`) {
		return f, false
	}
	f.Version = int(v)
	// Sized at once: growing a map of a few hundred entries rehashes it
	// several times, a tenth of a no-op's stat cache load.
	f.Files = make(map[string]statEntry, bytes.Count(b, []byte(`,"digest":`)))
	if d.lit(`}}`) {
		return f, d.end()
	}
	for {
		path, ok := d.str()
		if !ok || !d.lit(`:{"size":`) {
			return f, false
		}
		var e statEntry
		if e.Size, ok = d.int(); !ok || !d.lit(`,"mtime":`) {
			return f, false
		}
		if e.Mtime, ok = d.int(); !ok {
			return f, false
		}
		if d.lit(`,"ino":`) {
			ino, ok := d.int()
			if !ok || ino < 0 {
				return f, false
			}
			e.Ino = uint64(ino)
		}
		if d.lit(`,"ctime":`) {
			if e.Ctime, ok = d.int(); !ok {
				return f, false
			}
		}
		if !d.lit(`,"digest":`) {
			return f, false
		}
		hexSum, ok := d.str()
		if !ok || len(hexSum) != 2*len(e.Digest) {
			return f, false
		}
		if _, err := hex.Decode(e.Digest[:], []byte(hexSum)); err != nil {
			return f, false
		}
		if !d.lit(`}`) {
			return f, false
		}
		f.Files[path] = e
		if d.lit(`,`) {
			continue
		}
		return f, d.lit(`}}`) && d.end()
	}
}

// scanner reads the fixed shape decodeStatCache accepts.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) lit(l string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(l)) {
		return false
	}
	s.i += len(l)
	return true
}

// str reads a JSON string without escapes (a backslash is not accepted).
func (s *scanner) str() (string, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	j := bytes.IndexByte(s.b[s.i+1:], '"')
	if j < 0 {
		return "", false
	}
	v := s.b[s.i+1 : s.i+1+j]
	if bytes.IndexByte(v, '\\') >= 0 {
		return "", false
	}
	for _, c := range v {
		if c < 0x20 {
			return "", false
		}
	}
	s.i += j + 2
	return string(v), true
}

// int reads a JSON integer.
func (s *scanner) int() (int64, bool) {
	j := s.i
	if j < len(s.b) && s.b[j] == '-' {
		j++
	}
	for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(s.b[s.i:j]), 10, 64)
	if err != nil {
		return 0, false
	}
	s.i = j
	return n, true
}

func (s *scanner) end() bool { return s.i == len(s.b) }
