package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine/store"
)

// Side is one partition as one side of a diff (`sptflow diff`) sees it:
// the partition of a pipeline now, or an entry of a lock file.
type Side struct {
	ID   PartitionID `json:"id"`
	Kind string      `json:"kind,omitempty"`
	// Key is the node key in hex; "" when it cannot be computed yet (an
	// upstream has no output for its current key).
	Key string `json:"key,omitempty"`
	// Desc is the key's description; nil when the store does not hold it.
	// When Key is "", it holds the partition's own components only
	// (parameters, step version, input files; no upstream outputs).
	Desc KeyDesc `json:"-"`
	// Output is the sealed output's manifest digest in hex, "" when there
	// is none; Manifest is that manifest when the store holds it.
	Output   string          `json:"output,omitempty"`
	Manifest *store.Manifest `json:"-"`
	// Note says why the key, its components or the output are unknown.
	Note         string         `json:"note,omitempty"`
	Usage        map[string]any `json:"usage,omitempty"`
	ServedModels []string       `json:"served_models,omitempty"`
	// inputs are the partition's input files as matched in this project,
	// where referenced (load) outputs are found; nil for a lock-file side.
	inputs []InputFile
}

// DiffState is how a partition compares between two sides.
type DiffState string

// Diff states.
const (
	DiffSame      DiffState = "same"      // same node key (hence same output)
	DiffChanged   DiffState = "changed"   // both sides have it under different keys
	DiffOnlyA     DiffState = "only-a"    // only the first side has it
	DiffOnlyB     DiffState = "only-b"    // only the second side has it
	DiffUnknown   DiffState = "unknown"   // a side's key cannot be computed
	DiffSameBytes DiffState = "same-data" // different keys, identical output content
)

// PartitionDiff compares one partition ID across two sides.
type PartitionDiff struct {
	ID    PartitionID `json:"id"`
	State DiffState   `json:"state"`
	A     *Side       `json:"a,omitempty"`
	B     *Side       `json:"b,omitempty"`
	// Changes are the key components that differ, when both keys'
	// components are known.
	Changes []Change `json:"changes,omitempty"`
	// Why, in words: the changes, or why they cannot be named.
	Why []string `json:"why,omitempty"`
}

// DiffSides matches the partitions of a and b by ID and compares their node
// keys, naming the key components that differ where both descriptions are
// known. The result is in the order of a, then partitions only b has.
func DiffSides(a, b []Side) []PartitionDiff {
	inB := make(map[PartitionID]int, len(b))
	for i, s := range b {
		inB[s.ID] = i
	}
	seen := map[PartitionID]bool{}
	var out []PartitionDiff
	for i := range a {
		seen[a[i].ID] = true
		j, ok := inB[a[i].ID]
		if !ok {
			out = append(out, PartitionDiff{ID: a[i].ID, State: DiffOnlyA, A: &a[i], Why: []string{"only in A"}})
			continue
		}
		out = append(out, diffPair(&a[i], &b[j]))
	}
	for i := range b {
		if !seen[b[i].ID] {
			out = append(out, PartitionDiff{ID: b[i].ID, State: DiffOnlyB, B: &b[i], Why: []string{"only in B"}})
		}
	}
	return out
}

func diffPair(a, b *Side) PartitionDiff {
	d := PartitionDiff{ID: a.ID, A: a, B: b}
	switch {
	case a.Key == "" || b.Key == "":
		return diffUnkeyed(d)
	case a.Key == b.Key:
		d.State = DiffSame
		return d
	}
	d.State = DiffChanged
	if sameContent(a, b) {
		d.State = DiffSameBytes
	}
	if a.Desc == nil || b.Desc == nil {
		which := "A's key"
		switch {
		case a.Desc == nil && b.Desc == nil:
			which = "both keys"
		case b.Desc == nil:
			which = "B's key"
		}
		d.Why = []string{fmt.Sprintf("node key changed (%s → %s); the components of %s are not in the store, so what changed cannot be named",
			short(a.Key), short(b.Key), which)}
		return d
	}
	d.Changes = Diff(a.Desc, b.Desc)
	for _, c := range d.Changes {
		d.Why = append(d.Why, c.Details()...)
	}
	return d
}

// diffUnkeyed compares a partition whose key is not known on one side (an
// upstream has no output yet): its own components (parameters, step
// version, input files) can still differ, which makes it changed whatever
// the upstream will produce.
func diffUnkeyed(d PartitionDiff) PartitionDiff {
	a, b := d.A, d.B
	d.State = DiffUnknown
	if a.Desc != nil && b.Desc != nil {
		d.Changes = Diff(ownComponents(a.Desc), ownComponents(b.Desc))
		if len(d.Changes) > 0 {
			d.State = DiffChanged
		}
		for _, c := range d.Changes {
			d.Why = append(d.Why, c.Details()...)
		}
	}
	for _, s := range []*Side{a, b} {
		if s.Key == "" {
			d.Why = append(d.Why, fmt.Sprintf("%s: key not known until its upstream is produced (%s)", sideName(s, a), s.Note))
		}
	}
	return d
}

// ownComponents leaves out the upstream outputs of a key description.
func ownComponents(d KeyDesc) KeyDesc {
	var out KeyDesc
	for _, c := range d {
		if !strings.HasPrefix(c.Name, prefixUpstrm) {
			out = append(out, c)
		}
	}
	return out
}

func sideName(s, a *Side) string {
	if s == a {
		return "A"
	}
	return "B"
}

// sameContent reports whether both sides sealed the same files.
func sameContent(a, b *Side) bool {
	if a.Manifest != nil && b.Manifest != nil {
		return ContentDigest(a.Manifest.Files) == ContentDigest(b.Manifest.Files)
	}
	return a.Output != "" && a.Output == b.Output
}

// LockSides reads the sides of the lock entries of one pipeline, sorted by
// partition ID: each key's components (store key info) and its output's
// manifest, where the store holds them. Missing store entries are noted on
// the side, never an error.
func LockSides(st *store.Store, entries map[string]store.LockEntry) []Side {
	ids := make([]string, 0, len(entries))
	for id := range entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]Side, 0, len(ids))
	for _, id := range ids {
		out = append(out, lockSide(st, PartitionID(id), entries[id]))
	}
	return out
}

func lockSide(st *store.Store, id PartitionID, e store.LockEntry) Side {
	s := Side{ID: id, Key: e.Key, Output: e.Output, Usage: e.Usage, ServedModels: e.ServedModels}
	var notes []string
	if desc, err := storedKeyDesc(st, e.Key); err == nil {
		s.Desc = desc
		s.Kind, _ = desc.Value(compKind)
	} else {
		notes = append(notes, "key components not in the store")
	}
	if m, err := ManifestByDigest(st, e.Output); err == nil {
		s.Manifest = m
	} else {
		notes = append(notes, fmt.Sprintf("output %s not in the store", short(e.Output)))
	}
	s.Note = strings.Join(notes, "; ")
	return s
}

// ManifestByDigest reads a sealed output's manifest by its digest (the
// lock file's `output`).
func ManifestByDigest(st *store.Store, hex string) (*store.Manifest, error) {
	d, err := store.ParseDigest(hex)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	b, err := st.ReadObject(d)
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", d.Short(), err)
	}
	var m store.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode manifest %s: %w", d.Short(), err)
	}
	return &m, nil
}

// storedKeyDesc reads the stored components of a hex node key.
func storedKeyDesc(st *store.Store, hex string) (KeyDesc, error) {
	k, err := ParseNodeKey(hex)
	if err != nil {
		return nil, err
	}
	b, err := st.GetKeyInfo(k)
	if err != nil {
		return nil, err
	}
	var d KeyDesc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("decode key info %s: %w", k.Short(), err)
	}
	return d, nil
}

// Sides returns every partition of the pipeline as a diff side, in
// topological order: its current key and components, and its sealed
// output when one exists for that key. It reads the store and never writes.
func (e *Engine) Sides(ctx context.Context) ([]Side, error) {
	sts, err := e.Status(ctx)
	if err != nil {
		return nil, err
	}
	known := make(map[PartitionID]PartitionStatus, len(sts))
	out := make([]Side, 0, len(sts))
	for _, st := range sts {
		known[st.ID] = st
		s, err := e.side(st, known)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (e *Engine) side(st PartitionStatus, known map[PartitionID]PartitionStatus) (Side, error) {
	s := Side{ID: st.ID, Kind: st.Kind, inputs: e.nodes[st.ID].files()}
	n := e.nodes[st.ID]
	if st.Key.IsZero() {
		s.Note = strings.Join(st.Reasons, "; ")
		// Without upstream outputs there is no key, but the partition's
		// own components can be compared.
		desc, err := Describe(n.spec.Kind, n.step.Version(), n.plan.Params, n.files(), n.plan.Inputs, nil)
		s.Desc = desc
		return s, err
	}
	s.Key = st.Key.String()
	desc, _, err := e.key(n, func(u PartitionID) (Digest, bool) { return known[u].Content, true })
	if err != nil {
		return s, err
	}
	s.Desc = desc
	if st.State != UpToDate {
		s.Note = "not produced with its current key: " + strings.Join(st.Reasons, "; ")
		return s, nil
	}
	m, _, err := e.opt.Store.GetManifest(st.Key)
	if err != nil {
		s.Note = err.Error()
		return s, nil
	}
	s.Output, s.Manifest = st.Output.String(), m
	if u, ok := m.Meta["usage"].(map[string]any); ok {
		s.Usage = u
	}
	s.ServedModels = servedModels(m.Meta)
	return s, nil
}

// SideFiles opens the files of a side's sealed output for reading (none
// when the store does not hold its manifest). Store objects are verified
// on read, referenced input files against their recorded digest (a
// lock-file side cannot open them: it knows no project's inputs).
func SideFiles(st *store.Store, s *Side) []OutputFile {
	if s == nil || s.Manifest == nil {
		return nil
	}
	return upstreamFiles(st, s.Manifest, s.inputs)
}

// Details says what changed inside a parameter whose old and new values
// are JSON objects (a model spec, say), one line per changed leaf:
// "with.model.sim.review_rejection_rate: 0.15 → 0.6". Other changes are
// described by String alone.
func (c Change) Details() []string {
	var o, n any
	if json.Unmarshal([]byte(c.Old), &o) != nil || json.Unmarshal([]byte(c.New), &n) != nil {
		return []string{c.String()}
	}
	if !isComposite(o) || !isComposite(n) {
		return []string{c.String()}
	}
	var out []string
	leafChanges(c.Component, o, n, &out)
	if len(out) == 0 {
		return []string{c.String()}
	}
	return out
}

func isComposite(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

// leafChanges appends "path: old → new" for every differing leaf of two
// decoded JSON values; objects are walked key by key, in sorted order,
// lists element by element.
func leafChanges(name string, o, n any, out *[]string) {
	ol, oIsList := o.([]any)
	nl, nIsList := n.([]any)
	if oIsList && nIsList {
		for i := range max(len(ol), len(nl)) {
			leafChanges(fmt.Sprintf("%s[%d]", name, i), at(ol, i), at(nl, i), out)
		}
		return
	}
	om, oIsObj := o.(map[string]any)
	nm, nIsObj := n.(map[string]any)
	if !oIsObj || !nIsObj {
		ob, _ := marshalCanonical(o)
		nb, _ := marshalCanonical(n)
		if string(ob) == string(nb) {
			return
		}
		switch {
		case o == nil:
			*out = append(*out, fmt.Sprintf("%s: added %s", name, clip(string(nb))))
		case n == nil:
			*out = append(*out, fmt.Sprintf("%s: removed (was %s)", name, clip(string(ob))))
		default:
			*out = append(*out, fmt.Sprintf("%s: %s → %s", name, clip(string(ob)), clip(string(nb))))
		}
		return
	}
	keys := make([]string, 0, len(om)+len(nm))
	for k := range om {
		keys = append(keys, k)
	}
	for k := range nm {
		if _, ok := om[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		leafChanges(name+"."+k, om[k], nm[k], out)
	}
}

func at(l []any, i int) any {
	if i < len(l) {
		return l[i]
	}
	return nil
}
