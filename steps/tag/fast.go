package tag

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unsafe"

	"github.com/sptflow/sptflow/pyjson"
	jscan "github.com/sptflow/sptflow/pyjson/scan"
	"github.com/sptflow/sptflow/steps/spt"
)

// The fast path tags a batch file without building its tree: analyze reads
// what the rules need with the scanner (skipping everything else), and
// emit (emit.go) writes the tagged file from the token stream, copying
// strings and numbers that are already in the tagged file's form. It
// handles well-formed files whose keys have no escapes and no duplicates
// in the objects the tagger reads; anything else (and every error) makes it
// give up with errFallback, and the tree path (TagFile) tags the file, so
// outputs and error messages are those of the tree path.

// errFallback reports that the fast path does not handle a file.
var errFallback = errors.New("tag: file left to the tree path")

// fastRecord is a tagged intervention record.
type fastRecord struct {
	tags []string
	seq  int // index of its id in the file's traversal order
	inl  [inlineTag]string
}

// fastVariant is a variant of a model entry: dropped (no interventions),
// or tagged.
type fastVariant struct {
	drop bool
	tags []string
	recs []*fastRecord // non-baseline records, in document order
	inl  [inlineTag]string
}

// fastModel is one entry of an item's inferences, its A and B variants.
type fastModel struct{ v [2]*fastVariant }

// fastFile is what analyze found in a batch file.
type fastFile struct {
	data    []byte
	hasData bool // "data" is a list
	models  []fastModel
	stats   Stats
	ids     []string
}

// analyzer holds analyze's state and scratch buffers.
type analyzer struct {
	data   []byte
	stem   string
	f      *fastFile
	sc     scan
	bufI   []byte
	bufR   []byte
	bufStr []byte
	prefix []byte   // the ids' prefix of the variant being numbered
	keys   [][]byte // keys of the objects being read, stacked
	slab   slab
}

// analyze applies the tagging rules to a batch file (see TagFile) without
// parsing it into a tree: one pass of the scanner, which skips what the
// rules do not read.
func analyze(data []byte, stem string) (*fastFile, error) {
	a := &analyzer{data: data, stem: stem, f: &fastFile{data: data,
		stats: Stats{Files: 1, DroppedVariants: map[string]int{}, Tags: map[string]int{}}}}
	s := jscan.New(data)
	if s.Peek() != '{' {
		return nil, errFallback
	}
	err := a.members(s, spt.BatchFields, func(key []byte) error {
		if string(key) == "data" && s.Peek() == '[' {
			a.f.hasData = true
			return a.items(s)
		}
		_, err := s.Skip()
		return err
	})
	if err != nil || s.End() != nil {
		return nil, errFallback
	}
	if !a.f.hasData {
		a.f.stats.FilesWithoutData = 1
	}
	a.f.stats.IDs = len(a.f.ids)
	return a.f, nil
}

func (a *analyzer) items(s *jscan.Scanner) error {
	idx := 0
	err := s.Array(func() error {
		if s.Peek() != '{' {
			return errFallback
		}
		err := a.item(s, idx)
		idx++
		return err
	})
	a.f.stats.Items = idx
	return err
}

func (a *analyzer) item(s *jscan.Scanner, idx int) error {
	infOff := -1
	irf, metaSeen := "", false
	err := a.members(s, spt.ItemFields, func(key []byte) error {
		switch string(key) {
		case "metadata":
			metaSeen = true
			if s.Peek() == '{' {
				var err error
				irf, err = a.metadata(s)
				return err
			}
		case "inferences":
			if s.Peek() != '{' {
				break
			}
			if metaSeen {
				return a.inferences(s, idx, irf)
			}
			infOff = s.Offset()
		}
		_, err := s.Skip()
		return err
	})
	if err != nil || infOff < 0 {
		return err
	}
	return a.inferences(jscan.New(a.data[infOff:]), idx, irf)
}

// metadata reads an item's metadata and returns its intended_review_focus.
func (a *analyzer) metadata(s *jscan.Scanner) (string, error) {
	irf := ""
	err := a.members(s, spt.MetadataFields, func(key []byte) error {
		raw, err := s.Skip()
		if err == nil && string(key) == "intended_review_focus" && raw[0] == '"' {
			irf, err = decodeOwned(raw)
		}
		return err
	})
	return irf, err
}

func (a *analyzer) inferences(s *jscan.Scanner, idx int, irf string) error {
	return a.members(s, nil, func(key []byte) error {
		if s.Peek() != '{' {
			return errFallback
		}
		return a.model(s, idx, string(key), irf)
	})
}

// model tags one model entry (see tagger.model).
func (a *analyzer) model(s *jscan.Scanner, idx int, name, irf string) error {
	var vs [2]*variantScan
	a.slab.keys = a.slab.keys[:0] // the keys of the previous model's records are in its ids
	err := a.members(s, nil, func(key []byte) error {
		for vi, v := range spt.Variants {
			if string(key) == v {
				if s.Peek() != '{' {
					return errFallback
				}
				var err error
				vs[vi], err = a.variant(s, irf)
				return err
			}
		}
		_, err := s.Skip()
		return err
	})
	if err != nil {
		return err
	}
	var m fastModel
	for vi, v := range vs {
		if v != nil && !v.hasIV {
			m.v[vi] = a.slab.variant()
			m.v[vi].drop = true
			a.f.stats.DroppedVariants[name]++
			vs[vi] = nil
		}
	}
	noAB := vs[0] != nil && vs[1] == nil
	var tagged []*fastVariant
	var pss [][2]int
	for vi, vname := range spt.Variants {
		v := vs[vi]
		if v == nil {
			continue
		}
		fv := a.slab.variant()
		fv.recs = v.recs
		if v.exceeded {
			fv.tags = append(fv.tags, GenerationExceededLimit)
			a.count(GenerationExceededLimit)
		}
		a.idPrefix(idx, name, vname)
		for i, r := range v.recs {
			r.seq = len(a.f.ids)
			a.f.ids = append(a.f.ids, a.slab.id(a.prefix, v.keys[i]))
			for _, t := range r.tags {
				a.count(t)
			}
		}
		a.f.stats.BaselinesRemoved += v.baselines
		a.disagreement(fv, v.ps)
		if noAB {
			fv.tags = append(fv.tags, NoABSeparation)
			a.count(NoABSeparation)
		}
		m.v[vi] = fv
		tagged = append(tagged, fv)
		pss = append(pss, v.ps)
	}
	if len(tagged) == 2 {
		a.consensus(tagged, pss)
	}
	a.f.models = append(a.f.models, m)
	return nil
}

// idPrefix sets a.prefix to the ids' prefix of the records of variant
// vname of model name in item idx: stem__idx<idx>__<name, / as _>_<vname>__.
func (a *analyzer) idPrefix(idx int, name, vname string) {
	b := append(a.prefix[:0], a.stem...)
	b = append(b, "__idx"...)
	b = strconv.AppendInt(b, int64(idx), 10)
	b = append(b, "__"...)
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '/' {
			b = append(b, '_')
		} else {
			b = append(b, c)
		}
	}
	b = append(b, '_')
	b = append(b, vname...)
	a.prefix = append(b, "__"...)
}

// variantScan is what a variant holds: its records (but baselines), their
// keys, and the counts the rules need.
type variantScan struct {
	exceeded  bool
	hasIV     bool
	recs      []*fastRecord
	keys      [][]byte
	ps        [2]int // PASS and FAIL verdicts
	baselines int
}

func (a *analyzer) variant(s *jscan.Scanner, irf string) (*variantScan, error) {
	v := a.slab.variantScan()
	err := a.members(s, spt.VariantFields, func(key []byte) error {
		switch string(key) {
		case "tags":
			return checkTags(s)
		case "interventions":
			v.hasIV = true
			return a.interventions(s, v, irf)
		case "output_tokens":
			raw, err := s.Skip()
			if err != nil {
				return err
			}
			num, ok := numericRaw(raw)
			if !ok {
				return errFallback
			}
			v.exceeded = num >= TokenLimit
			return nil
		}
		_, err := s.Skip()
		return err
	})
	return v, err
}

// interventions tags a variant's records.
func (a *analyzer) interventions(s *jscan.Scanner, v *variantScan, irf string) error {
	p0, k0 := len(a.slab.ptrs), len(a.slab.keys)
	defer func() { // each a run of its own: a later append never writes in it
		v.recs = a.slab.ptrs[p0:len(a.slab.ptrs):len(a.slab.ptrs)]
		v.keys = a.slab.keys[k0:len(a.slab.keys):len(a.slab.keys)]
	}()
	return a.members(s, nil, func(key []byte) error {
		if s.Peek() != '{' {
			return errFallback
		}
		base := spt.IsBaseline(string(key))
		r, verdict, err := a.record(s, irf, !base)
		if err != nil {
			return err
		}
		if base {
			v.baselines++
			return nil
		}
		a.slab.ptrs = append(a.slab.ptrs, r)
		a.slab.keys = append(a.slab.keys, key)
		switch verdict {
		case verdictPass:
			v.ps[0]++
		case verdictFail:
			v.ps[1]++
		}
		return nil
	})
}

// record applies the intervention-level rules (recordTags) to a record and
// returns its tags and its P verdict.
func (a *analyzer) record(s *jscan.Scanner, irf string, rules bool) (*fastRecord, string, error) {
	var (
		conf, faulty, passed     []byte
		srf, ext, in, i, r, verd []byte
	)
	err := a.members(s, spt.RecordFields, func(key []byte) error {
		if string(key) == "tags" {
			return checkTags(s)
		}
		raw, err := s.Skip()
		if err != nil {
			return err
		}
		switch string(key) {
		case "confidence":
			conf = raw
		case "faulty_data":
			faulty = raw
		case "stage_3_reviews_passed":
			passed = raw
		case "selected_review_focus":
			srf = raw
		case "detection_difficulty_external":
			ext = raw
		case "detection_difficulty_internal":
			in = raw
		case "I":
			i = raw
		case "R":
			r = raw
		case "P":
			verd = raw
		}
		return nil
	})
	if err != nil || !rules {
		return nil, "", err
	}
	rec := a.slab.record()
	if conf != nil && string(conf) != "null" {
		c, ok := numericRaw(conf)
		if !ok {
			return nil, "", errFallback
		}
		for _, th := range confidenceThresholds {
			if c < th.below {
				rec.tags = append(rec.tags, th.tag)
			}
		}
	}
	if truthyRaw(faulty) {
		rec.tags = append(rec.tags, DataIsFaulty)
	}
	srfS := a.text(srf, &a.bufStr)
	if irf != "" && srfS != "" && !strings.Contains(srfS, irf) && !strings.Contains(irf, srfS) {
		rec.tags = append(rec.tags, MismatchingReviewFocus)
	}
	extS, inS := a.text(ext, &a.bufStr), "" // ext is compared before bufStr is reused
	re := difficultyRank(extS)
	inS = a.text(in, &a.bufStr)
	ri := difficultyRank(inS)
	if re > 0 {
		rec.tags = append(rec.tags, externalTags[re])
	}
	if ri > 0 {
		rec.tags = append(rec.tags, internalTags[ri])
	}
	if re > 0 && ri > 0 && re < ri {
		rec.tags = append(rec.tags, EasierExternally)
	}
	if leaks(a.text(i, &a.bufI), a.text(r, &a.bufR), &a.sc) {
		rec.tags = append(rec.tags, TrainingDataLeakage)
	}
	if string(passed) == "false" {
		rec.tags = append(rec.tags, FailedExternalReview)
	}
	v := ""
	if len(verd) > 0 && verd[0] == '"' {
		switch a.text(verd, &a.bufStr) {
		case verdictPass:
			v = verdictPass
		case verdictFail:
			v = verdictFail
		}
	}
	return rec, v, nil
}

// text decodes a string token (nil or null: ""); the result is a view of
// the document or of *buf, valid until the next call with buf.
func (a *analyzer) text(raw []byte, buf *[]byte) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return unsafe.String(unsafe.SliceData(body), len(body))
	}
	b := (*buf)[:0]
	for j := 0; j < len(body); {
		if body[j] != '\\' {
			b = append(b, body[j])
			j++
			continue
		}
		var n int
		var err error
		if b, n, err = jscan.AppendEscape(b, body[j:]); err != nil {
			break // the emitter rejects the file
		}
		j += n
	}
	*buf = b
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func decodeOwned(raw []byte) (string, error) {
	s, err := jscan.Unquote(raw)
	if err != nil {
		return "", errFallback
	}
	return s, nil
}

func (a *analyzer) count(tag string) { a.f.stats.Tags[tag]++ }

// disagreement is tagger.disagreement.
func (a *analyzer) disagreement(v *fastVariant, ps [2]int) {
	pass, fail := ps[0], ps[1]
	if pass >= 1 && fail >= 1 {
		propagate(v, DisagreeOnce, false)
		a.count(DisagreeOnce)
	}
	if pass >= 2 && fail >= 2 {
		propagate(v, DisagreeTwice, false)
		a.count(DisagreeTwice)
	}
}

func consensusOfCounts(ps [2]int) string {
	switch {
	case ps[0] > ps[1]:
		return verdictPass
	case ps[1] > ps[0]:
		return verdictFail
	}
	return consensusUnclear
}

// consensus is tagger.consensus.
func (a *analyzer) consensus(vs []*fastVariant, pss [][2]int) {
	for _, tag := range consensusTags(consensusOfCounts(pss[0]), consensusOfCounts(pss[1])) {
		propagate(vs[0], tag, true)
		propagate(vs[1], tag, true)
		a.count(tag)
	}
}

// propagate is variant.propagate.
func propagate(v *fastVariant, tag string, variantIfMissing bool) {
	if !variantIfMissing || !hasTag(v.tags, tag) {
		v.tags = append(v.tags, tag)
	}
	for _, r := range v.recs {
		if !hasTag(r.tags, tag) {
			r.tags = append(r.tags, tag)
		}
	}
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

// addKey adds key to the keys of the object whose keys start at
// a.keys[kb] (seen: their keyBits), and gives up on a duplicate or escaped
// key.
func (a *analyzer) addKey(kb int, seen *uint64, key []byte) error {
	if !inDoc(a.data, key) {
		return errFallback // decoded from escapes
	}
	if repeated(a.keys[kb:], seen, key) {
		return errFallback
	}
	a.keys = append(a.keys, key)
	return nil
}

// repeated reports whether key is one of keys, an object's keys so far,
// whose keyBits are in seen, and adds key's bit to seen. A key whose bit
// is new is compared with none of them, so that an object of n distinct
// keys costs n steps, not n²/2 comparisons.
func repeated(keys [][]byte, seen *uint64, key []byte) bool {
	bit := keyBit(key)
	if *seen&bit != 0 {
		for _, have := range keys {
			if bytes.Equal(have, key) {
				return true
			}
		}
	}
	*seen |= bit
	return false
}

// keyBit returns a bit of 64 chosen by key's length and its first and
// last bytes.
func keyBit(key []byte) uint64 {
	h := uint(len(key))
	if len(key) > 0 {
		h = h*31 + uint(key[0])*7 + uint(key[len(key)-1])
	}
	return 1 << (h & 63)
}

func (a *analyzer) popKeys(kb int) { a.keys = a.keys[:kb] }

// members reads the object s is at, member by member: each key is checked
// against the object's other keys (addKey) and, with fields, its value's
// kind against the data contract (checkKind), before fn reads the value.
func (a *analyzer) members(s *jscan.Scanner, fields *spt.Fields, fn func(key []byte) error) error {
	kb := len(a.keys)
	defer a.popKeys(kb)
	var seen uint64
	return s.Object(func(key []byte) error {
		if err := a.addKey(kb, &seen, key); err != nil {
			return err
		}
		if fields != nil {
			if err := checkKind(s, fields, key); err != nil {
				return err
			}
		}
		return fn(key)
	})
}

// inDoc reports whether key is a view of doc (the scanner returns a copy
// for a key with escapes). The empty key needs no escape.
func inDoc(doc, key []byte) bool {
	if len(key) == 0 {
		return true
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(key)))
	start := uintptr(unsafe.Pointer(unsafe.SliceData(doc)))
	return p >= start && p < start+uintptr(len(doc))
}

// checkKind checks the value of member key against the data contract.
func checkKind(s *jscan.Scanner, f *spt.Fields, key []byte) error {
	if k, ok := f.Kind(unsafe.String(unsafe.SliceData(key), len(key))); ok {
		if k.Next(s) != nil {
			return errFallback
		}
		if c := s.Peek(); c == 0 {
			return errFallback
		}
	}
	return nil
}

// checkTags consumes a tag list (null or an array of strings).
func checkTags(s *jscan.Scanner) error {
	if s.Peek() == 'n' {
		_, err := s.Skip()
		return err
	}
	return s.Array(func() error {
		if s.Peek() != '"' {
			return errFallback
		}
		_, err := s.RawString()
		return err
	})
}

// numericRaw is numeric of a raw number or boolean token.
func numericRaw(raw []byte) (float64, bool) {
	switch string(raw) {
	case "true":
		return 1, true
	case "false":
		return 0, true
	}
	if len(raw) == 0 {
		return 0, false
	}
	if n, err := jscan.NumberLen(raw); err != nil || n != len(raw) {
		return 0, false
	}
	return pyjson.NumberToken(raw).Float64(), true
}

// truthyRaw is truthy of a raw value (nil: absent).
func truthyRaw(raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	switch raw[0] {
	case 'n':
		return false
	case 't':
		return true
	case 'f':
		return false
	case '"':
		return len(raw) > 2
	case '[', '{':
		s := jscan.New(raw[1:])
		c := s.Peek()
		return c != ']' && c != '}'
	}
	f, ok := numericRaw(raw)
	return !ok || f != 0
}
