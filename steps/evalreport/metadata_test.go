package evalreport

import (
	"reflect"
	"testing"
)

func TestDecodeMetadata(t *testing.T) {
	yes, no, base, empty, n := true, false, "poisoned", "", 104
	tests := []struct {
		raw  string
		want metadata
		err  string
	}{
		{`null`, metadata{}, ""},
		{`{}`, metadata{}, ""},
		{`{"checkpoint_name": "ck", "step": "step_5", "elicitation_type": "hp", "lora_patch": true, "condition": "trained_actual",
		  "intervention_name": "iv", "timestamp": "t", "total_samples": 1000, "samples_processed": 104, "processing_complete": false,
		  "timing": {"average_time_per_sample_seconds": NaN, "max": Infinity}}`,
			metadata{CheckpointName: "ck", Step: "step_5", ElicitationType: "hp", LoraPatch: &yes, Condition: TrainedActual,
				InterventionName: "iv", Timestamp: "t", TotalSamples: 1000, SamplesProcessed: &n, ProcessingComplete: &no}, ""},
		{`{"baseline_type": "poisoned"}`, metadata{BaselineType: &base}, ""},
		{`{"baseline_type": ""}`, metadata{BaselineType: &empty}, ""},
		{`{"baseline_type": null, "lora_patch": null, "checkpoint_name": null}`, metadata{}, ""},
		// Keys are exact, as Python's dict.get.
		{`{"Checkpoint_Name": "ck", "LORA_PATCH": true}`, metadata{}, ""},
		{`{"total_samples": 77.0}`, metadata{TotalSamples: 77}, ""},
		{`{"lora_patch": 1}`, metadata{}, "lora_patch: want a boolean, got a number"},
		{`{"checkpoint_name": ["a"]}`, metadata{}, "checkpoint_name: want a string, got an array"},
		{`{"total_samples": 7.5}`, metadata{}, "total_samples: want an integer, got 7.5"},
		{`{"total_samples": "7"}`, metadata{}, "total_samples: want an integer, got a string"},
		{`{"checkpoint_name": "a", "checkpoint_name": "b", "baseline_type": "x", "baseline_type": null}`, metadata{CheckpointName: "b"}, ""},
		{`{"lora_patch": tru}`, metadata{}, `offset 15: invalid literal "tru"`},
		{`[1]`, metadata{}, "want an object, got an array"},
	}
	for _, tt := range tests {
		got, err := decodeMetadata([]byte(tt.raw))
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: error %v, want %s", tt.raw, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, %v; want %+v", tt.raw, got, err, tt.want)
		}
	}
}
