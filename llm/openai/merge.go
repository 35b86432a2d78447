package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// mergeObject returns the JSON object raw with fields set (replacing
// members of the same name), top-level members sorted by key: the bytes
// json.Marshal of a map[string]json.RawMessage would give. Compact
// objects with plain keys (go-openai's) are merged by splicing, without
// decoding and re-encoding every value; anything else takes the slow path.
func mergeObject(raw []byte, fields map[string]any) ([]byte, error) {
	members, ok := splitObject(raw)
	if !ok {
		return mergeObjectSlow(raw, fields)
	}
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		kb, _ := json.Marshal(k)
		members[k] = member{key: kb, value: b}
	}
	keys := make([]string, 0, len(members))
	n := 2
	for k, m := range members {
		keys = append(keys, k)
		n += len(m.key) + len(m.value) + 2
	}
	slices.Sort(keys)
	out := make([]byte, 0, n)
	out = append(out, '{')
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(append(append(out, members[k].key...), ':'), members[k].value...)
	}
	return append(out, '}'), nil
}

func mergeObjectSlow(raw []byte, fields map[string]any) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		obj[k] = b
	}
	return json.Marshal(obj)
}

// member is one top-level member of an object: its quoted key and its
// value, as bytes.
type member struct{ key, value []byte }

// splitObject splits a compact JSON object whose keys have no escapes
// into its members by key. ok is false for anything else (whitespace,
// escaped keys, invalid JSON, duplicate keys, and characters json.Marshal
// would escape or replace: <, >, &, U+2028, U+2029, invalid UTF-8).
func splitObject(b []byte) (map[string]member, bool) {
	if len(b) < 2 || b[0] != '{' || bytes.ContainsAny(b, "<>&\u2028\u2029") || !utf8.Valid(b) {
		return nil, false
	}
	members := map[string]member{}
	if string(b) == "{}" {
		return members, true
	}
	for i := 1; ; {
		end, ok := skipString(b, i)
		if !ok || end >= len(b) || b[end] != ':' || bytes.IndexByte(b[i:end], '\\') >= 0 {
			return nil, false
		}
		key := b[i:end]
		vend, ok := skipValue(b, end+1)
		if !ok || vend == end+1 {
			return nil, false
		}
		k := string(key[1 : len(key)-1])
		if _, dup := members[k]; dup {
			return nil, false
		}
		members[k] = member{key: key, value: b[end+1 : vend]}
		switch {
		case vend == len(b)-1 && b[vend] == '}':
			return members, json.Valid(b)
		case vend < len(b) && b[vend] == ',':
			i = vend + 1
		default:
			return nil, false
		}
	}
}

// skipString returns the index just past the JSON string starting at
// b[i] (a quote).
func skipString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// skipValue returns the index just past the compact JSON value starting
// at b[i]: where a ',' or the closing '}' of the enclosing object is.
func skipValue(b []byte, i int) (int, bool) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			end, ok := skipString(b, j)
			if !ok {
				return 0, false
			}
			j = end - 1
		case ' ', '\t', '\n', '\r':
			return 0, false // not compact
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j, true
			}
			depth--
		case ',':
			if depth == 0 {
				return j, true
			}
		}
	}
	return 0, false
}
