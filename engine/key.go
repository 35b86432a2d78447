package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/sptflow/sptflow/engine/store"
)

// KeySchemaVersion salts every node key. Bump it whenever the description
// hashed by ComputeKey changes shape, so old cache entries are never reused
// under a new meaning.
const KeySchemaVersion = "sptflow-nodekey-2"

// NodeKey identifies one partition's work: the SHA-256 of a versioned,
// canonical description of everything that determines its output (DESIGN §4).
type NodeKey [32]byte

// String returns the key in lowercase hex.
func (k NodeKey) String() string { return hex.EncodeToString(k[:]) }

// Short returns the first 12 hex digits, for display.
func (k NodeKey) Short() string { return k.String()[:12] }

// IsZero reports whether k is the zero key (not computed).
func (k NodeKey) IsZero() bool { return k == NodeKey{} }

// ParseNodeKey parses a 64-digit hex node key.
func ParseNodeKey(s string) (NodeKey, error) {
	var k NodeKey
	if len(s) != 64 {
		return k, fmt.Errorf("parse node key %q: want 64 hex digits", s)
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return k, fmt.Errorf("parse node key %q: %w", s, err)
	}
	return k, nil
}

// Component names used in key descriptions. A component's Name says what it
// is; status --why diffs components by name.
const (
	compSchema   = "schema"
	compKind     = "kind"
	compVersion  = "version"
	compParams   = "params"    // the whole Params when it is not a JSON object
	prefixWith   = "with."     // one top-level Params field
	prefixInput  = "input:"    // one input file, by its portable name (InputFile.Name)
	prefixUpstrm = "upstream:" // one upstream partition's output manifest digest
)

// KeyComponent is one named part of a node key's description.
type KeyComponent struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// KeyDesc is the full description hashed into a node key, in hashing order.
type KeyDesc []KeyComponent

// Key hashes the description: each component as length-prefixed name and
// value, so no two different descriptions share a byte stream.
func (d KeyDesc) Key() NodeKey {
	h := sha256.New()
	var buf [512]byte // strings go through it: io.WriteString would copy each one to the heap
	for _, c := range d {
		for _, s := range [2]string{c.Name, c.Value} {
			binary.BigEndian.PutUint64(buf[:8], uint64(len(s)))
			h.Write(buf[:8])
			for len(s) > 0 {
				n := copy(buf[:], s)
				h.Write(buf[:n])
				s = s[n:]
			}
		}
	}
	var k NodeKey
	h.Sum(k[:0])
	return k
}

// Value returns the value of the named component and whether it exists.
func (d KeyDesc) Value(name string) (string, bool) {
	for _, c := range d {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

// Dump writes every component, one per line, as SPTFLOW_DEBUG=nodekey prints them.
func (d KeyDesc) Dump(w io.Writer, id PartitionID) {
	k := d.Key()
	for _, c := range d {
		fmt.Fprintf(w, "nodekey %s %s: %s = %s\n", id, k.Short(), c.Name, c.Value)
	}
}

// ContentDigest identifies what a sealed output contains: its files' paths
// and digests, not when it was produced. Node keys use it for upstream
// outputs, so an upstream rerun that writes identical bytes leaves its
// dependents' keys unchanged (early cutoff).
func ContentDigest(files []store.ManifestFile) Digest {
	h := sha256.New()
	var line []byte
	for _, f := range files { // as fmt.Fprintf(h, "%q %s %t\n", f.Path, f.Digest, f.External != "") writes it
		line = strconv.AppendQuote(line[:0], f.Path)
		line = append(line, ' ')
		line = hex.AppendEncode(line, f.Digest[:])
		line = append(line, ' ')
		line = strconv.AppendBool(line, f.External != "")
		line = append(line, '\n')
		h.Write(line)
	}
	var d Digest
	h.Sum(d[:0])
	return d
}

// UpstreamDigest is the output of one upstream partition, as keyed.
type UpstreamDigest struct {
	ID     PartitionID
	Digest Digest
}

// Describe builds the key description of a partition: schema version, kind,
// step version, canonical Params (split by top-level field), every input
// file's portable name (see InputFile.Name) and digest, and every upstream partition's
// output content digest (see ContentDigest). Secrets, --jobs, log level and timeouts are never
// part of it: steps must keep them out of Params.
func Describe(kind, version string, params any, inputs []InputFile, ins []InputSpec, ups []UpstreamDigest) (KeyDesc, error) {
	d := KeyDesc{{compSchema, KeySchemaVersion}, {compKind, kind}, {compVersion, version}}
	ps, err := paramComponents(params)
	if err != nil {
		return nil, err
	}
	d = append(d, ps...)
	for _, f := range inputs {
		d = append(d, KeyComponent{prefixInput + inputName(f, ins), f.Digest.String()})
	}
	for _, u := range ups {
		d = append(d, KeyComponent{prefixUpstrm + string(u.ID), u.Digest.String()})
	}
	return d, nil
}

// inputName is the name an input file is keyed by: its portable Name when
// it was matched by MatchInputs, else the InputSpec path joined with the
// matched relative path.
func inputName(f InputFile, ins []InputSpec) string {
	if f.Name != "" {
		return f.Name
	}
	if f.Spec < 0 || f.Spec >= len(ins) {
		return f.Rel
	}
	in := ins[f.Spec]
	if in.Pattern == "" {
		return in.Path
	}
	return in.Path + "/" + f.Rel
}

// paramComponents renders params as canonical JSON (object keys sorted,
// numbers as written), one component per top-level field.
func paramComponents(params any) ([]KeyComponent, error) {
	v, err := canonical(params)
	if err != nil {
		return nil, fmt.Errorf("canonicalize params: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		b, err := marshalCanonical(v)
		return []KeyComponent{{compParams, string(b)}}, err
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]KeyComponent, 0, len(names))
	for _, k := range names {
		b, err := marshalCanonical(obj[k])
		if err != nil {
			return nil, fmt.Errorf("canonicalize param %q: %w", k, err)
		}
		out = append(out, KeyComponent{prefixWith + k, string(b)})
	}
	return out, nil
}

// canonical round-trips v through JSON into maps, slices and json.Numbers.
func canonical(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// marshalCanonical marshals with sorted map keys and no HTML escaping.
func marshalCanonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
