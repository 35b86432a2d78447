package spt

import (
	"strings"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
)

// Kind is a set of JSON types a field may have.
type Kind uint8

// The JSON types.
const (
	String Kind = 1 << iota
	Number
	Bool
	Null
	Object
	Array

	Text  = String | Null // read as "" (or absent) when null
	Count = Number | Bool // Python compares booleans as 0 and 1
)

var kindNames = []struct {
	k    Kind
	name string
}{{String, "a string"}, {Number, "a number"}, {Bool, "a boolean"}, {Object, "an object"}, {Array, "an array"}, {Null, "null"}}

// String names the kind for messages: "a string or null".
func (k Kind) String() string {
	var names []string
	for _, n := range kindNames {
		if k&n.k != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, " or ")
}

// KindOf returns the kind of a decoded value (as pyjson.Parse returns).
func KindOf(v any) Kind {
	switch v.(type) {
	case string:
		return String
	case pyjson.Number:
		return Number
	case bool:
		return Bool
	case nil:
		return Null
	case *pyjson.Object:
		return Object
	case []any:
		return Array
	}
	return 0
}

// kindOfByte returns the kind of the JSON value starting with c.
func kindOfByte(c byte) Kind {
	switch {
	case c == '"':
		return String
	case c == '{':
		return Object
	case c == '[':
		return Array
	case c == 't' || c == 'f':
		return Bool
	case c == 'n':
		return Null
	case c == '-' || c == 'N' || c == 'I' || c >= '0' && c <= '9':
		return Number
	}
	return 0
}

// Check returns a *pyjson.TypeError unless v has kind k.
func (k Kind) Check(v any) error {
	if KindOf(v)&k != 0 {
		return nil
	}
	return pyjson.WrongType(k.String(), v)
}

// Next checks the kind of the value at the scanner's cursor. A value of
// the wrong kind is consumed and returned as a *pyjson.TypeError; one of
// the right kind, or what is not a JSON value at all (the reader reports
// the syntax error), is left for the caller to read.
func (k Kind) Next(s *scan.Scanner) error {
	if got := kindOfByte(s.Peek()); got&k != 0 || got == 0 {
		return nil
	}
	raw, err := s.Skip()
	if err != nil {
		return err
	}
	return pyjson.WrongTypeRaw(k.String(), raw)
}

// Fields is the kind of each member of an object that a step reads.
// Members not listed are copied or ignored and may hold anything.
type Fields struct {
	kinds map[string]Kind
	lens  uint64 // bit n set: a listed name is n bytes long (n < 64)
}

// NewFields returns the Fields of kinds.
func NewFields(kinds map[string]Kind) *Fields {
	f := &Fields{kinds: kinds}
	for name := range kinds {
		f.lens |= 1 << min(len(name), 63)
	}
	return f
}

// Kind returns the kind of the member key; ok is false when f does not
// list it. Most members are not listed: their length rules them out
// before any hashing.
func (f *Fields) Kind(key string) (k Kind, ok bool) {
	if f.lens&(1<<min(len(key), 63)) == 0 {
		return 0, false
	}
	k, ok = f.kinds[key]
	return k, ok
}

// The data contract of batch files (stages 1-3, tagged or not): the JSON
// types of the members the steps read. Every step checks the members it
// reads against these tables; a member of another type is an error naming
// the file and the JSON path. Null reads as absent where it is allowed.
var (
	// BatchFields are the top-level members.
	BatchFields = NewFields(map[string]Kind{"data": Array | Null, "topic": Text, "batch_id": Text, "simulated": Bool | Null})
	// ItemFields are the members of an element of "data".
	// (thought_process and the rest of metadata are shown as Python's str()
	// shows any value, so they may hold anything.)
	ItemFields = NewFields(map[string]Kind{"T": Text, "A": Text, "B": Text,
		"metadata": Object | Null, "inferences": Object | Null})
	// MetadataFields are the members of an item's "metadata".
	MetadataFields = NewFields(map[string]Kind{"intended_review_focus": Text, "alignment_issue_type": Text, "difficulty": Text})
	// VariantFields are the members of inferences[model].A and .B.
	VariantFields = NewFields(map[string]Kind{"S": Text, "output_tokens": Count, "input_tokens": Count,
		"tags": Array | Null, "interventions": Object, "simulated": Bool | Null})
	// RecordFields are the members of an intervention record.
	RecordFields = NewFields(map[string]Kind{"I": Text, "R": Text, "P": Text, "intervention_type": Text,
		"selected_review_focus": Text, "confidence": Count | Null,
		"detection_difficulty_internal": Text, "detection_difficulty_external": Text,
		"tags": Array | Null, "simulated": Bool | Null})
)

// Field is one member that a Fields lists, for readers that check a
// member they know by name without looking it up per document.
type Field struct {
	Name string
	Kind Kind
}

// Field returns the member name of f. It panics if f does not list it (a
// reader asking for a member outside the contract is a programming error).
func (f *Fields) Field(name string) Field {
	k, ok := f.kinds[name]
	if !ok {
		panic("spt: no field " + name + " in the data contract")
	}
	return Field{Name: name, Kind: k}
}

// Next checks the value at the scanner's cursor, the value of member
// f.Name (see Kind.Next); the error is about .Name.
func (f Field) Next(s *scan.Scanner) error {
	if got := kindOfByte(s.Peek()); got&f.Kind != 0 || got == 0 {
		return nil
	}
	return pyjson.InField(f.Kind.Next(s), f.Name)
}

// Check checks the members of o that f lists.
func (f *Fields) Check(o *pyjson.Object) error {
	for i := range o.Len() {
		key, v := o.At(i)
		if k, ok := f.Kind(key); ok {
			if err := k.Check(v); err != nil {
				return pyjson.InField(err, key)
			}
		}
	}
	return nil
}

// CheckBatch checks a parsed batch file against the data contract: the
// members of the tables above, the items, models, variants and records
// being objects, and tag lists holding strings. Errors are
// *pyjson.PathError ("$.data[3].inferences["m"].B.interventions["k"].P:
// want a string or null, got number 1").
func CheckBatch(doc *pyjson.Object) error {
	if err := BatchFields.Check(doc); err != nil {
		return err
	}
	for i, v := range doc.Arr("data") {
		if err := pyjson.InIndex(checkItem(v), i); err != nil {
			return pyjson.InField(err, "data")
		}
	}
	return nil
}

func checkItem(v any) error {
	item, ok := v.(*pyjson.Object)
	if !ok {
		return Object.Check(v)
	}
	if err := ItemFields.Check(item); err != nil {
		return err
	}
	if meta := item.Obj("metadata"); meta != nil {
		if err := MetadataFields.Check(meta); err != nil {
			return pyjson.InField(err, "metadata")
		}
	}
	inf := item.Obj("inferences")
	if inf == nil {
		return nil
	}
	for i := range inf.Len() {
		name, m := inf.At(i)
		if err := checkModel(m); err != nil {
			return pyjson.InField(pyjson.InKey(err, name), "inferences")
		}
	}
	return nil
}

func checkModel(v any) error {
	m, ok := v.(*pyjson.Object)
	if !ok {
		return Object.Check(v)
	}
	for _, name := range Variants {
		if vv, ok := m.Get(name); ok {
			if err := checkVariant(vv); err != nil {
				return pyjson.InField(err, name)
			}
		}
	}
	return nil
}

func checkVariant(v any) error {
	variant, ok := v.(*pyjson.Object)
	if !ok {
		return Object.Check(v)
	}
	if err := VariantFields.Check(variant); err != nil {
		return err
	}
	if err := pyjson.InField(checkTags(variant.Arr("tags")), "tags"); err != nil {
		return err
	}
	ivs := variant.Obj("interventions")
	if ivs == nil {
		return nil
	}
	for i := range ivs.Len() {
		key, r := ivs.At(i)
		if err := checkRecord(r); err != nil {
			return pyjson.InField(pyjson.InKey(err, key), "interventions")
		}
	}
	return nil
}

func checkRecord(v any) error {
	rec, ok := v.(*pyjson.Object)
	if !ok {
		return Object.Check(v)
	}
	if err := RecordFields.Check(rec); err != nil {
		return err
	}
	return pyjson.InField(checkTags(rec.Arr("tags")), "tags")
}

func checkTags(tags []any) error {
	for i, t := range tags {
		if err := String.Check(t); err != nil {
			return pyjson.InIndex(err, i)
		}
	}
	return nil
}

// Tags reads a tag list at the scanner's cursor: an array of strings, or
// null (none). Another value, or an element that is not a string, is a
// *pyjson.TypeError (with the element's index).
func Tags(s *scan.Scanner) ([]string, error) {
	if err := (Array | Null).Next(s); err != nil || s.Peek() == 'n' {
		if err == nil {
			_, err = s.Skip()
		}
		return nil, err
	}
	var out []string
	err := s.Array(func() error {
		if s.Peek() != '"' {
			return pyjson.InIndex(String.Next(s), len(out))
		}
		t, err := s.Str()
		out = append(out, t)
		return err
	})
	return out, err
}
