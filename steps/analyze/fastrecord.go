package analyze

import (
	"encoding/binary"

	"github.com/sptflow/sptflow/pyjson/scan"
	"github.com/sptflow/sptflow/steps/spt"
)

// Most of a batch file is intervention records, and the tagger writes
// every one the same way (json.dumps with indent=2, its keys in one
// order). fastInterv reads a record in exactly that layout in one loop:
// each member's key is recognised by comparing its bytes (`"key": `), the
// white space between members by comparing it with the one json.dumps
// writes at the record's depth, and the long texts the analysis does not
// read are skipped with one IndexByte. The scalars the analysis reads are
// decoded as parseInterv decodes them (the same calls), or taken from the
// worker's slot for a token it has decoded before, so its result is
// parseInterv's. Anything else (another key, a key out of order or twice,
// other white space, a value of another kind than usual, an error) makes
// it give up, and the record is read again by parseInterv, which gives
// the result or the error exactly as before. fastInterventions reads a
// variant's whole interventions object (names and records) so, or gives
// the object back to parseVariant's loop. Tests and fuzzers
// (fastrecord_test.go) compare the two ways on records and whole files.

// The members of a record in the tagger's order, each as fastInterv
// expects it: the quoted key and json.dumps' ": ".
var fastRecordKeys = func() []fastKey {
	keys := []string{"thought_process", "intervention_type", "selected_review_focus", "confidence",
		"I", "R", "P", "detection_difficulty_internal", "detection_difficulty_external", "faulty_data",
		"batch_thinking", "stage_3_analysis", "generation_time", "model_used", "review_model_used",
		"num_stage_3_reviews_made", "stage_3_reviews_passed", "stage_3_reviews_all_failed_due_to_overlong_context",
		"tags", "id_numeric", "id_string"}
	q := make([]fastKey, len(keys))
	for i, k := range keys {
		q[i] = newFastKey(`"` + k + `": `)
	}
	return q
}()

// fastKey is a member's key as fastInterv compares it: its first 8 bytes
// as one word (masked when shorter), then the rest.
type fastKey struct {
	tok        string
	word, mask uint64
	rest       string
}

func newFastKey(tok string) fastKey {
	var w [8]byte
	n := copy(w[:], tok)
	k := fastKey{tok: tok, word: binary.LittleEndian.Uint64(w[:]), rest: tok[n:]}
	k.mask = ^uint64(0)
	if n < 8 {
		k.mask = 1<<(8*n) - 1
	}
	return k
}

// The indexes in fastRecordKeys of the members the analysis reads.
const (
	frType     = 1
	frSelected = 2
	frConf     = 3
	frI        = 4
	frR        = 5
	frP        = 6
	frDDInt    = 7
	frDDExt    = 8
	frTags     = 18
)

// The white space json.dumps(indent=2) writes in a record whose members
// are indented by ind spaces: ",\n" and ind spaces between members; "\n",
// ind-2 spaces and "}" before the closing brace. A tag list's elements
// are indented by ind+2 spaces, its closing bracket by ind.

// fastInterv reads the record at the cursor into r as parseInterv would,
// if it is in the tagger's layout; otherwise it reports false and leaves
// r, the file's tags and the cursor as they were.
func (p *parser) fastInterv(r *rawInterv) bool {
	if p.slow {
		return false
	}
	s := p.s
	b := s.Data()
	start := s.Offset()
	tags0 := len(p.f.tags)
	if !p.fastIntervAt(b, start, r) {
		*r = rawInterv{key: r.key}
		p.f.tags = p.f.tags[:tags0]
		s.Seek(start)
		return false
	}
	return true
}

func (p *parser) fastIntervAt(b []byte, j int, r *rawInterv) bool {
	s := p.s
	if j+2 >= len(b) || b[j] != '{' || b[j+1] != '\n' {
		return false
	}
	j += 2
	ind := p.ind
	if !spacesAt(b, j, ind) || j+ind >= len(b) || b[j+ind] == ' ' {
		ind = 0
		for j+ind < len(b) && b[j+ind] == ' ' {
			ind++
		}
		if ind < 2 {
			return false
		}
		p.ind = ind
	}
	j += ind
	next := 0
	for {
		k := matchKey(b, j, next)
		if k < 0 {
			return false
		}
		next = k + 1
		j += len(fastRecordKeys[k].tok)
		var err error
		switch k {
		case frType, frSelected, frConf, frP, frDDInt, frDDExt:
			v, end := p.seenScalar(b, j, k == frConf)
			if end < 0 {
				s.Seek(j)
				v, err = p.fieldScalar(fastRecordFields[k])
				end = s.Offset()
			}
			j = end
			switch k {
			case frType:
				r.hasType = true
				r.itype = v
			case frSelected:
				r.selected = v
			case frConf:
				r.conf = v
			case frP:
				r.p = v
			case frDDInt:
				r.ddInt = v
			case frDDExt:
				r.ddExt = v
			}
		case frI, frR:
			end := stringEnd(b, j)
			if end < 0 {
				return false
			}
			if k == frI {
				r.i = b[j:end]
			} else {
				r.r = b[j:end]
			}
			j = end
		case frTags:
			if j = p.fastTags(b, j, ind, r); j < 0 {
				return false
			}
		default:
			if j = skipPlain(b, j); j < 0 {
				return false
			}
		}
		if err != nil {
			return false
		}
		if sepAt(b, j, ind) {
			j += 2 + ind
			continue
		}
		if closeAt(b, j, ind-2, '}') {
			s.Seek(j + ind)
			return true
		}
		return false
	}
}

// fastRecordFields are the members fastInterv decodes, by their index in
// fastRecordKeys.
var fastRecordFields = [...]spt.Field{frType: fType, frSelected: fSelected, frConf: fConf,
	frP: fP, frDDInt: fDDInt, frDDExt: fDDExt}

// seenScalar returns the value of the token at b[j] and the offset after
// it if this worker has decoded the same token before (localIntern's
// slots): a string for a Text member, a number for confidence (number).
// Such a token is valid and of the member's kind, so fieldScalar would
// return the same box. end is -1 otherwise.
func (p *parser) seenScalar(b []byte, j int, number bool) (v any, end int) {
	if j >= len(b) {
		return nil, -1
	}
	if number {
		if b[j] < '0' || b[j] > '9' {
			return nil, -1
		}
		end = literalEnd(b, j)
	} else {
		end = stringEnd(b, j)
	}
	if end < 0 {
		return nil, -1
	}
	slot := &p.in.slots[slotOf(b[j:end])]
	if slot.tok != string(b[j:end]) {
		return nil, -1
	}
	return slot.v, end
}

// matchKey returns the index, from next on, of the key in fastRecordKeys
// that b[j:] starts with, or -1.
func matchKey(b []byte, j, next int) int {
	if len(b)-j < 8 {
		for k := next; k < len(fastRecordKeys); k++ {
			if hasAt(b, j, fastRecordKeys[k].tok) {
				return k
			}
		}
		return -1
	}
	x := binary.LittleEndian.Uint64(b[j:])
	for k := next; k < len(fastRecordKeys); k++ {
		q := &fastRecordKeys[k]
		if x&q.mask == q.word && (len(q.rest) == 0 || hasAt(b, j+8, q.rest)) {
			return k
		}
	}
	return -1
}

// hasAt reports whether b holds want at offset j.
func hasAt(b []byte, j int, want string) bool {
	return len(b)-j >= len(want) && string(b[j:j+len(want)]) == want
}

// spacesAt reports whether b holds n spaces at offset j, comparing 8
// bytes at a time.
func spacesAt(b []byte, j, n int) bool {
	const spaces8 = 0x2020202020202020
	if len(b)-j < n {
		return false
	}
	for ; n >= 8; n -= 8 {
		if binary.LittleEndian.Uint64(b[j:]) != spaces8 {
			return false
		}
		j += 8
	}
	for ; n > 0; n-- {
		if b[j] != ' ' {
			return false
		}
		j++
	}
	return true
}

// sepAt reports whether b holds ",\n" and ind spaces at j.
func sepAt(b []byte, j, ind int) bool {
	return len(b)-j >= 2 && b[j] == ',' && b[j+1] == '\n' && spacesAt(b, j+2, ind)
}

// closeAt reports whether b holds "\n", ind spaces and c at j.
func closeAt(b []byte, j, ind int, c byte) bool {
	return len(b)-j >= ind+2 && b[j] == '\n' && b[j+1+ind] == c && spacesAt(b, j+1, ind)
}

// stringEnd returns the offset just after the string token at b[j] (a
// quote, as RawString finds its end: the first quote after it that an
// even number of backslashes precedes), or -1 when b[j] is not a quote or
// the string does not end.
func stringEnd(b []byte, j int) int {
	if j >= len(b) || b[j] != '"' {
		return -1
	}
	if e := scan.StringEnd(b, j); e > 0 {
		return e
	}
	return -1
}

// skipPlain skips the value at b[j] as Skip would if it is a string or a
// number or literal (up to the next delimiter, unchecked, as Skip does);
// it returns -1 for a container or anything else.
func skipPlain(b []byte, j int) int {
	if j >= len(b) {
		return -1
	}
	switch c := b[j]; {
	case c == '"':
		return stringEnd(b, j)
	case c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
	default:
		return -1
	}
	return literalEnd(b, j)
}

// literalEnd returns the offset of the first delimiter at or after j
// (where Skip ends a number or literal), or len(b).
func literalEnd(b []byte, j int) int {
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

// fastTags reads a record's tag list at b[j] in the tagger's layout (a
// an empty array, or strings one a line) as p.tags would, and returns
// the offset after it, or -1 (the tags read are left in the file's slice
// for fastInterv to drop).
func (p *parser) fastTags(b []byte, j, ind int, r *rawInterv) int {
	if hasAt(b, j, "[]") {
		r.tags = nil // as p.tags reads an empty list
		return j + 2
	}
	if len(b)-j < 2 || b[j] != '[' || !closeAt(b, j+1, ind+2, '"') {
		return -1
	}
	j += 3 + ind + 2 - 1 // at the quote
	s := p.s
	start := len(p.f.tags)
	for {
		end := stringEnd(b, j)
		if end < 0 {
			return -1
		}
		var t string
		if slot := &p.in.slots[slotOf(b[j:end])]; slot.tok == string(b[j:end]) {
			t = slot.v.(string) // a string token's slot holds its string (boxedStr)
		} else {
			s.Seek(j)
			var err error
			if t, err = p.in.str(s); err != nil {
				return -1
			}
			end = s.Offset()
		}
		p.f.tags = append(p.f.tags, t)
		j = end
		if sepAt(b, j, ind+2) {
			j += 2 + ind + 2
			continue
		}
		if closeAt(b, j, ind, ']') {
			r.tags = p.f.tags[start:len(p.f.tags):len(p.f.tags)]
			return j + ind + 2
		}
		return -1
	}
}

// fastInterventions reads a variant's interventions object at the cursor
// (each record name, then its record) as parseVariant's loop would, if it
// and all its records are in the tagger's layout (the names indented by
// the same number of spaces, on lines of their own, without escapes or
// control characters); otherwise it reports false and leaves the file's
// records and tags and the cursor as they were, for that loop.
func (p *parser) fastInterventions() bool {
	if p.slow {
		return false
	}
	s := p.s
	start := s.Offset()
	n0, tags0 := len(p.f.intervs), len(p.f.tags)
	if p.fastInterventionsAt(s.Data(), start) {
		return true
	}
	clear(p.f.intervs[n0:])
	p.f.intervs, p.f.tags = p.f.intervs[:n0], p.f.tags[:tags0]
	s.Seek(start)
	return false
}

func (p *parser) fastInterventionsAt(b []byte, j int) bool {
	s := p.s
	if j+2 >= len(b) || b[j] != '{' || b[j+1] != '\n' {
		return false
	}
	j += 2
	ind := 0
	for j+ind < len(b) && b[j+ind] == ' ' {
		ind++
	}
	if ind < 2 {
		return false
	}
	j += ind
	for {
		end := stringEnd(b, j)
		if end < 0 || !plainKey(b[j+1:end-1]) || !hasAt(b, end, ": ") {
			return false
		}
		p.f.intervs = append(p.f.intervs, rawInterv{key: p.in.key(b[j+1 : end-1])})
		if !p.fastIntervAt(b, end+2, &p.f.intervs[len(p.f.intervs)-1]) {
			return false
		}
		j = s.Offset()
		if sepAt(b, j, ind) {
			j += 2 + ind
			continue
		}
		if closeAt(b, j, ind-2, '}') {
			s.Seek(j + ind)
			return true
		}
		return false
	}
}

// plainKey reports whether a key's bytes (between its quotes) are the key
// itself as the scanner reads it: no escape and no control character.
func plainKey(k []byte) bool {
	for _, c := range k {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return true
}
