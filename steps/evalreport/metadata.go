package evalreport

import (
	"fmt"

	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/pyjson/scan"
)

// metadata is what a result file's metadata says about its run.
type metadata struct {
	CheckpointName     string
	Step               string
	ElicitationType    string
	LoraPatch          *bool
	BaselineType       *string
	Condition          string
	InterventionName   string
	Timestamp          string
	TotalSamples       int
	SamplesProcessed   *int
	ProcessingComplete *bool
}

// decodeMetadata reads a result file's metadata object (raw, one JSON
// value) as the original reads it: with Python's json, so NaN and Infinity
// in the members it does not use (timings, say) are fine, and by exact key
// (a repeated key's last value counts). A missing or null member takes its
// default; a member it uses with another type is an error naming the
// member. Null metadata is all defaults.
func decodeMetadata(raw []byte) (metadata, error) {
	var md metadata
	s := scan.NewStrict(raw)
	if s.Peek() == 'n' {
		_, err := s.Literal()
		return md, err
	}
	if c := s.Peek(); c != '{' {
		return md, fmt.Errorf("want an object, got %s", jsonType(c))
	}
	err := s.Object(func(key []byte) error {
		k := string(key)
		var err error
		if p := md.text(k); p != nil {
			*p, _, err = metaString(s, k)
			return err
		}
		switch k {
		case "baseline_type":
			var v string
			var ok bool
			v, ok, err = metaString(s, k)
			md.BaselineType = nil
			if ok {
				md.BaselineType = &v
			}
		case "lora_patch":
			md.LoraPatch, err = metaBool(s, k)
		case "processing_complete":
			md.ProcessingComplete, err = metaBool(s, k)
		case "total_samples":
			var n *int
			n, err = metaInt(s, k)
			md.TotalSamples = 0
			if n != nil {
				md.TotalSamples = *n
			}
		case "samples_processed":
			md.SamplesProcessed, err = metaInt(s, k)
		default:
			_, err = s.Skip()
		}
		return err
	})
	if err == nil {
		err = s.End()
	}
	return md, err
}

// text returns the string member named k, or nil.
func (md *metadata) text(k string) *string {
	switch k {
	case "checkpoint_name":
		return &md.CheckpointName
	case "step":
		return &md.Step
	case "elicitation_type":
		return &md.ElicitationType
	case "condition":
		return &md.Condition
	case "intervention_name":
		return &md.InterventionName
	case "timestamp":
		return &md.Timestamp
	}
	return nil
}

// metaString reads member k: a string (ok true) or null.
func metaString(s *scan.Scanner, k string) (v string, ok bool, err error) {
	switch c := s.Peek(); c {
	case '"':
		v, err = s.Str()
		return v, err == nil, err
	case 'n':
		_, err = s.Literal()
		return "", false, err
	default:
		return "", false, wrongType(s, k, "a string", c)
	}
}

// metaBool reads member k: a boolean, or null (nil).
func metaBool(s *scan.Scanner, k string) (*bool, error) {
	switch c := s.Peek(); c {
	case 't', 'f', 'n':
		v, err := s.Literal()
		if b, ok := v.(bool); ok && err == nil {
			return &b, nil
		}
		return nil, err
	default:
		return nil, wrongType(s, k, "a boolean", c)
	}
}

// metaInt reads member k: an integer (77.0 is one), or null (nil).
func metaInt(s *scan.Scanner, k string) (*int, error) {
	c := s.Peek()
	if c == 'n' {
		_, err := s.Literal()
		return nil, err
	}
	if jsonType(c) != "a number" {
		return nil, wrongType(s, k, "an integer", c)
	}
	tok, err := s.Number()
	if err != nil {
		return nil, err
	}
	i, ok := pyjson.NumberOf(tok).Int64()
	if !ok {
		return nil, fmt.Errorf("%s: want an integer, got %s", k, tok)
	}
	n := int(i)
	return &n, nil
}

// wrongType skips the value at the cursor, which starts with c, and
// returns the error that member k holds it instead of a want.
func wrongType(s *scan.Scanner, k, want string, c byte) error {
	if _, err := s.Skip(); err != nil {
		return err
	}
	return fmt.Errorf("%s: want %s, got %s", k, want, jsonType(c))
}

// jsonType names the type of the JSON value that starts with c.
func jsonType(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '-', 'N', 'I', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	}
	return fmt.Sprintf("%q", c)
}
