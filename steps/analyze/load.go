package analyze

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The raw* types are one tagged batch file as the scanner sees it: only the
// fields the analysis reads, strings of the long texts kept as spans into
// the file's bytes (valid while those bytes are).

type rawInterv struct {
	key            string
	itype          any
	selected       any
	conf           any
	i, r           span
	hasI, hasR     bool
	p              any
	ddInt, ddExt   any
	tags           []string
	hasType, hasDD bool
}

type rawVariant struct {
	present          bool
	s                span
	hasS             bool
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
	s := &scanner{b: data}
	f := &rawFile{}
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "topic":
			v, err := s.scalar()
			f.topic = v
			return err
		case "batch_id":
			v, err := s.scalar()
			f.batchID = v
			return err
		case "data":
			if s.peek() != '[' {
				return s.skip()
			}
			f.hasData = true
			return s.array(func() error {
				it, err := parseItem(s)
				f.items = append(f.items, it)
				return err
			})
		}
		return s.skip()
	})
	if err == nil && s.peek() != 0 {
		err = s.errorf("extra data after the top-level object")
	}
	return f, err
}

func parseItem(s *scanner) (rawItem, error) {
	it := rawItem{start: s.i}
	s.ws()
	it.start = s.i
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "T":
			v, err := s.scalar()
			it.t, _ = v.(string)
			return err
		case "metadata":
			return parseMetadata(s, &it)
		case "inferences":
			return s.object(func(model []byte) error {
				m := rawModel{name: string(model)}
				err := parseModel(s, &m)
				it.models = append(it.models, m)
				return err
			})
		}
		return s.skip()
	})
	it.end = s.i
	return it, err
}

func parseMetadata(s *scanner, it *rawItem) error {
	if s.peek() != '{' {
		return s.skip()
	}
	return s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "intended_review_focus":
			it.intended, err = s.scalar()
		case "alignment_issue_type":
			it.alignment, err = s.scalar()
		case "difficulty":
			it.difficulty, err = s.scalar()
		default:
			err = s.skip()
		}
		return err
	})
}

func parseModel(s *scanner, m *rawModel) error {
	if s.peek() != '{' {
		return s.skip()
	}
	return s.object(func(key []byte) error {
		switch string(key) {
		case "A":
			return parseVariant(s, &m.variants[0])
		case "B":
			return parseVariant(s, &m.variants[1])
		}
		return s.skip()
	})
}

func parseVariant(s *scanner, v *rawVariant) error {
	v.present = true
	v.outTok, v.inTok = 0, 0
	return s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "S":
			if s.peek() == '"' {
				v.s, err = s.str()
				v.hasS = true
				return err
			}
			return s.skip()
		case "output_tokens":
			v.outTok, err = s.scalar()
		case "input_tokens":
			v.inTok, err = s.scalar()
		case "tags":
			v.tags, err = s.strings()
		case "interventions":
			v.hasInterventions = true
			err = s.object(func(k []byte) error {
				r := rawInterv{key: string(k)}
				err := parseInterv(s, &r)
				v.interventions = append(v.interventions, r)
				return err
			})
		default:
			err = s.skip()
		}
		return err
	})
}

func parseInterv(s *scanner, r *rawInterv) error {
	return s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "intervention_type":
			r.hasType = true
			r.itype, err = s.scalar()
		case "selected_review_focus":
			r.selected, err = s.scalar()
		case "confidence":
			r.conf, err = s.scalar()
		case "I":
			r.i, r.hasI, err = optStr(s)
		case "R":
			r.r, r.hasR, err = optStr(s)
		case "P":
			r.p, err = s.scalar()
		case "detection_difficulty_internal":
			r.ddInt, err = s.scalar()
		case "detection_difficulty_external":
			r.ddExt, err = s.scalar()
		case "tags":
			r.tags, err = s.strings()
		default:
			err = s.skip()
		}
		return err
	})
}

func optStr(s *scanner) (span, bool, error) {
	if s.peek() != '"' {
		return span{}, false, s.skip()
	}
	sp, err := s.str()
	return sp, err == nil, err
}

// spanText decodes sp, or returns "" when absent.
func spanText(s *scanner, sp span, ok bool) string {
	if !ok {
		return ""
	}
	t, err := s.text(sp)
	if err != nil {
		return ""
	}
	return t
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

// hasSPToken reports whether the string span starts with the split-personality token.
func hasSPToken(s *scanner, sp span, ok bool) bool {
	if !ok {
		return false
	}
	if !sp.esc {
		return strings.HasPrefix(string(s.b[sp.start:min(sp.end, sp.start+len(spToken))]), spToken)
	}
	return strings.HasPrefix(spanText(s, sp, ok), spToken)
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
