package analyze

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sptflow/sptflow/pyjson/scan"
)

// The raw* types are one tagged batch file as the scanner sees it: only the
// fields the analysis reads, the long texts kept as raw string tokens into
// the file's bytes (valid while those bytes are; nil when absent).

type rawInterv struct {
	key            string
	itype          any
	selected       any
	conf           any
	i, r           []byte
	p              any
	ddInt, ddExt   any
	tags           []string
	hasType, hasDD bool
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

// parseFile reads the fields the analysis needs from one batch file.
func parseFile(data []byte) (*rawFile, error) {
	s := scan.New(data)
	f := &rawFile{}
	err := s.Object(func(key []byte) error {
		switch string(key) {
		case "topic":
			v, err := scalar(s)
			f.topic = v
			return err
		case "batch_id":
			v, err := scalar(s)
			f.batchID = v
			return err
		case "data":
			if s.Peek() != '[' {
				return skipValue(s)
			}
			f.hasData = true
			return s.Array(func() error {
				it, err := parseItem(s)
				f.items = append(f.items, it)
				return err
			})
		}
		return skipValue(s)
	})
	if err == nil {
		err = s.End()
	}
	return f, err
}

func parseItem(s *scan.Scanner) (rawItem, error) {
	s.Peek()
	it := rawItem{start: s.Offset()}
	err := s.Object(func(key []byte) error {
		switch string(key) {
		case "T":
			v, err := scalar(s)
			it.t, _ = v.(string)
			return err
		case "metadata":
			return parseMetadata(s, &it)
		case "inferences":
			return s.Object(func(model []byte) error {
				m := rawModel{name: string(model)}
				err := parseModel(s, &m)
				it.models = append(it.models, m)
				return err
			})
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
			it.intended, err = scalar(s)
		case "alignment_issue_type":
			it.alignment, err = scalar(s)
		case "difficulty":
			it.difficulty, err = scalar(s)
		default:
			err = skipValue(s)
		}
		return err
	})
}

func parseModel(s *scan.Scanner, m *rawModel) error {
	if s.Peek() != '{' {
		return skipValue(s)
	}
	return s.Object(func(key []byte) error {
		switch string(key) {
		case "A":
			return parseVariant(s, &m.variants[0])
		case "B":
			return parseVariant(s, &m.variants[1])
		}
		return skipValue(s)
	})
}

func parseVariant(s *scan.Scanner, v *rawVariant) error {
	v.present = true
	v.outTok, v.inTok = 0, 0
	return s.Object(func(key []byte) error {
		var err error
		switch string(key) {
		case "S":
			v.s, err = optStr(s)
		case "output_tokens":
			v.outTok, err = scalar(s)
		case "input_tokens":
			v.inTok, err = scalar(s)
		case "tags":
			v.tags, err = tagList(s)
		case "interventions":
			v.hasInterventions = true
			err = s.Object(func(k []byte) error {
				r := rawInterv{key: string(k)}
				err := parseInterv(s, &r)
				v.interventions = append(v.interventions, r)
				return err
			})
		default:
			err = skipValue(s)
		}
		return err
	})
}

func parseInterv(s *scan.Scanner, r *rawInterv) error {
	return s.Object(func(key []byte) error {
		var err error
		switch string(key) {
		case "intervention_type":
			r.hasType = true
			r.itype, err = scalar(s)
		case "selected_review_focus":
			r.selected, err = scalar(s)
		case "confidence":
			r.conf, err = scalar(s)
		case "I":
			r.i, err = optStr(s)
		case "R":
			r.r, err = optStr(s)
		case "P":
			r.p, err = scalar(s)
		case "detection_difficulty_internal":
			r.ddInt, err = scalar(s)
		case "detection_difficulty_external":
			r.ddExt, err = scalar(s)
		case "tags":
			r.tags, err = tagList(s)
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
	if utf8.RuneCountInString(t) <= n {
		return t
	}
	i := 0
	for k := 0; k < n; k++ {
		_, size := utf8.DecodeRuneInString(t[i:])
		i += size
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
		_, size := utf8.DecodeRuneInString(t[i:])
		i += size
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
