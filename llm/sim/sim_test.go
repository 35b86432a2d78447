package sim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/sim"
)

// Schemas of the pipeline's tools (reference-pipeline §3.2) and a few
// shapes that exercise the generator.
var schemas = map[string]string{
	"stage_1_generation": `{"type":"object","properties":{"batch_data":{"type":"array","items":{"type":"object",
		"properties":{"thought_process":{"type":"string"},"A":{"type":"string"},"B":{"type":"string"},"T":{"type":"string"},
		"metadata":{"type":"object","properties":{"alignment_issue_type":{"type":"string"},
		"difficulty":{"type":"string","enum":["easy","medium","hard","FPT"]},"intended_review_focus":{"type":"string"},
		"notes":{"type":"string"}}}},"required":["thought_process","A","T","metadata"]}},
		"project_feedback":{"type":"string"}},"required":["batch_data","project_feedback"]}`,
	"stage_3_generation": `{"type":"object","properties":{"batch_thinking":{"type":"string"},"batch_interventions":{"type":"array",
		"items":{"type":"object","properties":{"thought_process":{"type":"string"},"selected_review_focus":{"type":"string"},
		"confidence":{"type":"integer","minimum":1,"maximum":5},"I":{"type":"string"},"R":{"type":"string"},
		"P":{"type":"string","enum":["PASS","FAIL","AMBIGUOUS"]},
		"detection_difficulty_internal":{"type":"string","enum":["easy","medium","hard","NA"]},
		"detection_difficulty_external":{"type":"string","enum":["easy","medium","hard","NA"]},"faulty_data":{"type":"boolean"}},
		"required":["thought_process","selected_review_focus","confidence","I","R","P","detection_difficulty_internal",
		"detection_difficulty_external","faulty_data"]}},"project_feedback":{"type":"string"}},
		"required":["batch_thinking","batch_interventions","project_feedback"]}`,
	"stage_3_review": `{"type":"object","properties":{"thought_process":{"type":"string"},"written_evaluation":{"type":"string"},
		"final_verdict":{"type":"boolean"}},"required":["thought_process","written_evaluation","final_verdict"]}`,
	"bounds": `{"type":"object","properties":{"n":{"type":"integer","exclusiveMinimum":10,"exclusiveMaximum":13},
		"x":{"type":"number","minimum":-1.5,"maximum":-1.25},"s":{"type":"string","minLength":200,"maxLength":220},
		"tags":{"type":"array","items":{"type":"string","maxLength":5},"minItems":3,"maxItems":3},
		"c":{"const":"fixed"},"ref":{"$ref":"#/$defs/leaf"},"u":{"anyOf":[{"type":"integer","minimum":7,"maximum":7},{"type":"string"}]},
		"nullable":{"type":["null","boolean"]}},"required":["n","x","s","tags","c","ref","u","nullable"],"additionalProperties":false,
		"$defs":{"leaf":{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}}}`,
}

func compile(t *testing.T, name, schema string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name+".json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestArgumentsValidate(t *testing.T) {
	for name, schema := range schemas {
		t.Run(name, func(t *testing.T) {
			sch := compile(t, name, schema)
			distinct := map[string]bool{}
			for seed := range uint64(200) {
				args, err := sim.Arguments([]byte(schema), seed)
				if err != nil {
					t.Fatal(err)
				}
				v, err := jsonschema.UnmarshalJSON(bytes.NewReader(args))
				if err != nil {
					t.Fatalf("seed %d: invalid JSON %s: %v", seed, args, err)
				}
				if err := sch.Validate(v); err != nil {
					t.Fatalf("seed %d: %s\ndoes not validate: %v", seed, args, err)
				}
				distinct[string(args)] = true
			}
			if len(distinct) < 150 {
				t.Errorf("got %d distinct outputs of 200, want varied output", len(distinct))
			}
		})
	}
}

func TestArgumentsKeepSchemaOrder(t *testing.T) {
	args, err := sim.Arguments([]byte(schemas["stage_3_review"]), 1)
	if err != nil {
		t.Fatal(err)
	}
	s := string(args)
	if a, b, c := strings.Index(s, "thought_process"), strings.Index(s, "written_evaluation"), strings.Index(s, "final_verdict"); !(a < b && b < c) {
		t.Errorf("keys out of schema order: %s", s)
	}
}

func simSpec(t *testing.T, simOpts map[string]any) *llm.ModelSpec {
	t.Helper()
	raw := map[string]any{"provider": "sim", "model": "tiny"}
	if simOpts != nil {
		raw["sim"] = simOpts
	}
	spec, err := llm.ParseModelSpec("s", raw)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

func toolRequest(replica int) *llm.Request {
	return &llm.Request{System: "sys", Messages: []llm.Message{{Role: llm.RoleUser, Content: "go"}},
		Tools:     []llm.Tool{{Name: "stage_3_review", InputSchema: json.RawMessage(schemas["stage_3_review"])}},
		ForceTool: "stage_3_review", Replica: replica}
}

func TestCallIsDeterministicAndLabelled(t *testing.T) {
	spec := simSpec(t, nil)
	tests := []struct {
		name string
		req  func(int) *llm.Request
	}{
		{"tool", toolRequest},
		{"text", func(r int) *llm.Request {
			return &llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "hi"}}, Replica: r}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := sim.New(spec, nil, nil).Call(t.Context(), spec.Apply(tt.req(0)))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := sim.New(spec, nil, nil).Call(t.Context(), spec.Apply(tt.req(0)))
			c, _ := sim.New(spec, nil, nil).Call(t.Context(), spec.Apply(tt.req(1)))
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			jc, _ := json.Marshal(c)
			if !bytes.Equal(ja, jb) {
				t.Errorf("same request, different responses:\n%s\n%s", ja, jb)
			}
			if bytes.Equal(ja, jc) {
				t.Errorf("replicas 0 and 1 gave the same response %s", ja)
			}
			if !a.Simulated || a.Model != "sim/tiny" || a.Usage.InputTokens == 0 || a.Usage.OutputTokens == 0 {
				t.Errorf("got simulated %v model %q usage %+v", a.Simulated, a.Model, a.Usage)
			}
		})
	}
	text, _ := sim.New(spec, nil, nil).Call(t.Context(), spec.Apply(tests[1].req(0)))
	if n := strings.Count(text.Text, ". "); n < 2 {
		t.Errorf("plain answer has %d sentence breaks, want a multi-sentence text: %q", n, text.Text)
	}
}

type fixedResponder struct{ seen uint64 }

func (f *fixedResponder) Respond(req *llm.Request, seed uint64) (*llm.Response, error) {
	f.seen = seed
	return &llm.Response{ToolCalls: []llm.ToolCall{{Name: req.ForceTool, Arguments: json.RawMessage(`{"x":1}`)}},
		StopReason: llm.StopToolUse}, nil
}

func TestRegisteredResponderWins(t *testing.T) {
	spec := simSpec(t, nil)
	r := &fixedResponder{}
	resp, err := sim.New(spec, map[string]sim.Responder{"stage_3_review": r}, nil).Call(t.Context(), spec.Apply(toolRequest(0)))
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.ToolCalls[0].Arguments) != `{"x":1}` || r.seen != sim.Seed(toolRequest(0), spec) || !resp.Simulated {
		t.Errorf("got %s seed %d simulated %v", resp.ToolCalls[0].Arguments, r.seen, resp.Simulated)
	}
}

func TestFailureRates(t *testing.T) {
	tests := []struct {
		opts map[string]any
		kind llm.ErrorKind
	}{
		{map[string]any{"rate_limit_rate": 0.3}, llm.KindRateLimited},
		{map[string]any{"server_error_rate": 0.3}, llm.KindServer},
		{map[string]any{"truncation_rate": 0.3}, llm.KindTruncated},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			spec := simSpec(t, tt.opts)
			count := func() int {
				p, n := sim.New(spec, nil, nil), 0
				for i := range 400 {
					_, err := p.Call(t.Context(), spec.Apply(toolRequest(i)))
					var e *llm.Error
					if errors.As(err, &e) && e.Kind == tt.kind {
						n++
					} else if err != nil {
						t.Fatalf("unexpected error %v", err)
					}
				}
				return n
			}
			n := count()
			if n < 80 || n > 160 {
				t.Errorf("got %d %s failures of 400 at rate 0.3", n, tt.kind)
			}
			if again := count(); again != n {
				t.Errorf("failures not deterministic: %d then %d", n, again)
			}
		})
	}
}

func TestRetryOfFailedAttemptCanSucceed(t *testing.T) {
	spec := simSpec(t, map[string]any{"server_error_rate": 0.5})
	p := sim.New(spec, nil, nil)
	for i := range 20 {
		req := spec.Apply(toolRequest(i))
		var err error
		for range 20 {
			if _, err = p.Call(t.Context(), req); err == nil {
				break
			}
		}
		if err != nil {
			t.Errorf("replica %d failed 20 attempts in a row at rate 0.5: %v", i, err)
		}
	}
}

func TestConnectRejectsOtherProviders(t *testing.T) {
	spec, _ := llm.ParseModelSpec("o", map[string]any{"provider": "openai", "model": "gpt-4o"})
	if _, err := sim.Connect(spec, llm.ConnectEnv{}); err == nil {
		t.Error("got no error")
	}
}
