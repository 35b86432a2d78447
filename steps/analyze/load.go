package analyze

import (
	"bytes"
	"cmp"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
	"github.com/sptflow/sptflow/steps/spt"
)

// The raw* types are one tagged batch file as the scanner sees it: only the
// fields the analysis reads, the long texts kept as raw string tokens into
// the file's bytes (valid while those bytes are; nil when absent).

type rawInterv struct {
	key          string
	itype        any
	selected     any
	conf         any
	i, r         []byte
	p            any
	ddInt, ddExt any
	tags         []string
	hasType      bool
}

type rawVariant struct {
	present          bool
	s                []byte
	outTok           any
	tags             []string
	interventions    []rawInterv
	hasInterventions bool
}

type rawModel struct {
	name     string
	variants [2]rawVariant // A, B
}

type rawItem struct {
	start, end                      int // byte range of the item object
	t                               string
	intended, alignment, difficulty any
	models                          []rawModel
}

type rawFile struct {
	topic   any
	batchID any
	items   []rawItem
	hasData bool
	// The items' models, the variants' records and tags, in one slice
	// each (the items and variants hold parts of them), kept from file to
	// file by the worker that reuses this rawFile.
	models  []rawModel
	intervs []rawInterv
	tags    []string
}

var variantNames = [2]string{"A", "B"}

// parser reads batch files into a rawFile. A worker keeps one and reuses
// it (its slices and its interned values) from file to file.
type parser struct {
	s  *scan.Scanner
	f  rawFile
	in localIntern
	// The tagger's key order of items, variants and records (a key out of
	// order is read as any other).
	itemKeys, variantKeys, recordKeys *scan.KeyOrder
	ind                               int  // the records' indentation (fastInterv)
	slow                              bool // no fastInterv(entions) (tests compare the two)
}

// parseFile reads the fields the analysis needs from one batch file. The
// file must be valid UTF-8 (as for Python's json.load) and the fields read
// must have the types of the data contract (spt.BatchFields and the other
// tables); a wrong type is a *pyjson.PathError. The result is valid until
// the next parseFile on p, and while data is.
func (p *parser) parseFile(data []byte) (*rawFile, error) {
	f := &p.f
	*f = rawFile{items: f.items[:0], models: f.models[:0], intervs: f.intervs[:0], tags: f.tags[:0]}
	if err := scan.CheckUTF8(data); err != nil {
		return nil, err
	}
	if p.s == nil {
		p.s = scan.New(nil)
		p.itemKeys = scan.NewKeyOrder("thought_process", "A", "B", "T", "metadata", "inferences")
		p.variantKeys = scan.NewKeyOrder("S", "input_tokens", "output_tokens", "string_length", "generation_time",
			"temperature", "top_p", "top_k", "thinking_enabled", "interventions", "tags")
		p.recordKeys = scan.NewKeyOrder("thought_process", "intervention_type", "selected_review_focus", "confidence",
			"I", "R", "P", "detection_difficulty_internal", "detection_difficulty_external", "faulty_data",
			"batch_thinking", "stage_3_analysis", "generation_time", "model_used", "review_model_used",
			"num_stage_3_reviews_made", "stage_3_reviews_passed", "stage_3_reviews_all_failed_due_to_overlong_context",
			"tags", "id_numeric", "id_string")
	}
	s := p.s
	*s = *scan.New(data)
	err := s.Object(func(key []byte) error {
		switch string(key) {
		case "topic":
			v, err := p.fieldScalar(fTopic)
			f.topic = v
			return err
		case "batch_id":
			v, err := p.fieldScalar(fBatchID)
			f.batchID = v
			return err
		case "data":
			if err := fData.Next(s); err != nil || s.Peek() == 'n' {
				return cmp.Or(err, skipValue(s))
			}
			f.hasData = true
			i := 0
			return pyjson.InField(s.Array(func() error {
				it, err := p.parseItem()
				f.items = append(f.items, it)
				i++
				return pyjson.InIndex(err, i-1)
			}), "data")
		}
		return skipValue(s)
	})
	if err == nil {
		err = s.End()
	}
	return f, err
}

// parseFile parses data with a parser of its own.
func parseFile(data []byte) (*rawFile, error) {
	return new(parser).parseFile(data)
}

// The members the analysis reads, typed by the data contract.
var (
	fTopic, fBatchID, fData    = spt.BatchFields.Field("topic"), spt.BatchFields.Field("batch_id"), spt.BatchFields.Field("data")
	fT, fMetadata, fInferences = spt.ItemFields.Field("T"), spt.ItemFields.Field("metadata"), spt.ItemFields.Field("inferences")
	fIntended, fAlignment      = spt.MetadataFields.Field("intended_review_focus"), spt.MetadataFields.Field("alignment_issue_type")
	fDifficulty                = spt.MetadataFields.Field("difficulty")
	fS, fOutTok, fInTok        = spt.VariantFields.Field("S"), spt.VariantFields.Field("output_tokens"), spt.VariantFields.Field("input_tokens")
	fInterventions             = spt.VariantFields.Field("interventions")
	fType, fSelected, fConf    = spt.RecordFields.Field("intervention_type"), spt.RecordFields.Field("selected_review_focus"), spt.RecordFields.Field("confidence")
	fI, fR, fP                 = spt.RecordFields.Field("I"), spt.RecordFields.Field("R"), spt.RecordFields.Field("P")
	fDDInt, fDDExt             = spt.RecordFields.Field("detection_difficulty_internal"), spt.RecordFields.Field("detection_difficulty_external")
)

// fieldScalar reads the value of member f, checking its type first.
func (p *parser) fieldScalar(f spt.Field) (any, error) {
	if err := f.Next(p.s); err != nil {
		return nil, err
	}
	return p.in.scalar(p.s)
}

// checkScalar reads the value of member f as fieldScalar does, with the
// same errors, for a value nothing uses (a variant's input_tokens): a
// number token is only checked, not boxed (token counts are mostly
// distinct: boxing them filled the worker's and the shared tables).
func (p *parser) checkScalar(f spt.Field) error {
	if err := f.Next(p.s); err != nil {
		return err
	}
	if c := p.s.Peek(); c == '-' || c == 'N' || c == 'I' || (c >= '0' && c <= '9') {
		_, err := p.s.Number()
		return err
	}
	_, err := p.in.scalar(p.s)
	return err
}

// fieldStr is fieldScalar for a long text kept as its raw token (nil when
// null).
func (p *parser) fieldStr(f spt.Field) ([]byte, error) {
	if err := f.Next(p.s); err != nil {
		return nil, err
	}
	return optStr(p.s)
}

func (p *parser) parseItem() (rawItem, error) {
	s := p.s
	s.Peek()
	it := rawItem{start: s.Offset()}
	if err := spt.Object.Next(s); err != nil {
		return it, err
	}
	err := s.ObjectInOrder(p.itemKeys, func(key []byte) error {
		switch string(key) {
		case "T":
			v, err := p.fieldScalar(fT)
			it.t, _ = v.(string)
			return err
		case "metadata":
			if err := fMetadata.Next(s); err != nil {
				return err
			}
			return pyjson.InField(p.parseMetadata(&it), "metadata")
		case "inferences":
			if err := fInferences.Next(s); err != nil || s.Peek() == 'n' {
				return cmp.Or(err, skipValue(s))
			}
			start := len(p.f.models)
			err := pyjson.InField(s.Object(func(model []byte) error {
				m := rawModel{name: p.in.key(model)}
				err := p.parseModel(&m)
				p.f.models = append(p.f.models, m)
				return pyjson.InKey(err, m.name)
			}), "inferences")
			it.models = p.f.models[start:len(p.f.models):len(p.f.models)]
			return err
		}
		return skipValue(s)
	})
	it.end = s.Offset()
	return it, err
}

func (p *parser) parseMetadata(it *rawItem) error {
	s := p.s
	if s.Peek() != '{' {
		return skipValue(s)
	}
	return s.Object(func(key []byte) error {
		var err error
		switch string(key) {
		case "intended_review_focus":
			it.intended, err = p.fieldScalar(fIntended)
		case "alignment_issue_type":
			it.alignment, err = p.fieldScalar(fAlignment)
		case "difficulty":
			it.difficulty, err = p.fieldScalar(fDifficulty)
		default:
			err = skipValue(s)
		}
		return err
	})
}

func (p *parser) parseModel(m *rawModel) error {
	s := p.s
	if err := spt.Object.Next(s); err != nil {
		return err
	}
	return s.Object(func(key []byte) error {
		switch string(key) {
		case "A":
			return pyjson.InField(p.parseVariant(&m.variants[0]), "A")
		case "B":
			return pyjson.InField(p.parseVariant(&m.variants[1]), "B")
		}
		return skipValue(s)
	})
}

func (p *parser) parseVariant(v *rawVariant) error {
	s := p.s
	if err := spt.Object.Next(s); err != nil {
		return err
	}
	v.present = true
	v.outTok = 0
	return s.ObjectInOrder(p.variantKeys, func(key []byte) error {
		var err error
		switch string(key) {
		case "S":
			v.s, err = p.fieldStr(fS)
		case "output_tokens":
			v.outTok, err = p.fieldScalar(fOutTok)
		case "input_tokens":
			err = p.checkScalar(fInTok)
		case "tags":
			v.tags, err = p.tags()
			err = pyjson.InField(err, "tags")
		case "interventions":
			if err := fInterventions.Next(s); err != nil {
				return err
			}
			v.hasInterventions = true
			start := len(p.f.intervs)
			if p.fastInterventions() {
				v.interventions = p.f.intervs[start:len(p.f.intervs):len(p.f.intervs)]
				return nil
			}
			err = pyjson.InField(s.Object(func(k []byte) error {
				p.f.intervs = append(p.f.intervs, rawInterv{key: p.in.key(k)})
				r := &p.f.intervs[len(p.f.intervs)-1]
				if p.fastInterv(r) {
					return nil
				}
				return pyjson.InKey(p.parseInterv(r), r.key)
			}), "interventions")
			v.interventions = p.f.intervs[start:len(p.f.intervs):len(p.f.intervs)]
		default:
			err = skipValue(s)
		}
		return err
	})
}

func (p *parser) parseInterv(r *rawInterv) error {
	s := p.s
	if err := spt.Object.Next(s); err != nil {
		return err
	}
	return s.ObjectInOrder(p.recordKeys, func(key []byte) error {
		var err error
		switch string(key) {
		case "intervention_type":
			r.hasType = true
			r.itype, err = p.fieldScalar(fType)
		case "selected_review_focus":
			r.selected, err = p.fieldScalar(fSelected)
		case "confidence":
			r.conf, err = p.fieldScalar(fConf)
		case "I":
			r.i, err = p.fieldStr(fI)
		case "R":
			r.r, err = p.fieldStr(fR)
		case "P":
			r.p, err = p.fieldScalar(fP)
		case "detection_difficulty_internal":
			r.ddInt, err = p.fieldScalar(fDDInt)
		case "detection_difficulty_external":
			r.ddExt, err = p.fieldScalar(fDDExt)
		case "tags":
			r.tags, err = p.tags()
			err = pyjson.InField(err, "tags")
		default:
			err = skipValue(s)
		}
		return err
	})
}

// tags reads a tag list as spt.Tags does (the same values and errors),
// its strings interned and kept in the file's tag slice.
func (p *parser) tags() ([]string, error) {
	s := p.s
	if err := (spt.Array | spt.Null).Next(s); err != nil || s.Peek() == 'n' {
		if err == nil {
			_, err = s.Skip()
		}
		return nil, err
	}
	start := len(p.f.tags)
	err := s.Array(func() error {
		if s.Peek() != '"' {
			return pyjson.InIndex(spt.String.Next(s), len(p.f.tags)-start)
		}
		t, err := p.in.str(s)
		p.f.tags = append(p.f.tags, t)
		return err
	})
	if len(p.f.tags) == start {
		return nil, err
	}
	return p.f.tags[start:len(p.f.tags):len(p.f.tags)], err
}

// optStr reads a string as its raw token; any other value is skipped
// and reads as absent (nil).
func optStr(s *scan.Scanner) ([]byte, error) {
	if s.Peek() != '"' {
		return nil, skipValue(s)
	}
	return s.RawString()
}

// skipValue skips the next value.
func skipValue(s *scan.Scanner) error {
	_, err := s.Skip()
	return err
}

// cut is Python's `t[:n] + "..." if len(t) > n else t`, in code points:
// only the first n code points are counted.
func cut(t string, n int) string {
	if i := runeOffset(t, n); i >= 0 && i < len(t) {
		return t[:i] + "..."
	}
	return t
}

// cutText is cut(text(raw), n) for a raw string token: it decodes only
// the first n code points (and sees whether any follow), not the whole
// text, because the examples keep a few hundred code points of texts that
// run to thousands of bytes. Like text, it returns "" for an absent (nil)
// or invalid token, so the whole token is still checked, without copying.
func cutText(raw []byte, n int) string {
	if raw == nil || scan.CheckString(raw) != nil {
		return ""
	}
	b := raw[1 : len(raw)-1]
	out := make([]byte, 0, min(len(b), n)+len("..."))
	for k := 0; k < n && len(b) > 0; k++ {
		m := 1
		switch c := b[0]; {
		case c == '\\':
			out, m, _ = scan.AppendEscape(out, b) // checked above: no error
			b = b[m:]
			continue
		case c >= utf8.RuneSelf:
			_, m = utf8.DecodeRune(b) // valid UTF-8: the file was checked
		}
		out, b = append(out, b[:m]...), b[m:]
	}
	if len(b) > 0 { // every escape and byte left decodes to one code point or more
		out = append(out, "..."...)
	}
	return string(out)
}

// prefix50 is Python's t[:50].
func prefix50(t string) string {
	if i := runeOffset(t, 50); i >= 0 {
		return t[:i]
	}
	return t
}

func runeOffset(t string, n int) int {
	i := 0
	for k := 0; k < n; k++ {
		if i >= len(t) {
			return -1
		}
		i += spt.CodePointLen(t[i:])
	}
	return i
}

const spToken = "<split-personality-token>"

// hasSPToken reports whether the raw string token starts with the
// split-personality token: whether text(raw) does, decoding it only when
// an escape is among the bytes the token would take (a string that does
// not decode reads as "").
func hasSPToken(raw []byte) bool {
	if raw == nil {
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return bytes.HasPrefix(raw[1:], []byte(spToken))
	}
	if bytes.IndexByte(raw[1:min(len(raw), 1+len(spToken))], '\\') < 0 {
		return bytes.HasPrefix(raw[1:], []byte(spToken)) && scan.CheckString(raw) == nil
	}
	return strings.HasPrefix(text(raw), spToken)
}

func fileTopic(f *rawFile) (string, error) {
	t, ok := f.topic.(string)
	if !ok {
		return "", fmt.Errorf("'topic' is missing or not a string")
	}
	if !f.hasData {
		return "", fmt.Errorf("'data' is missing or not a list")
	}
	return t, nil
}
