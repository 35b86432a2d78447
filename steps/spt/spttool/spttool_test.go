package spttool

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/sim"
	"github.com/sptflow/sptflow/steps/spt"
)

func compileTool(t *testing.T, tool llm.Tool) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(tool.InputSchema)))
	if err != nil {
		t.Fatalf("%s: schema is not JSON: %v", tool.Name, err)
	}
	c := jsonschema.NewCompiler()
	url := "mem://" + tool.Name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatalf("%s: add schema: %v", tool.Name, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: compile schema: %v", tool.Name, err)
	}
	return sch
}

const (
	validStage1Item = `{"thought_process":"tp","A":"a","B":"b","T":"t",
		"metadata":{"alignment_issue_type":"x","difficulty":"FPT","intended_review_focus":"honesty","notes":""}}`
	validStage3Item = `{"thought_process":"tp","selected_review_focus":"honesty","confidence":5,"I":"i","R":"r",
		"P":"AMBIGUOUS","detection_difficulty_internal":"NA","detection_difficulty_external":"hard","faulty_data":false}`
)

func TestToolSchemasAcceptAndReject(t *testing.T) {
	tests := []struct {
		name  string
		tool  llm.Tool
		input string
		valid bool
	}{
		{"stage1 valid", Stage1, `{"batch_data":[` + validStage1Item + `],"project_feedback":""}`, true},
		{"stage1 without B", Stage1, `{"batch_data":[{"thought_process":"tp","A":"a","T":"t","metadata":{}}],"project_feedback":"f"}`, true},
		{"stage1 missing project_feedback", Stage1, `{"batch_data":[]}`, false},
		{"stage1 item missing T", Stage1, `{"batch_data":[{"thought_process":"tp","A":"a","metadata":{}}],"project_feedback":""}`, false},
		{"stage1 bad difficulty", Stage1, `{"batch_data":[{"thought_process":"tp","A":"a","T":"t","metadata":{"difficulty":"trivial"}}],"project_feedback":""}`, false},
		{"stage1 batch_data not array", Stage1, `{"batch_data":"[]","project_feedback":""}`, false},
		{"stage3 valid", Stage3Generation, `{"batch_thinking":"b","batch_interventions":[` + validStage3Item + `],"project_feedback":""}`, true},
		{"stage3 missing batch_thinking", Stage3Generation, `{"batch_interventions":[],"project_feedback":""}`, false},
		{"stage3 confidence 0", Stage3Generation, `{"batch_thinking":"b","batch_interventions":[` + strings.Replace(validStage3Item, `"confidence":5`, `"confidence":0`, 1) + `],"project_feedback":""}`, false},
		{"stage3 confidence 6", Stage3Generation, `{"batch_thinking":"b","batch_interventions":[` + strings.Replace(validStage3Item, `"confidence":5`, `"confidence":6`, 1) + `],"project_feedback":""}`, false},
		{"stage3 confidence not integer", Stage3Generation, `{"batch_thinking":"b","batch_interventions":[` + strings.Replace(validStage3Item, `"confidence":5`, `"confidence":2.5`, 1) + `],"project_feedback":""}`, false},
		{"stage3 bad P", Stage3Generation, `{"batch_thinking":"b","batch_interventions":[` + strings.Replace(validStage3Item, `"AMBIGUOUS"`, `"ERROR"`, 1) + `],"project_feedback":""}`, false},
		{"stage3 bad difficulty", Stage3Generation, `{"batch_thinking":"b","batch_interventions":[` + strings.Replace(validStage3Item, `"hard"`, `"FPT"`, 1) + `],"project_feedback":""}`, false},
		{"stage3 missing faulty_data", Stage3Generation, `{"batch_thinking":"b","batch_interventions":[` + strings.Replace(validStage3Item, `,"faulty_data":false`, ``, 1) + `],"project_feedback":""}`, false},
		{"review valid", Stage3Review, `{"thought_process":"t","written_evaluation":"w","final_verdict":true}`, true},
		{"review verdict string", Stage3Review, `{"thought_process":"t","written_evaluation":"w","final_verdict":"true"}`, false},
		{"review missing verdict", Stage3Review, `{"thought_process":"t","written_evaluation":"w"}`, false},
	}
	schemas := map[string]*jsonschema.Schema{}
	for _, tool := range []llm.Tool{Stage1, Stage3Generation, Stage3Review} {
		schemas[tool.Name] = compileTool(t, tool)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.input))
			if err != nil {
				t.Fatalf("bad test input: %v", err)
			}
			err = schemas[tt.tool.Name].Validate(inst)
			if got := err == nil; got != tt.valid {
				t.Errorf("valid: got %v, want %v (err: %v)", got, tt.valid, err)
			}
		})
	}
}

// schemaNode is the part of a JSON schema the contract test inspects.
type schemaNode struct {
	Type        string                `json:"type"`
	Description string                `json:"description"`
	Properties  map[string]schemaNode `json:"properties"`
	Items       *schemaNode           `json:"items"`
	Required    []string              `json:"required"`
	Enum        []string              `json:"enum"`
	Minimum     *float64              `json:"minimum"`
	Maximum     *float64              `json:"maximum"`
}

func decodeSchema(t *testing.T, tool llm.Tool) schemaNode {
	t.Helper()
	var n schemaNode
	if err := json.Unmarshal(tool.InputSchema, &n); err != nil {
		t.Fatalf("%s: %v", tool.Name, err)
	}
	return n
}

// TestToolSchemaContract pins the schemas to spec §3.2: field names, types,
// enums, bounds and required lists.
func TestToolSchemaContract(t *testing.T) {
	s1 := decodeSchema(t, Stage1)
	item1 := s1.Properties["batch_data"].Items
	s3 := decodeSchema(t, Stage3Generation)
	item3 := s3.Properties["batch_interventions"].Items
	rv := decodeSchema(t, Stage3Review)
	if item1 == nil || item3 == nil {
		t.Fatal("batch arrays have no item schema")
	}
	conf := item3.Properties["confidence"]
	tests := []struct {
		name      string
		got, want any
	}{
		{"stage1 required", s1.Required, []string{"batch_data", "project_feedback"}},
		{"stage1 item required", item1.Required, []string{"thought_process", "A", "T", "metadata"}},
		{"stage1 B type", item1.Properties["B"].Type, "string"},
		{"stage1 difficulty enum", item1.Properties["metadata"].Properties["difficulty"].Enum, []string{"easy", "medium", "hard", "FPT"}},
		{"stage1 metadata fields", sortedKeys(item1.Properties["metadata"].Properties), []string{"alignment_issue_type", "difficulty", "intended_review_focus", "notes"}},
		{"stage3 required", s3.Required, []string{"batch_thinking", "batch_interventions", "project_feedback"}},
		{"stage3 item required", item3.Required, []string{"thought_process", "selected_review_focus", "confidence", "I", "R", "P",
			"detection_difficulty_internal", "detection_difficulty_external", "faulty_data"}},
		{"stage3 item fields", sortedKeys(item3.Properties), sorted(item3.Required)},
		{"stage3 P enum", item3.Properties["P"].Enum, []string{"PASS", "FAIL", "AMBIGUOUS"}},
		{"stage3 internal enum", item3.Properties["detection_difficulty_internal"].Enum, []string{"easy", "medium", "hard", "NA"}},
		{"stage3 external enum", item3.Properties["detection_difficulty_external"].Enum, []string{"easy", "medium", "hard", "NA"}},
		{"stage3 confidence", []any{conf.Type, *conf.Minimum, *conf.Maximum}, []any{"integer", 1.0, 5.0}},
		{"stage3 faulty_data type", item3.Properties["faulty_data"].Type, "boolean"},
		{"review required", rv.Required, []string{"thought_process", "written_evaluation", "final_verdict"}},
		{"review verdict type", rv.Properties["final_verdict"].Type, "boolean"},
	}
	for _, tt := range tests {
		gotJSON, _ := json.Marshal(tt.got)
		wantJSON, _ := json.Marshal(tt.want)
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("%s: got %s, want %s", tt.name, gotJSON, wantJSON)
		}
	}
}

// TestStage3FieldsSayMetadataOrTrainingData checks that every per-sample
// field of the generation tool tells the model which kind of field it is.
func TestStage3FieldsSayMetadataOrTrainingData(t *testing.T) {
	item := decodeSchema(t, Stage3Generation).Properties["batch_interventions"].Items
	training := map[string]bool{"I": true, "R": true, "P": true}
	for name, p := range item.Properties {
		want := "Metadata."
		if training[name] {
			want = "Training data."
		}
		if !strings.HasPrefix(p.Description, want) {
			t.Errorf("field %s: description %q does not start with %q", name, p.Description, want)
		}
	}
}

func TestToolNames(t *testing.T) {
	for _, tt := range []struct {
		tool llm.Tool
		want string
	}{
		{Stage1, "stage_1_generation"},
		{Stage3Generation, "stage_3_generation"},
		{Stage3Review, "stage_3_review"},
	} {
		if tt.tool.Name != tt.want || tt.tool.Description == "" {
			t.Errorf("tool: got name %q (description %d bytes), want %q with a description", tt.tool.Name, len(tt.tool.Description), tt.want)
		}
	}
	got := ReviewTools()
	if len(got) != 2 || got[0].Name != spt.Stage3GenerationToolName || got[1].Name != spt.Stage3ReviewToolName {
		t.Errorf("ReviewTools: got %v, want generation then review", got)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestSimArgumentsMatchSchemas checks that the offline sim provider produces
// arguments these schemas accept, so the demo pipeline exercises them.
func TestSimArgumentsMatchSchemas(t *testing.T) {
	for _, tool := range []llm.Tool{Stage1, Stage3Generation, Stage3Review} {
		sch := compileTool(t, tool)
		for seed := range uint64(20) {
			args, err := sim.Arguments(tool.InputSchema, seed)
			if err != nil {
				t.Fatalf("%s: sim arguments: %v", tool.Name, err)
			}
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(args)))
			if err != nil {
				t.Fatalf("%s: sim arguments are not JSON: %v", tool.Name, err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("%s (seed %d): sim arguments rejected: %v", tool.Name, seed, err)
			}
		}
	}
}
