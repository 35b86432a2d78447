package evalreport

import (
	"fmt"

	"github.com/sptflow/sptflow/pyjson"
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
// in the members it does not use (timings, say) are fine, and by exact key.
// A missing or null member takes its default; a member it uses with
// another type is an error naming the member. Null metadata is all
// defaults.
func decodeMetadata(raw []byte) (metadata, error) {
	var md metadata
	v, err := pyjson.Parse(raw)
	if err != nil || v == nil {
		return md, err
	}
	o, ok := v.(*pyjson.Object)
	if !ok {
		return md, fmt.Errorf("want an object, got %s", pyjson.TypeName(v))
	}
	d := metaDecoder{o: o}
	md.CheckpointName = d.str("checkpoint_name")
	md.Step = d.str("step")
	md.ElicitationType = d.str("elicitation_type")
	md.LoraPatch = d.optBool("lora_patch")
	if s := d.str("baseline_type"); d.present("baseline_type") {
		md.BaselineType = &s
	}
	md.Condition = d.str("condition")
	md.InterventionName = d.str("intervention_name")
	md.Timestamp = d.str("timestamp")
	if n := d.optInt("total_samples"); n != nil {
		md.TotalSamples = *n
	}
	md.SamplesProcessed = d.optInt("samples_processed")
	md.ProcessingComplete = d.optBool("processing_complete")
	return md, d.err
}

// metaDecoder reads typed members of an object, keeping the first type
// error.
type metaDecoder struct {
	o   *pyjson.Object
	err error
}

// present reports whether member k is there and not null.
func (d *metaDecoder) present(k string) bool {
	v, ok := d.o.Get(k)
	return ok && v != nil
}

// wrong records that member k holds v, not a want.
func (d *metaDecoder) wrong(k, want string, v any) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: want %s, got %s", k, want, pyjson.TypeName(v))
	}
}

func (d *metaDecoder) str(k string) string {
	v, _ := d.o.Get(k)
	s, ok := v.(string)
	if !ok && v != nil {
		d.wrong(k, "a string", v)
	}
	return s
}

func (d *metaDecoder) optBool(k string) *bool {
	v, _ := d.o.Get(k)
	b, ok := v.(bool)
	if !ok {
		if v != nil {
			d.wrong(k, "a boolean", v)
		}
		return nil
	}
	return &b
}

func (d *metaDecoder) optInt(k string) *int {
	v, _ := d.o.Get(k)
	if v == nil {
		return nil
	}
	n, ok := v.(pyjson.Number)
	i, isInt := n.Int64()
	if !ok || !isInt {
		d.wrong(k, "an integer", v)
		return nil
	}
	m := int(i)
	return &m
}
