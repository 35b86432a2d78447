package analyze

import (
	"bytes"
	"cmp"
	"fmt"
	"strings"

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
	outTok, inTok    any
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
}

var variantNames = [2]string{"A", "B"}

// parseFile reads the fields the analysis needs from one batch file. The
// file must be valid UTF-8 (as for Python's json.load) and the fields read
// must have the types of the data contract (spt.BatchFields and the other
// tables); a wrong type is a *pyjson.PathError.
func parseFile(data []byte) (*rawFile, error) {
	if err := scan.CheckUTF8(data); err != nil {
		return nil, err
	}
	s := scan.New(data)
	f := &rawFile{}
	err := s.Object(func(key []byte) error {
		switch string(key) {
		case "topic":
			v, err := fieldScalar(s, fTopic)
			f.topic = v
			return err
		case "batch_id":
			v, err := fieldScalar(s, fBatchID)
			f.batchID = v
			return err
		case "data":
			if err := fData.Next(s); err != nil || s.Peek() == 'n' {
				return cmp.Or(err, skipValue(s))
			}
			f.hasData = true
			i := 0
			return pyjson.InField(s.Array(func() error {
				it, err := parseItem(s)
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
func fieldScalar(s *scan.Scanner, f spt.Field) (any, error) {
	if err := f.Next(s); err != nil {
		return nil, err
	}
	return scalar(s)
}

// fieldStr is fieldScalar for a long text kept as its raw token (nil when
// null).
func fieldStr(s *scan.Scanner, f spt.Field) ([]byte, error) {
	if err := f.Next(s); err != nil {
		return nil, err
	}
	return optStr(s)
}

func parseItem(s *scan.Scanner) (rawItem, error) {
	s.Peek()
	it := rawItem{start: s.Offset()}
	if err := spt.Object.Next(s); err != nil {
		return it, err
	}
	err := s.Object(func(key []byte) error {
		switch string(key) {
		case "T":
			v, err := fieldScalar(s, fT)
			it.t, _ = v.(string)
			return err
		case "metadata":
			if err := fMetadata.Next(s); err != nil {
				return err
			}
			return pyjson.InField(parseMetadata(s, &it), "metadata")
		case "inferences":
			if err := fInferences.Next(s); err != nil || s.Peek() == 'n' {
				return cmp.Or(err, skipValue(s))
			}
			return pyjson.InField(s.Object(func(model []byte) error {
				m := rawModel{name: string(model)}
				err := parseModel(s, &m)
				it.models = append(it.models, m)
				return pyjson.InKey(err, m.name)
			}), "inferences")
		}
		return skipValue(s)
	})
	it.end = s.Offset()
	return it, err
}

func parseMetadata(s *scan.Scanner, it *rawItem) error {
	if s.Peek() != '{' {
		return skipValue(s)
	}
	return s.Object(func(key []byte) error {
		var err error
		switch string(key) {
		case "intended_review_focus":
			it.intended, err = fieldScalar(s, fIntended)
		case "alignment_issue_type":
			it.alignment, err = fieldScalar(s, fAlignment)
		case "difficulty":
			it.difficulty, err = fieldScalar(s, fDifficulty)
		default:
			err = skipValue(s)
		}
		return err
	})
}

func parseModel(s *scan.Scanner, m *rawModel) error {
	if err := spt.Object.Next(s); err != nil {
		return err
	}
	return s.Object(func(key []byte) error {
		switch string(key) {
		case "A":
			return pyjson.InField(parseVariant(s, &m.variants[0]), "A")
		case "B":
			return pyjson.InField(parseVariant(s, &m.variants[1]), "B")
		}
		return skipValue(s)
	})
}

func parseVariant(s *scan.Scanner, v *rawVariant) error {
	if err := spt.Object.Next(s); err != nil {
		return err
	}
	v.present = true
	v.outTok, v.inTok = 0, 0
	return s.Object(func(key []byte) error {
		var err error
		switch string(key) {
		case "S":
			v.s, err = fieldStr(s, fS)
		case "output_tokens":
			v.outTok, err = fieldScalar(s, fOutTok)
		case "input_tokens":
			v.inTok, err = fieldScalar(s, fInTok)
		case "tags":
			v.tags, err = spt.Tags(s)
			err = pyjson.InField(err, "tags")
		case "interventions":
			if err := fInterventions.Next(s); err != nil {
				return err
			}
			v.hasInterventions = true
			err = pyjson.InField(s.Object(func(k []byte) error {
				r := rawInterv{key: string(k)}
				err := parseInterv(s, &r)
				v.interventions = append(v.interventions, r)
				return pyjson.InKey(err, r.key)
			}), "interventions")
		default:
			err = skipValue(s)
		}
		return err
	})
}

func parseInterv(s *scan.Scanner, r *rawInterv) error {
	if err := spt.Object.Next(s); err != nil {
		return err
	}
	return s.Object(func(key []byte) error {
		var err error
		switch string(key) {
		case "intervention_type":
			r.hasType = true
			r.itype, err = fieldScalar(s, fType)
		case "selected_review_focus":
			r.selected, err = fieldScalar(s, fSelected)
		case "confidence":
			r.conf, err = fieldScalar(s, fConf)
		case "I":
			r.i, err = fieldStr(s, fI)
		case "R":
			r.r, err = fieldStr(s, fR)
		case "P":
			r.p, err = fieldScalar(s, fP)
		case "detection_difficulty_internal":
			r.ddInt, err = fieldScalar(s, fDDInt)
		case "detection_difficulty_external":
			r.ddExt, err = fieldScalar(s, fDDExt)
		case "tags":
			r.tags, err = spt.Tags(s)
			err = pyjson.InField(err, "tags")
		default:
			err = skipValue(s)
		}
		return err
	})
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

// cut is Python's `t[:n] + "..." if len(t) > n else t`, in code points.
func cut(t string, n int) string {
	if spt.Len(t) <= n {
		return t
	}
	i := 0
	for k := 0; k < n; k++ {
		i += spt.CodePointLen(t[i:])
	}
	return t[:i] + "..."
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
// split-personality token, decoding it only when it has escapes.
func hasSPToken(raw []byte) bool {
	if raw == nil {
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return bytes.HasPrefix(raw[1:], []byte(spToken))
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
