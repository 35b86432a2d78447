package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/sptflow/sptflow/regfile"
)

// maxExpand bounds how many YAML nodes one Load may visit while following
// aliases, so an alias bomb is an error instead of an out-of-memory crash.
const maxExpand = 1 << 18

// entry is one key/value pair of a YAML mapping.
type entry struct {
	Name     string
	Key, Val *yaml.Node
}

// yamlErrRE matches yaml.v3's syntax errors, which carry a line but no column.
var yamlErrRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// parseFile reads and parses one pipeline file and returns its top-level
// mapping, having recorded every node's file in l.file. Problems are
// reported at from (the `extends` value naming the file) when the file
// cannot be read, and inside the file otherwise.
func (l *loader) parseFile(display string, from Pos) *yaml.Node {
	b, err := regfile.Read(display, regfile.MaxPipeline)
	if err != nil {
		l.probs.add(from, "read pipeline: %v", err)
		return nil
	}
	l.src[display] = strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	doc, err := decodeOne(protectRefs(b))
	if err != nil {
		l.yamlError(display, err)
		return nil
	}
	l.record(doc, display)
	l.checkKeys(doc)
	top := resolve(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		l.errorf(top, "pipeline file must be a mapping, got %s", describe(top))
		return nil
	}
	return top
}

// decodeOne parses exactly one YAML document. yaml.v3 has panicked on
// hostile input in the past, so a panic is turned into an error.
func decodeOne(b []byte) (doc *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("yaml: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	doc = new(yaml.Node)
	if err := dec.Decode(doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("yaml: the file is empty")
		}
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("yaml: the file is empty")
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
		return doc, nil
	case err != nil:
		return nil, err
	default:
		return nil, fmt.Errorf("yaml: line %d: a pipeline file holds one YAML document", next.Line)
	}
}

// parserErrors are the yaml.v3 parser (not scanner) errors; yaml.v3
// reports their line 0-based (decode.go, parser.fail).
var parserErrors = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
	"did not find expected <document start>": true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"did not find expected <stream-start>":   true,
}

// yamlError reports a yaml.v3 error at the line it names.
func (l *loader) yamlError(display string, err error) {
	msg := err.Error()
	if m := yamlErrRE().FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if parserErrors[m[2]] {
			line++
		}
		l.probs.add(Pos{File: display, Line: line}, "yaml: %s", m[2])
		return
	}
	l.probs.add(Pos{File: display}, "%s", msg)
}

// record remembers which file every node of a parsed document came from.
// It also restores the `${...}` references protectRefs hid.
func (l *loader) record(n *yaml.Node, file string) {
	l.file[n] = file
	n.Value = restoreRefs(n.Value)
	for _, c := range n.Content {
		l.record(c, file)
	}
}

// checkKeys reports duplicate and merge (<<) keys anywhere in a document:
// yaml.v3 only checks them when decoding into Go values.
func (l *loader) checkKeys(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		first := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Tag == "!!merge" {
				l.errorf(k, "merge keys (<<) are not supported; use extends")
				continue
			}
			if prev, ok := first[k.Value]; ok && k.Kind == yaml.ScalarNode {
				l.errorf(k, "duplicate key %q (first at %d:%d)", k.Value, prev.Line, prev.Column)
				continue
			}
			first[k.Value] = k
		}
	}
	for _, c := range n.Content {
		l.checkKeys(c)
	}
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// pos returns the position of n in the file that wrote it.
func (l *loader) pos(n *yaml.Node) Pos {
	return Pos{File: l.file[n], Line: n.Line, Col: n.Column}
}

func (l *loader) errorf(n *yaml.Node, format string, args ...any) {
	l.probs.add(l.pos(n), format, args...)
}

// entries returns the pairs of a mapping node. A null value is an empty
// mapping; anything else is reported as a type error naming what.
func (l *loader) entries(n *yaml.Node, what string) ([]entry, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		l.errorf(n, "%s: expected a mapping, got %s", what, describe(n))
		return nil, false
	}
	out := make([]entry, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			l.errorf(k, "%s: keys must be scalars, got %s", what, describe(k))
			continue
		}
		out = append(out, entry{Name: k.Value, Key: n.Content[i], Val: n.Content[i+1]})
	}
	return out, true
}

// str returns the value of a string scalar, reporting other types.
func (l *loader) str(n *yaml.Node, what string) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		l.errorf(n, "%s: expected a string, got %s", what, describe(n))
		return "", false
	}
	return n.Value, true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names a node's type for messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null"
		}
		return "a " + n.ShortTag() + " value"
	}
	return "an alias"
}
