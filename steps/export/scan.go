package export

import (
	"fmt"

	"github.com/sptflow/sptflow/pyjson/scan"
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
// provider).
func scanBatch(data []byte, model string, fn func(i int, it *rawItem) error) (simulated bool, err error) {
	s := scan.New(data)
	found := false
	err = s.Object(func(key []byte) error {
		if string(key) == "simulated" {
			raw, err := s.Skip()
			simulated = isTrue(raw)
			return err
		}
		if string(key) != "data" {
			_, err := s.Skip()
			return err
		}
		found = true
		i := 0
		return s.Array(func() error {
			it, err := scanItem(s, model)
			if err != nil {
				return fmt.Errorf("data[%d]: %w", i, err)
			}
			i++
			return fn(i-1, it)
		})
	})
	if err == nil && !found {
		err = fmt.Errorf("no data list")
	}
	return simulated, err
}

func scanItem(s *scan.Scanner, model string) (*rawItem, error) {
	it := &rawItem{}
	if s.Peek() != '{' {
		return nil, fmt.Errorf("item is not an object")
	}
	err := s.Object(func(key []byte) error {
		var err error
		switch string(key) {
		case "A":
			it.A, err = s.Skip()
		case "B":
			it.B, err = s.Skip()
		case "T":
			it.T, err = s.Skip()
		case "inferences":
			it.hasInf = true
			it.models, err = scanModels(s, model)
		default:
			_, err = s.Skip()
		}
		return err
	})
	return it, err
}

func scanModels(s *scan.Scanner, model string) ([]rawModel, error) {
	if s.Peek() != '{' {
		_, err := s.Skip() // null: no inferences
		return nil, err
	}
	var out []rawModel
	err := s.Object(func(key []byte) error {
		name := string(key)
		if model != AllModels && name != model {
			_, err := s.Skip()
			return err
		}
		m, err := scanModel(s, name)
		if err != nil {
			return fmt.Errorf("inferences[%q]: %w", name, err)
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

func scanModel(s *scan.Scanner, name string) (rawModel, error) {
	m := rawModel{name: name}
	if s.Peek() != '{' {
		return m, fmt.Errorf("not an object")
	}
	err := s.Object(func(key []byte) error {
		m.keys++
		for vi, v := range [2]string{"A", "B"} {
			if string(key) == v {
				var err error
				m.variants[vi], err = scanVariant(s)
				if err != nil {
					return fmt.Errorf("variant %s: %w", v, err)
				}
				return nil
			}
		}
		_, err := s.Skip()
		return err
	})
	return m, err
}

func scanVariant(s *scan.Scanner) (*rawVariant, error) {
	v := &rawVariant{}
	if s.Peek() != '{' {
		return nil, fmt.Errorf("not an object")
	}
	err := s.Object(func(key []byte) error {
		v.keys++
		var err error
		switch string(key) {
		case "S":
			v.S, err = s.Skip()
		case "tags":
			v.tags, err = scanStrings(s)
		case "interventions":
			v.recs, err = scanRecords(s)
		case "simulated":
			var raw []byte
			raw, err = s.Skip()
			v.simulated = isTrue(raw)
		default:
			_, err = s.Skip()
		}
		return err
	})
	return v, err
}

func scanRecords(s *scan.Scanner) ([]rawRecord, error) {
	if s.Peek() != '{' {
		return nil, fmt.Errorf("interventions is not an object")
	}
	var out []rawRecord
	err := s.Object(func(key []byte) error {
		r := rawRecord{key: string(key)}
		if s.Peek() != '{' {
			return fmt.Errorf("interventions[%q] is not an object", r.key)
		}
		err := s.Object(func(k []byte) error {
			var err error
			switch string(k) {
			case "I":
				r.I, err = s.Skip()
			case "R":
				r.R, err = s.Skip()
			case "P":
				r.P, err = s.Skip()
			case "tags":
				r.tags, err = scanStrings(s)
			case "simulated":
				var raw []byte
				raw, err = s.Skip()
				r.simulated = isTrue(raw)
			default:
				_, err = s.Skip()
			}
			return err
		})
		out = append(out, r)
		return err
	})
	return out, err
}

// scanStrings reads a list, keeping its string elements; anything else
// reads as no strings.
func scanStrings(s *scan.Scanner) ([]string, error) {
	if s.Peek() != '[' {
		_, err := s.Skip()
		return nil, err
	}
	return s.Strings()
}

// text decodes a raw value that should be a string; anything else
// (absent, null, a number) reads as "", as the loader's defaults do.
func text(raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", nil
	}
	return scan.Unquote(raw)
}
