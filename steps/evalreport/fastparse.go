package evalreport

import (
	"bytes"
	"encoding/json"

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
// or a decoded value, a nested container in an entry, a malformed
// document), leaving the file to the scanner, which then reports the same
// result or error as it always did.

// fastParser walks one document held in memory.
type fastParser struct {
	b []byte
	i int
	// keys are the previous entry's member keys in order, each with its
	// closing quote: entries repeat them, so a key equal to the one at the
	// same position is known (plain, and which member it is) without
	// being scanned.
	keys []memoKey
}

// memoKey is a plain key as written, closing quote included, and the
// member it names.
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

// memberKey consumes the k-th member key of an entry and returns the
// member it names.
func (p *fastParser) memberKey(k int) (member, bool) {
	if p.peek() != '"' {
		return 0, false
	}
	if k < len(p.keys) {
		if m := p.keys[k]; bytes.HasPrefix(p.b[p.i+1:], m.raw) {
			p.i += 1 + len(m.raw)
			return m.member, true
		}
	}
	key, ok := p.plain()
	if !ok {
		return 0, false
	}
	m := memoKey{raw: p.b[p.i-len(key)-1 : p.i], member: memberOf(key)}
	if k < len(p.keys) {
		p.keys[k] = m
	} else if k == len(p.keys) {
		p.keys = append(p.keys, m)
	}
	return m.member, true
}

// parseFast parses a result file as parseScan does, or returns ok false
// when parseScan must decide.
func parseFast(name string, data []byte) (*Run, bool) {
	p := &fastParser{b: data}
	var md metadata
	c := &counter{}
	entries := 0
	if !p.next('{') {
		return nil, false
	}
	if p.peek() == '}' {
		return c.run(name, &md, 0), true
	}
	for {
		key, ok := p.key()
		if !ok || !p.next(':') {
			return nil, false
		}
		switch string(key) {
		case "metadata":
			raw, ok := p.skipValue()
			if !ok || json.Unmarshal(raw, &md) != nil {
				return nil, false
			}
		case "results":
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
			return c.run(name, &md, entries), true
		default:
			return nil, false
		}
	}
}

// ws skips JSON white space, as the scanner does. The check is inlined,
// the skip is not.
func (p *fastParser) ws() {
	if p.i < len(p.b) && p.b[p.i] <= ' ' {
		p.space()
	}
}

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

// peek skips white space and returns the next byte, 0 at the end.
func (p *fastParser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// next consumes the byte c after white space.
func (p *fastParser) next(c byte) bool {
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// plain consumes a string without escapes or control characters and
// returns its body (which the scanner decodes to the same bytes).
func (p *fastParser) plain() ([]byte, bool) {
	if p.peek() != '"' {
		return nil, false
	}
	start := p.i + 1
	j := start + scan.PlainLen(p.b[start:])
	if j >= len(p.b) || p.b[j] != '"' {
		return nil, false
	}
	p.i = j + 1
	return p.b[start:j], true
}

// key consumes an object key: plain only.
func (p *fastParser) key() ([]byte, bool) { return p.plain() }

// skipString consumes a string, unchecked, as the scanner's RawString.
func (p *fastParser) skipString() bool {
	start := p.i
	j := p.i + 1
	for {
		k := bytes.IndexByte(p.b[j:], '"')
		if k < 0 {
			return false
		}
		j += k
		bs := 0
		for q := j - 1; q > start && p.b[q] == '\\'; q-- {
			bs++
		}
		j++
		if bs%2 == 0 {
			p.i = j
			return true
		}
	}
}

// literal consumes a number, true, false or null, unchecked, up to the
// next delimiter, as the scanner does; it is empty when none is there.
func (p *fastParser) literal() []byte {
	start := p.i
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return p.b[start:p.i]
		}
		p.i++
	}
	return p.b[start:p.i]
}

// skipValue consumes any value as the scanner's Skip and returns its bytes.
func (p *fastParser) skipValue() ([]byte, bool) {
	switch p.peek() {
	case '"':
		start := p.i
		ok := p.skipString()
		return p.b[start:p.i], ok
	case '{', '[':
		s := scan.New(p.b[p.i:])
		raw, err := s.Skip()
		if err != nil {
			return nil, false
		}
		p.i += s.Offset()
		return raw, true
	case 0:
		return nil, false
	}
	lit := p.literal()
	return lit, len(lit) > 0
}

// nullableString consumes a plain string or null ("" for null).
func (p *fastParser) nullableString() ([]byte, bool) {
	if p.peek() == '"' {
		return p.plain()
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
		m, ok := p.memberKey(k)
		if !ok || !p.colon() {
			return false
		}
		switch m {
		case conditionMember:
			cond, ok = p.nullableString()
		case expectedMember:
			expected, ok = p.nullableString()
		case flagMember:
			flag, ok = p.nullableString()
		case parsedMember:
			parsed, ok = p.boolean()
		default:
			ok = p.skipMember()
		}
		if !ok {
			return false
		}
		switch p.peek() {
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
// container (none in the published entries) by the scanner.
func (p *fastParser) skipMember() bool {
	if p.peek() == '"' {
		return p.skipString()
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
