package lockyaml

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// decodeCanonical parses b when it is exactly what Encode writes for entries
// that hold only a key, an output and a time (no served models, no usage)
// and no `replicas` section, with names that are plain YAML scalars; ok is
// false for anything else, and Decode then parses with yaml.v3. Every
// no-op run and status decodes the lock file: for the pipelines whose
// entries have that shape (the offline steps') this spares yaml.v3's
// parser. What it returns is what yaml.v3 and checkEntries give for the
// same bytes (fast_test.go checks both ways).
func decodeCanonical(b []byte) (lf *store.LockFile, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte(lockHeader))
	if !ok {
		return nil, false
	}
	p := lineParser{rest: rest}
	v, ok := p.field("", "version")
	n, err := strconv.Atoi(v)
	if !ok || err != nil || strconv.Itoa(n) != v || n < 0 {
		return nil, false
	}
	lf = &store.LockFile{Version: n, Pipelines: map[string]map[string]store.LockEntry{}}
	switch l, _ := p.next(); l {
	case "pipelines: {}":
		return lf, p.end()
	case "pipelines:":
		if p.end() {
			return nil, false // YAML reads a null map
		}
	default:
		return nil, false
	}
	for first := true; !p.end(); first = false {
		if !first && !p.blank() {
			return nil, false
		}
		name, empty, ok := p.key("  ")
		if !ok || lf.Pipelines[name] != nil {
			return nil, false
		}
		parts := map[string]store.LockEntry{}
		lf.Pipelines[name] = parts
		if empty {
			continue
		}
		for firstEntry := true; ; firstEntry = false {
			if !firstEntry && !p.blankBefore("    ") {
				break
			}
			id, empty, ok := p.key("    ")
			if !ok || empty {
				return nil, false
			}
			if _, dup := parts[id]; dup {
				return nil, false
			}
			e, ok := p.entry()
			if !ok {
				return nil, false
			}
			parts[id] = e
		}
	}
	return lf, true
}

// lineParser reads b line by line.
type lineParser struct{ rest []byte }

// next returns the next line without its newline; ok is false at the end
// or for a last line without a newline.
func (p *lineParser) next() (string, bool) {
	i := bytes.IndexByte(p.rest, '\n')
	if i < 0 {
		return "", false
	}
	l := string(p.rest[:i])
	p.rest = p.rest[i+1:]
	return l, true
}

func (p *lineParser) end() bool { return len(p.rest) == 0 }

// blank consumes an empty line.
func (p *lineParser) blank() bool {
	if len(p.rest) > 0 && p.rest[0] == '\n' {
		p.rest = p.rest[1:]
		return true
	}
	return false
}

// blankBefore consumes an empty line when the line after it starts with
// indent followed by a name (not more indentation).
func (p *lineParser) blankBefore(indent string) bool {
	if len(p.rest) < len(indent)+2 || p.rest[0] != '\n' || !bytes.HasPrefix(p.rest[1:], []byte(indent)) ||
		p.rest[1+len(indent)] == ' ' {
		return false
	}
	p.rest = p.rest[1:]
	return true
}

// field reads the line `indent + name + ": " + value`.
func (p *lineParser) field(indent, name string) (string, bool) {
	l, ok := p.next()
	if !ok {
		return "", false
	}
	return strings.CutPrefix(l, indent+name+": ")
}

// key reads the line `indent + key + ":"` (or `: {}`, empty) of a plain key.
func (p *lineParser) key(indent string) (key string, empty, ok bool) {
	l, ok := p.next()
	if !ok {
		return "", false, false
	}
	l, ok = strings.CutPrefix(l, indent)
	if !ok {
		return "", false, false
	}
	if k, found := strings.CutSuffix(l, ": {}"); found {
		return k, true, plainKey(k)
	}
	k, found := strings.CutSuffix(l, ":")
	return k, false, found && plainKey(k)
}

// entry reads the key, output and produced lines of one partition.
func (p *lineParser) entry() (store.LockEntry, bool) {
	const indent = "      "
	key, ok1 := p.field(indent, "key")
	out, ok2 := p.field(indent, "output")
	ts, ok3 := p.field(indent, "produced")
	if !ok1 || !ok2 || !ok3 || !plainHex(key) || !plainHex(out) || !utcTimestamp(ts) {
		return store.LockEntry{}, false
	}
	t, err := time.Parse("2006-1-2T15:4:5.999999999Z07:00", ts) // yaml.v3's first timestamp format
	if err != nil || t.IsZero() {
		return store.LockEntry{}, false
	}
	return store.LockEntry{Key: key, Output: out, Produced: t}, true
}

// plainKey reports whether s is a name YAML reads as that very string
// when written plain: a letter or '_' first, then letters, digits and
// _ @ . = , - only, and none of YAML's words for booleans and null.
func plainKey(s string) bool {
	if s == "" || !(s[0] == '_' || 'a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_@.=,-", c) >= 0) {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
		return false
	}
	return true
}

// plainHex reports whether s is a 64-digit lowercase hex digest that YAML
// reads as a string (not all digits, not digits around one 'e', which
// would be numbers).
func plainHex(s string) bool {
	if len(s) != 64 {
		return false
	}
	letters, es := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
		case 'a' <= c && c <= 'f':
			letters++
			if c == 'e' {
				es++
			}
		default:
			return false
		}
	}
	return letters > 0 && !(letters == 1 && es == 1)
}

// utcTimestamp reports whether s is YYYY-MM-DDTHH:MM:SS[.digits]Z.
func utcTimestamp(s string) bool {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout)+1 || s[len(s)-1] != 'Z' {
		return false
	}
	for i := 0; i < len(layout); i++ {
		if c := s[i]; layout[i] == 'd' && (c < '0' || c > '9') || layout[i] != 'd' && c != layout[i] {
			return false
		}
	}
	frac := s[len(layout) : len(s)-1]
	if frac == "" {
		return true
	}
	if frac[0] != '.' || len(frac) == 1 {
		return false
	}
	for i := 1; i < len(frac); i++ {
		if frac[i] < '0' || frac[i] > '9' {
			return false
		}
	}
	return true
}
