package export

import (
	"cmp"
	"fmt"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
	"github.com/sptflow/sptflow/steps/spt"
)

// The raw* types hold the parts of a batch file the loader reads, as raw
// JSON values: strings are decoded only for samples that survive the
// filters, and models that are not exported are skipped unparsed.

type rawItem struct {
	A, B, T []byte
	models  []rawModel
	hasInf  bool
}

type rawModel struct {
	name     string
	keys     int // number of keys (0: the tagger left an empty entry)
	variants [2]*rawVariant
}

type rawVariant struct {
	keys      int
	S         []byte
	tags      []string
	recs      []rawRecord
	simulated bool // the stage-2 response came from the sim provider
}

type rawRecord struct {
	key       string
	I, R, P   []byte
	tags      []string
	simulated bool // the stage-3 record came from the sim provider
}

// isTrue reports whether a raw JSON value is the literal true: the
// "simulated" marker the sim provider's records carry.
func isTrue(raw []byte) bool { return string(raw) == "true" }

// scanBatch reads the data list of a batch file, calling fn per item, and
// reports the file's own "simulated" marker (stage 1 ran on the sim
// provider). The file must be valid UTF-8 and the fields read must have the
// types of the data contract (spt.BatchFields and the other tables); a wrong
// type is a *pyjson.PathError.
func scanBatch(data []byte, model string, fn func(i int, it *rawItem) error) (simulated bool, err error) {
	if err := scan.CheckUTF8(data); err != nil {
		return false, err
	}
	s := scan.New(data)
	found := false
	err = s.Object(func(key []byte) error {
		switch string(key) {
		case "simulated":
			raw, err := skipField(s, fBatchSimulated)
			simulated = isTrue(raw)
			return err
		case "data":
			if err := fData.Next(s); err != nil || s.Peek() == 'n' {
				return cmp.Or(err, skip(s))
			}
		default:
			return skip(s)
		}
		found = true
		i := 0
		return pyjson.InField(s.Array(func() error {
			it, err := scanItem(s, model)
			if err == nil {
				err = fn(i, it)
			}
			i++
			return pyjson.InIndex(err, i-1)
		}), "data")
	})
	if err == nil && !found {
		err = fmt.Errorf("no data list")
	}
	return simulated, err
}

func skip(s *scan.Scanner) error {
	_, err := s.Skip()
	return err
}

// The members the export reads, typed by the data contract.
var (
	fData, fBatchSimulated = spt.BatchFields.Field("data"), spt.BatchFields.Field("simulated")
	fA, fB, fT             = spt.ItemFields.Field("A"), spt.ItemFields.Field("B"), spt.ItemFields.Field("T")
	fInferences            = spt.ItemFields.Field("inferences")
	fS, fInterventions     = spt.VariantFields.Field("S"), spt.VariantFields.Field("interventions")
	fVariantSimulated      = spt.VariantFields.Field("simulated")
	fI, fR, fP             = spt.RecordFields.Field("I"), spt.RecordFields.Field("R"), spt.RecordFields.Field("P")
	fRecordSimulated       = spt.RecordFields.Field("simulated")
)

// skipField returns the raw value of member f, checking its type first.
func skipField(s *scan.Scanner, f spt.Field) ([]byte, error) {
	if err := f.Next(s); err != nil {
		return nil, err
	}
	return s.Skip()
}

func scanItem(s *scan.Scanner, model string) (*rawItem, error) {
	it := &rawItem{}
	if err := spt.Object.Next(s); err != nil {
		return nil, err
	}
	err := s.Object(func(key []byte) error {
		var err error
		switch string(key) {
		case "A":
			it.A, err = skipField(s, fA)
		case "B":
			it.B, err = skipField(s, fB)
		case "T":
			it.T, err = skipField(s, fT)
		case "inferences":
			if err := fInferences.Next(s); err != nil {
				return err
			}
			it.hasInf = true
			it.models, err = scanModels(s, model)
			err = pyjson.InField(err, "inferences")
		default:
			err = skip(s)
		}
		return err
	})
	return it, err
}

func scanModels(s *scan.Scanner, model string) ([]rawModel, error) {
	if s.Peek() != '{' {
		return nil, skip(s) // null: no inferences
	}
	var out []rawModel
	err := s.Object(func(key []byte) error {
		name := string(key)
		if model != AllModels && name != model {
			return skip(s)
		}
		m, err := scanModel(s, name)
		out = append(out, m)
		return pyjson.InKey(err, name)
	})
	return out, err
}

func scanModel(s *scan.Scanner, name string) (rawModel, error) {
	m := rawModel{name: name}
	if err := spt.Object.Next(s); err != nil {
		return m, err
	}
	err := s.Object(func(key []byte) error {
		m.keys++
		for vi, v := range spt.Variants {
			if string(key) == v {
				var err error
				m.variants[vi], err = scanVariant(s)
				return pyjson.InField(err, v)
			}
		}
		return skip(s)
	})
	return m, err
}

func scanVariant(s *scan.Scanner) (*rawVariant, error) {
	v := &rawVariant{}
	if err := spt.Object.Next(s); err != nil {
		return nil, err
	}
	err := s.Object(func(key []byte) error {
		v.keys++
		var err error
		switch string(key) {
		case "S":
			v.S, err = skipField(s, fS)
		case "tags":
			v.tags, err = spt.Tags(s)
			err = pyjson.InField(err, "tags")
		case "interventions":
			if err := fInterventions.Next(s); err != nil {
				return err
			}
			v.recs, err = scanRecords(s)
			err = pyjson.InField(err, "interventions")
		case "simulated":
			var raw []byte
			raw, err = skipField(s, fVariantSimulated)
			v.simulated = isTrue(raw)
		default:
			err = skip(s)
		}
		return err
	})
	return v, err
}

func scanRecords(s *scan.Scanner) ([]rawRecord, error) {
	var out []rawRecord
	err := s.Object(func(key []byte) error {
		r := rawRecord{key: string(key)}
		err := scanRecord(s, &r)
		out = append(out, r)
		return pyjson.InKey(err, r.key)
	})
	return out, err
}

func scanRecord(s *scan.Scanner, r *rawRecord) error {
	if err := spt.Object.Next(s); err != nil {
		return err
	}
	return s.Object(func(k []byte) error {
		var err error
		switch string(k) {
		case "I":
			r.I, err = skipField(s, fI)
		case "R":
			r.R, err = skipField(s, fR)
		case "P":
			r.P, err = skipField(s, fP)
		case "tags":
			r.tags, err = spt.Tags(s)
			err = pyjson.InField(err, "tags")
		case "simulated":
			var raw []byte
			raw, err = skipField(s, fRecordSimulated)
			r.simulated = isTrue(raw)
		default:
			err = skip(s)
		}
		return err
	})
}

// text decodes a raw value that should be a string; anything else
// (absent, null, a number) reads as "", as the loader's defaults do.
func text(raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", nil
	}
	return scan.Unquote(raw)
}
