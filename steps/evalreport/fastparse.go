package evalreport

import (
	"bytes"

	"github.com/sptflow/sptflow/pyjson/scan"
)

// The fast path of ParseRun. A result file is mostly model output: some
// 90,000 entries of 17 members each, whose long strings are skipped. The
// scanner's per-member cost (a callback, a decoded key, white space and
// separators through its general methods, a string allocated per decoded
// value) is most of the step's CPU time, so result entries get a loop of
// their own that allocates nothing per entry.
//
// The fast path is strict: it takes only what the scanner takes, in the
// same way, and gives up (ok false) at anything else (an escape in a key
// or a decoded value, a malformed document), leaving the file to the
// scanner, which then reports the same result or error as it always did.
// Both check the grammar of the whole document as Python's json.load
// would (scan.NewStrict): the numbers, literals and containers they skip
// too, that nothing but white space follows the top-level value, and the
// UTF-8 of the strings they decode. The contents of the strings they skip
// (nearly all of the bytes) are not checked.
//
// It reads a document held in memory or streams one from a file (see
// stream.go): then it holds a window of the file, and every read that
// reaches the window's end asks for more (more), keeping the bytes from
// the cursor on, so the token being read is always whole in the window.
// Slices into the window are valid until the next read: keys and decoded
// values are used or copied before it.

// fastParser walks one document.
type fastParser struct {
	b   []byte // the bytes held: the whole document, or the window
	i   int    // the cursor in b
	src *source
	// reads counts the reads that moved the window (more), so that a
	// memo is not taken of bytes a read moved.
	reads int
	// keys are the previous entry's member heads in order: each the
	// bytes from the separator before the member ('{' or ',') to its
	// value, white space, quoted key and colon. Entries repeat them, so a
	// head equal to the one at the same position is known (plain, and
	// which member it names) without being scanned.
	keys []memoKey
	// Copies of the current entry's decoded values.
	cond, expected, flag []byte
}

// memoKey is a member's head as written (white space, the quoted key, the
// colon and the white space after it) and the member it names.
type memoKey struct {
	raw    []byte
	member member
}

// member names the entry members that are counted.
type member uint8

const (
	otherMember member = iota
	conditionMember
	expectedMember
	flagMember
	parsedMember
)

func memberOf(key []byte) member {
	switch string(key) {
	case "condition":
		return conditionMember
	case "expected_flag":
		return expectedMember
	case "parsed_flag":
		return flagMember
	case "flag_parsed_successfully":
		return parsedMember
	}
	return otherMember
}

// memberHead consumes the k-th member's head, up to its value, and
// returns the member it names. A head of the same bytes as the previous
// entry's k-th is taken whole: in a document json.dump wrote with an
// indent, that is the line break, the indentation, the key and ": " in one
// comparison.
func (p *fastParser) memberHead(k int) (member, bool) {
	if k < len(p.keys) {
		m := p.keys[k]
		p.ensure(len(m.raw))
		if bytes.HasPrefix(p.b[p.i:], m.raw) {
			p.i += len(m.raw)
			return m.member, true
		}
	}
	start, reads := p.i, p.reads
	if p.peek() != '"' {
		return 0, false
	}
	key, ok := p.plain()
	if !ok {
		return 0, false
	}
	which := memberOf(key) // before colon, which may move the window
	if !p.colon() {
		return 0, false
	}
	if p.reads == reads { // else the head's first bytes were moved out of the window
		m := memoKey{raw: bytes.Clone(p.b[start:p.i]), member: which}
		if k < len(p.keys) {
			p.keys[k] = m
		} else if k == len(p.keys) {
			p.keys = append(p.keys, m)
		}
	}
	return which, true
}

// parseFast parses a document held in memory as parseScan does, or
// returns ok false when parseScan must decide.
func parseFast(name string, data []byte) (*Run, bool) {
	p := &fastParser{b: data}
	return p.run(name)
}

// top names the top-level members that are read.
type top uint8

const (
	otherTop top = iota
	metadataTop
	resultsTop
)

// run parses the document.
func (p *fastParser) run(name string) (*Run, bool) {
	var md metadata
	c := &counter{}
	entries := 0
	if !p.next('{') {
		return nil, false
	}
	if p.peek() == '}' {
		p.i++
		return c.run(name, &md, 0), p.end()
	}
	for {
		key, ok := p.plain()
		if !ok {
			return nil, false
		}
		which := otherTop
		switch string(key) {
		case "metadata":
			which = metadataTop
		case "results":
			which = resultsTop
		}
		if !p.next(':') {
			return nil, false
		}
		switch which {
		case metadataTop:
			raw, ok := p.skipValue()
			if !ok {
				return nil, false
			}
			var err error
			if md, err = decodeMetadata(raw); err != nil {
				return nil, false
			}
		case resultsTop:
			n, ok := p.results(c)
			if !ok {
				return nil, false
			}
			entries += n
		default:
			if _, ok := p.skipValue(); !ok {
				return nil, false
			}
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return c.run(name, &md, entries), p.end()
		default:
			return nil, false
		}
	}
}

// end reports whether nothing but white space follows the cursor, reading
// a streamed document to its end.
func (p *fastParser) end() bool {
	for {
		p.ws()
		if p.i < len(p.b) {
			return false
		}
		if !p.more() {
			return true
		}
	}
}

// more makes more of a streamed document available after the cursor,
// keeping the bytes from the cursor on; false when there is no more.
func (p *fastParser) more() bool {
	if p.src == nil {
		return false
	}
	p.b, p.i = p.src.more(p.b, p.i)
	p.reads++
	return p.src.got > 0
}

// ensure makes n bytes available after the cursor, or as many as are left.
func (p *fastParser) ensure(n int) {
	for len(p.b)-p.i < n && p.more() {
	}
}

// ws skips JSON white space, as the scanner does. The check is inlined,
// the skip is not.
func (p *fastParser) ws() {
	if p.i < len(p.b) && p.b[p.i] <= ' ' {
		p.space()
	}
}

//go:noinline
func (p *fastParser) space() { p.i += scan.SpaceLen(p.b[p.i:]) }

// colon consumes the ':' after a key, at once when it is followed by one
// space (as json.dump writes it; the value's reader skips any more).
func (p *fastParser) colon() bool {
	if p.i+1 < len(p.b) && p.b[p.i] == ':' && p.b[p.i+1] == ' ' {
		p.i += 2
		return true
	}
	return p.next(':')
}

// at returns the byte at the cursor, 0 at the window's end: with a test
// for white space, an inlined peek for the hot paths.
func (p *fastParser) at() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// peek skips white space and returns the next byte, 0 at the end.
func (p *fastParser) peek() byte {
	if c := p.at(); c > ' ' {
		return c
	}
	return p.peekMore()
}

func (p *fastParser) peekMore() byte {
	for {
		p.ws()
		if p.i < len(p.b) {
			return p.b[p.i]
		}
		if !p.more() {
			return 0
		}
	}
}

// next consumes the byte c after white space.
func (p *fastParser) next(c byte) bool {
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// plain consumes a string without escapes or control characters, in
// valid UTF-8, and returns its body (which the scanner decodes to the same
// bytes).
func (p *fastParser) plain() ([]byte, bool) {
	if p.peek() != '"' {
		return nil, false
	}
	for {
		start := p.i + 1
		j := start + scan.PlainLen(p.b[start:])
		if j < len(p.b) {
			if p.b[j] != '"' || scan.CheckUTF8(p.b[start:j]) != nil {
				return nil, false
			}
			p.i = j + 1
			return p.b[start:j], true
		}
		if !p.more() {
			return nil, false
		}
	}
}

// skipString consumes a string, unchecked, as the scanner's RawString,
// and returns where it starts.
func (p *fastParser) skipString() (start int, ok bool) {
	for {
		if j := scan.StringEnd(p.b, p.i); j > 0 {
			start, p.i = p.i, j
			return start, true
		}
		if !p.more() {
			return 0, false
		}
	}
}

// literal consumes a number, true, false or null, up to the next
// delimiter, as the scanner does; it is empty when none is there. Its
// grammar is checked by the caller (skipValue).
func (p *fastParser) literal() []byte {
	for {
		j := p.i
		for j < len(p.b) && !isDelimiter(p.b[j]) {
			j++
		}
		if j == len(p.b) {
			if p.more() {
				continue // the window ended inside it: read it again, whole
			}
			j = len(p.b) // the end of the document (more may have moved it)
		}
		lit := p.b[p.i:j]
		p.i = j
		return lit
	}
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// skipValue consumes any value as the strict scanner's Skip and returns
// its bytes.
func (p *fastParser) skipValue() ([]byte, bool) {
	switch p.peek() {
	case '"':
		start, ok := p.skipString()
		return p.b[start:p.i], ok
	case '{', '[':
		for {
			s := scan.NewStrict(p.b[p.i:])
			if raw, err := s.Skip(); err == nil {
				p.i += s.Offset()
				return raw, true
			}
			// Unterminated in the window, or malformed: the scanner
			// decides once the file is read whole.
			if !p.more() {
				return nil, false
			}
		}
	case 0:
		return nil, false
	}
	lit := p.literal()
	return lit, scan.LiteralValid(lit)
}

// nullableString consumes a plain string or null: a copy of the string
// in *dst, or nil.
func (p *fastParser) nullableString(dst *[]byte) ([]byte, bool) {
	if p.at() == '"' || p.peek() == '"' {
		v, ok := p.plain()
		*dst = append((*dst)[:0], v...)
		return *dst, ok
	}
	lit, ok := p.skipValue()
	return nil, ok && string(lit) == "null"
}

// boolean consumes true, false or null (false).
func (p *fastParser) boolean() (v, ok bool) {
	lit, ok := p.skipValue()
	switch string(lit) {
	case "true":
		return true, ok
	case "false", "null":
		return false, ok
	}
	return false, false
}

// results consumes the results array, counting each entry into c, and
// returns the number of entries.
func (p *fastParser) results(c *counter) (int, bool) {
	if !p.next('[') {
		return 0, false
	}
	if p.peek() == ']' {
		p.i++
		return 0, true
	}
	n := 0
	for {
		if !p.entry(c) {
			return 0, false
		}
		n++
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return n, true
		default:
			return 0, false
		}
	}
}

// entry consumes one result entry and counts it, as Run.addEntry.
func (p *fastParser) entry(c *counter) bool {
	// The values are copied (p.cond...): later reads may move the window.
	var cond, expected, flag []byte
	var parsed bool
	if !p.next('{') {
		return false
	}
	if p.peek() == '}' {
		p.i++
		c.add(cond, expected, flag, parsed)
		return true
	}
	for k := 0; ; k++ {
		m, ok := p.memberHead(k)
		if !ok {
			return false
		}
		switch m {
		case conditionMember:
			cond, ok = p.nullableString(&p.cond)
		case expectedMember:
			expected, ok = p.nullableString(&p.expected)
		case flagMember:
			flag, ok = p.nullableString(&p.flag)
		case parsedMember:
			parsed, ok = p.boolean()
		default:
			ok = p.skipMember()
		}
		if !ok {
			return false
		}
		next := p.at()
		if next <= ' ' {
			next = p.peek()
		}
		switch next {
		case ',':
			p.i++
		case '}':
			p.i++
			c.add(cond, expected, flag, parsed)
			return true
		default:
			return false
		}
	}
}

// skipMember consumes a member's value: strings and literals here, a
// container (none in the published entries) as the scanner does.
func (p *fastParser) skipMember() bool {
	if p.at() == '"' || p.peek() == '"' {
		_, ok := p.skipString()
		return ok
	}
	_, ok := p.skipValue()
	return ok
}

// counter accumulates the entries of one file per condition without
// allocating per entry.
type counter struct {
	conds    []condStat
	mismatch int
}

type condStat struct {
	cond string
	st   Stat
}

// add counts one entry as Run.addEntry does.
func (c *counter) add(cond, expected, flag []byte, parsed bool) {
	want, known := expectedFlags[string(cond)]
	var correct bool
	if known {
		correct = string(flag) == want
		if len(expected) > 0 && string(expected) != want {
			c.mismatch++
		}
	} else {
		correct = bytes.Equal(flag, expected)
	}
	st := c.stat(cond)
	st.Total++
	if parsed {
		st.Parsed++
		if correct {
			st.Correct++
		}
		switch string(flag) {
		case "PASS":
			st.Pass++
		case "FAIL":
			st.Fail++
		}
	}
}

func (c *counter) stat(cond []byte) *Stat {
	for i := range c.conds {
		if c.conds[i].cond == string(cond) {
			return &c.conds[i].st
		}
	}
	c.conds = append(c.conds, condStat{cond: string(cond)})
	return &c.conds[len(c.conds)-1].st
}

// run returns the counted file as a Run.
func (c *counter) run(name string, md *metadata, entries int) *Run {
	r := &Run{File: name, Stats: make(map[string]Stat, len(c.conds)), FlagMismatch: c.mismatch}
	for _, cs := range c.conds {
		r.Stats[cs.cond] = cs.st
	}
	r.applyMetadata(md, entries)
	return r
}
