package analyze

import (
	"bytes"
)

// Most of a batch file is intervention records, and the tagger writes
// every one the same way (json.dumps with indent=2, its keys in one
// order). fastInterv reads a record in exactly that layout in one loop:
// each member's key is recognised by comparing its bytes (`"key": `), the
// white space between members by comparing it with the one json.dumps
// writes at the record's depth, and the long texts the analysis does not
// read are skipped with one IndexByte. The scalars the analysis reads are
// decoded as parseInterv decodes them (the same calls), so its result is
// parseInterv's. Anything else (another key, a key out of order or twice,
// other white space, a value of another kind than usual, an error) makes
// it give up, and the record is read again by parseInterv, which gives
// the result or the error exactly as before.

// The members of a record in the tagger's order, each as fastInterv
// expects it: the quoted key and json.dumps' ": ".
var fastRecordKeys = func() [][]byte {
	keys := []string{"thought_process", "intervention_type", "selected_review_focus", "confidence",
		"I", "R", "P", "detection_difficulty_internal", "detection_difficulty_external", "faulty_data",
		"batch_thinking", "stage_3_analysis", "generation_time", "model_used", "review_model_used",
		"num_stage_3_reviews_made", "stage_3_reviews_passed", "stage_3_reviews_all_failed_due_to_overlong_context",
		"tags", "id_numeric", "id_string"}
	q := make([][]byte, len(keys))
	for i, k := range keys {
		q[i] = []byte(`"` + k + `": `)
	}
	return q
}()

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

// layout is the white space json.dumps(indent=2) writes in an object whose
// members are indented by ind spaces.
type layout struct {
	ind        int
	sep        []byte // between members: ",\n" and ind spaces
	close      []byte // before the closing brace: "\n", ind-2 spaces, "}"
	elemSep    []byte // between the elements of an array member: ",\n" and ind+2 spaces
	elemOpen   []byte // before its first element: "[\n" and ind+2 spaces
	elemsClose []byte // after its last element: "\n", ind spaces, "]"
}

func newLayout(ind int) *layout {
	sp := func(n int) string { return string(bytes.Repeat([]byte{' '}, n)) }
	return &layout{
		ind:        ind,
		sep:        []byte(",\n" + sp(ind)),
		close:      []byte("\n" + sp(ind-2) + "}"),
		elemSep:    []byte(",\n" + sp(ind+2)),
		elemOpen:   []byte("[\n" + sp(ind+2)),
		elemsClose: []byte("\n" + sp(ind) + "]"),
	}
}

// layoutAt returns the layout of an object whose first member is
// indented by ind spaces (cached: a file's records all have one).
func (p *parser) layoutAt(ind int) *layout {
	if p.lay == nil || p.lay.ind != ind {
		p.lay = newLayout(ind)
	}
	return p.lay
}

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
	ind := 0
	for j+ind < len(b) && b[j+ind] == ' ' {
		ind++
	}
	if ind < 2 {
		return false
	}
	lay := p.layoutAt(ind)
	j += ind
	next := 0
	for {
		k := matchKey(b[j:], next)
		if k < 0 {
			return false
		}
		next = k + 1
		j += len(fastRecordKeys[k])
		var err error
		switch k {
		case frType:
			r.hasType = true
			s.Seek(j)
			r.itype, err = p.fieldScalar(fType)
		case frSelected:
			s.Seek(j)
			r.selected, err = p.fieldScalar(fSelected)
		case frConf:
			s.Seek(j)
			r.conf, err = p.fieldScalar(fConf)
		case frP:
			s.Seek(j)
			r.p, err = p.fieldScalar(fP)
		case frDDInt:
			s.Seek(j)
			r.ddInt, err = p.fieldScalar(fDDInt)
		case frDDExt:
			s.Seek(j)
			r.ddExt, err = p.fieldScalar(fDDExt)
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
			if j = p.fastTags(b, j, lay, r); j < 0 {
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
		switch k {
		case frType, frSelected, frConf, frP, frDDInt, frDDExt:
			j = s.Offset()
		}
		if hasAt(b, j, lay.sep) {
			j += len(lay.sep)
			continue
		}
		if hasAt(b, j, lay.close) {
			s.Seek(j + len(lay.close))
			return true
		}
		return false
	}
}

// matchKey returns the index, from next on, of the key in fastRecordKeys
// that b starts with, or -1.
func matchKey(b []byte, next int) int {
	if len(b) < 2 || b[0] != '"' {
		return -1
	}
	for k := next; k < len(fastRecordKeys); k++ {
		q := fastRecordKeys[k]
		if q[1] == b[1] && len(b) >= len(q) && string(b[:len(q)]) == string(q) {
			return k
		}
	}
	return -1
}

// hasAt reports whether b holds want at offset j.
func hasAt(b []byte, j int, want []byte) bool {
	return len(b)-j >= len(want) && string(b[j:j+len(want)]) == string(want)
}

// stringEnd returns the offset just after the string token at b[j] (a
// quote, as RawString finds its end: the first quote after it that an
// even number of backslashes precedes), or -1 when b[j] is not a quote or
// the string does not end.
func stringEnd(b []byte, j int) int {
	if j >= len(b) || b[j] != '"' {
		return -1
	}
	e := j + 1
	for {
		k := bytes.IndexByte(b[e:], '"')
		if k < 0 {
			return -1
		}
		e += k
		bs := 0
		for q := e - 1; q > j && b[q] == '\\'; q-- {
			bs++
		}
		e++
		if bs%2 == 0 {
			return e
		}
	}
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
	start := j
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	if j == start {
		return -1
	}
	return j
}

// fastTags reads a record's tag list at b[j] in the tagger's layout (a
// an empty array, or strings one a line) as p.tags would, and returns
// the offset after it, or -1 (the tags read are left in the file's slice
// for fastInterv to drop).
func (p *parser) fastTags(b []byte, j int, lay *layout, r *rawInterv) int {
	if hasAt(b, j, []byte("[]")) {
		r.tags = nil // as p.tags reads an empty list
		return j + 2
	}
	if !hasAt(b, j, lay.elemOpen) {
		return -1
	}
	j += len(lay.elemOpen)
	s := p.s
	start := len(p.f.tags)
	for {
		if j >= len(b) || b[j] != '"' {
			return -1
		}
		s.Seek(j)
		t, err := p.in.str(s)
		if err != nil {
			return -1
		}
		p.f.tags = append(p.f.tags, t)
		j = s.Offset()
		if hasAt(b, j, lay.elemSep) {
			j += len(lay.elemSep)
			continue
		}
		if hasAt(b, j, lay.elemsClose) {
			r.tags = p.f.tags[start:len(p.f.tags):len(p.f.tags)]
			return j + len(lay.elemsClose)
		}
		return -1
	}
}
