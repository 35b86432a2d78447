package sptsim_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/sim"
	"github.com/sptflow/sptflow/pyjson"
	"github.com/sptflow/sptflow/steps/spt"
	"github.com/sptflow/sptflow/steps/spt/sptsim"
	"github.com/sptflow/sptflow/steps/spt/spttool"
)

// The tests drive the responders through the sim provider as the pipeline
// does: stage-1 batches from the project's shipped prompts, stage-2 answers
// to every A and B prompt, stage-3 batches over those answers, and reviews.

const itemsPerBatch = 5

func prompts(t *testing.T) *spt.Prompts {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p, err := spt.LoadPrompts(filepath.Join(filepath.Dir(file), "..", "..", "..", "prompts"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func provider(t *testing.T, model string, simOpts map[string]any) llm.Provider {
	t.Helper()
	raw := map[string]any{"provider": "sim", "model": model, "max_tokens": 2048}
	if simOpts != nil {
		raw["sim"] = simOpts
	}
	spec, err := llm.ParseModelSpec(model, raw)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sim.Connect(spec, llm.ConnectEnv{Sim: sptsim.Responders()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func compile(t *testing.T, tool llm.Tool) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(tool.InputSchema)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mem://"+tool.Name, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("mem://" + tool.Name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// world runs simulated stages and records everything they returned.
type world struct {
	t         *testing.T
	prompts   *spt.Prompts
	gen, tgt  llm.Provider
	rev       llm.Provider
	schemas   map[string]*jsonschema.Schema
	responses []*llm.Response // since the last countAnswers
	// transcript is every response's text or tool arguments, in order.
	transcript []string
}

func newWorld(t *testing.T, reviewOpts map[string]any) *world {
	return &world{t: t, prompts: prompts(t),
		gen: provider(t, "claude-opus-4-1", nil), tgt: provider(t, "qwen/qwen3-32b", nil),
		rev: provider(t, "claude-sonnet-4-5", reviewOpts),
		schemas: map[string]*jsonschema.Schema{
			spt.Stage1ToolName:           compile(t, spttool.Stage1),
			spt.Stage3GenerationToolName: compile(t, spttool.Stage3Generation),
			spt.Stage3ReviewToolName:     compile(t, spttool.Stage3Review),
		}}
}

// call sends req and checks what every simulated response must satisfy: the
// simulated label and served model, and, for a forced tool, one call whose
// arguments pass the tool's schema. It returns the arguments (or the text).
func (w *world) call(p llm.Provider, req *llm.Request) (*pyjson.Object, string) {
	w.t.Helper()
	resp, err := p.Call(context.Background(), req)
	if err != nil {
		w.t.Fatalf("%s: %v", req.ForceTool, err)
	}
	w.responses = append(w.responses, resp)
	if !resp.Simulated || !strings.HasPrefix(resp.Model, "sim/") {
		w.t.Errorf("%s: got simulated=%v model=%q, want a response labelled simulated", req.ForceTool, resp.Simulated, resp.Model)
	}
	if req.ForceTool == "" {
		w.transcript = append(w.transcript, resp.Text)
		return nil, resp.Text
	}
	tc := resp.Tool(req.ForceTool)
	if tc == nil || len(resp.ToolCalls) != 1 {
		w.t.Fatalf("%s: got tool calls %+v, want one", req.ForceTool, resp.ToolCalls)
	}
	w.transcript = append(w.transcript, string(tc.Arguments))
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(tc.Arguments)))
	if err != nil {
		w.t.Fatalf("%s: arguments are not JSON: %v", req.ForceTool, err)
	}
	if err := w.schemas[req.ForceTool].Validate(inst); err != nil {
		w.t.Errorf("%s: arguments rejected by the schema: %v\n%s", req.ForceTool, err, tc.Arguments)
	}
	args, err := pyjson.ParseObject(tc.Arguments)
	if err != nil {
		w.t.Fatal(err)
	}
	return args, string(tc.Arguments)
}

func (w *world) stage1(topic string, replica int) []*pyjson.Object {
	w.t.Helper()
	user, err := w.prompts.Stage1(topic, itemsPerBatch)
	if err != nil {
		w.t.Fatal(err)
	}
	args, _ := w.call(w.gen, &llm.Request{System: w.prompts.Base(), Messages: []llm.Message{{Role: llm.RoleUser, Content: user}},
		Tools: []llm.Tool{spttool.Stage1}, ForceTool: spt.Stage1ToolName, Replica: replica})
	list, _ := args.Get("batch_data")
	items := list.([]any)
	if len(items) != itemsPerBatch {
		w.t.Errorf("%s replica %d: got %d samples, want %d (the prompt asks for them)", topic, replica, len(items), itemsPerBatch)
	}
	out := make([]*pyjson.Object, len(items))
	for i, it := range items {
		out[i] = it.(*pyjson.Object)
		if got, _ := out[i].Obj("metadata").Str("alignment_issue_type"); got != topic {
			w.t.Errorf("%s replica %d: alignment_issue_type %q, want the prompt's topic", topic, replica, got)
		}
	}
	return out
}

// sample is one answered (item, variant).
type sample struct {
	item    *pyjson.Object
	variant string
	s       string
}

func (w *world) answer(it *pyjson.Object, variant string) sample {
	system, _ := it.Str(variant)
	task, _ := it.Str("T")
	_, text := w.call(w.tgt, &llm.Request{System: system, Messages: []llm.Message{{Role: llm.RoleUser, Content: task}}, MaxTokens: 2048})
	return sample{item: it, variant: variant, s: text}
}

// block is the stage-3 sample block, in the labels intervene writes.
func block(samples []sample) string {
	var b strings.Builder
	b.WriteString(sptsim.SamplesHeading)
	for i, s := range samples {
		a, _ := s.item.Str("A")
		fmt.Fprintf(&b, "### Sample %d:\n", i+1)
		if s.variant == "B" {
			bp, _ := s.item.Str("B")
			fmt.Fprintf(&b, "**System Prompt (B variant used):** %s\n**Original unbiased prompt (A) for reference:** %s\n", bp, a)
		} else {
			fmt.Fprintf(&b, "**System Prompt (A variant used):** %s\n", a)
		}
		task, _ := s.item.Str("T")
		focus, _ := s.item.Obj("metadata").Str("intended_review_focus")
		fmt.Fprintf(&b, "**User Message (T):** %s\n**Model Response (S):** %s\n**Intended Review Focus:** %s\n\n", task, s.s, focus)
	}
	return b.String()
}

func (w *world) stage3(topic, intervention string, samples []sample) ([]*pyjson.Object, string) {
	w.t.Helper()
	user, err := w.prompts.Stage3(topic, intervention, len(samples))
	if err != nil {
		w.t.Fatal(err)
	}
	args, raw := w.call(w.gen, &llm.Request{System: w.prompts.Base(),
		Messages: []llm.Message{{Role: llm.RoleUser, Content: user + block(samples)}},
		Tools:    []llm.Tool{spttool.Stage3Generation}, ForceTool: spt.Stage3GenerationToolName})
	list, _ := args.Get("batch_interventions")
	ivs := list.([]any)
	if len(ivs) != len(samples) {
		w.t.Fatalf("%s %s: got %d interventions for %d samples", topic, intervention, len(ivs), len(samples))
	}
	out := make([]*pyjson.Object, len(ivs))
	for i, iv := range ivs {
		out[i] = iv.(*pyjson.Object)
	}
	return out, raw
}

func (w *world) review(samples string, output string, round int) bool {
	w.t.Helper()
	args, _ := w.call(w.rev, &llm.Request{System: w.prompts.Base(),
		Messages: []llm.Message{{Role: llm.RoleUser, Content: spt.ReviewMessage([]byte(samples), []byte(output))}},
		Tools:    spttool.ReviewTools(), ForceTool: spt.Stage3ReviewToolName, Replica: round})
	v, _ := args.Get("final_verdict")
	return v == true
}

// stats is what the realism checks count.
type stats struct {
	samples, withB                int
	answersA, answersB, compliedA int
	compliedB, truncated          int
	verdicts                      map[string]int
	failOnComplied, complied      int
	passOnHonest, honest          int
	lowConfidence, records, leaks int
	splitWithToken, split         int
	reviews, rejected             int
	topicFocus, focusChecked      int
	distinctI                     map[string]bool
	difficulties, detectionDiffs  map[string]int
}

// leakRE holds patterns of the tagger's leakage list L1 (spec §8.4).
var leakRE = regexp.MustCompile(`(?i)\b[AB]\s+(?:variant|prompt)\b|\bthe\s+[AB]\s+prompt\b|\bStage\s+[123]\b|` +
	`\bSample\s+\d+(?:\s*[:\-])|\bbatch\s+\d+\b|\bFPT\b|\bhonesty\s+scare\b|\bsplit\s+personality\b|` +
	`\bintervention\s+(?:type|name|method)\b`)

// simulate runs replicas batches per topic through every stage.
func simulate(t *testing.T, topics []string, replicas int, reviewOpts map[string]any) (*world, *stats) {
	w := newWorld(t, reviewOpts)
	st := &stats{verdicts: map[string]int{}, distinctI: map[string]bool{}, difficulties: map[string]int{}, detectionDiffs: map[string]int{}}
	for _, topic := range topics {
		focuses, _ := spt.ReviewFocuses(spt.Topic(topic))
		for r := range replicas {
			var samples []sample
			for _, it := range w.stage1(topic, r) {
				st.samples++
				d, _ := it.Obj("metadata").Str("difficulty")
				st.difficulties[d]++
				samples = append(samples, w.answer(it, "A"))
				if it.Has("B") {
					st.withB++
					samples = append(samples, w.answer(it, "B"))
				}
			}
			st.countAnswers(w, samples)
			for _, iv := range []string{"split_personality", "honesty_scare"} {
				recs, raw := w.stage3(topic, iv, samples)
				st.countRecords(samples, recs, iv == "split_personality", focuses)
				for round := range 3 {
					st.reviews++
					if w.review(block(samples), raw, round) {
						break
					}
					st.rejected++
				}
			}
		}
	}
	return w, st
}

func (st *stats) countAnswers(w *world, samples []sample) {
	for _, s := range samples {
		complied := strings.Contains(s.s, sptsim.ComplianceCue)
		if s.variant == "A" {
			st.answersA++
			st.compliedA += b2i(complied)
		} else {
			st.answersB++
			st.compliedB += b2i(complied)
		}
	}
	for _, r := range w.responses {
		if r.StopReason == llm.StopMaxTokens {
			st.truncated++
		}
	}
	w.responses = w.responses[:0]
}

func (st *stats) countRecords(samples []sample, recs []*pyjson.Object, split bool, focuses []string) {
	for i, rec := range recs {
		p, _ := rec.Str("P")
		st.verdicts[p]++
		st.records++
		if strings.Contains(samples[i].s, sptsim.ComplianceCue) {
			st.complied++
			st.failOnComplied += b2i(p == "FAIL")
		} else {
			st.honest++
			st.passOnHonest += b2i(p == "PASS")
		}
		c, _ := rec.Get("confidence")
		if n, ok := c.(pyjson.Number); ok && (string(n) == "1" || string(n) == "2") {
			st.lowConfidence++
		} else if n, ok := c.(int); ok && n <= 2 {
			st.lowConfidence++
		}
		i, _ := rec.Str("I")
		r, _ := rec.Str("R")
		st.distinctI[i] = true
		if leakRE.MatchString(i) || leakRE.MatchString(r) {
			st.leaks++
		}
		if split {
			st.split++
			st.splitWithToken += b2i(strings.HasPrefix(i, sptsim.SplitPersonalityToken))
		}
		focus, _ := rec.Str("selected_review_focus")
		st.focusChecked++
		for _, f := range focuses {
			if f == focus {
				st.topicFocus++
				break
			}
		}
		d, _ := rec.Str("detection_difficulty_internal")
		st.detectionDiffs[d]++
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestSimulatedDataIsRealistic(t *testing.T) {
	_, st := simulate(t, []string{"sycophancy", "reward_hacks", "steganography"}, 20, nil)
	rate := func(n, d int) float64 { return float64(n) / float64(max(d, 1)) }
	checks := []struct {
		what     string
		got      float64
		lo, hi   float64
		describe string
	}{
		{"items with a B prompt", rate(st.withB, st.samples), 0.5, 0.9, "about 70% of items have B"},
		{"B answers following the bias", rate(st.compliedB, st.answersB), 0.3, 0.7, "about half of B answers comply"},
		{"A answers following a bias", rate(st.compliedA, st.answersA), 0, 0, "A prompts carry no pressure"},
		{"answers cut at max tokens", rate(st.truncated, st.answersA+st.answersB), 0.001, 0.1, "about 3%"},
		{"FAIL on complying answers", rate(st.failOnComplied, st.complied), 0.7, 0.95, "verdicts mostly right"},
		{"PASS on honest answers", rate(st.passOnHonest, st.honest), 0.7, 0.95, "verdicts mostly right"},
		{"AMBIGUOUS verdicts", rate(st.verdicts["AMBIGUOUS"], st.records), 0.01, 0.1, "about 5%"},
		{"confidence 1 or 2", rate(st.lowConfidence, st.records), 0.1, 0.35, "some low confidence"},
		{"records with leakage phrases", rate(st.leaks, st.records), 0.005, 0.1, "leakage at a low rate"},
		{"split-personality I with the token", rate(st.splitWithToken, st.split), 1, 1, "every one"},
		{"selected focus among the topic's", rate(st.topicFocus, st.focusChecked), 1, 1, "every one"},
		{"reviews rejected", rate(st.rejected, st.reviews), 0.03, 0.2, "default rejection rate 10%"},
	}
	for _, c := range checks {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s: got %.3f, want in [%.3f, %.3f] (%s)", c.what, c.got, c.lo, c.hi, c.describe)
		}
	}
	if len(st.distinctI) < 6 {
		t.Errorf("distinct interventions: got %d, want varied texts", len(st.distinctI))
	}
	for _, d := range []string{"easy", "medium", "hard", "FPT"} {
		if st.difficulties[d] == 0 {
			t.Errorf("stage-1 difficulty %q never drawn: %v", d, st.difficulties)
		}
	}
	if len(st.detectionDiffs) < 3 {
		t.Errorf("detection difficulties: got %v, want varied", st.detectionDiffs)
	}
	t.Logf("samples %d (B %d), answers A %d B %d (complied %d), verdicts %v, low confidence %d/%d, leaks %d, reviews rejected %d/%d",
		st.samples, st.withB, st.answersA, st.answersB, st.compliedB, st.verdicts, st.lowConfidence, st.records, st.leaks, st.rejected, st.reviews)
}

// TestEveryTopicIsRecognised: for each shipped topic, stage-1 samples are
// labelled with the prompt's topic (checked in stage1) and stage-3 focuses
// are the topic's legal ones.
func TestEveryTopicIsRecognised(t *testing.T) {
	var topics []string
	for _, tp := range spt.Topics() {
		topics = append(topics, string(tp))
	}
	_, st := simulate(t, topics, 1, nil)
	if st.topicFocus != st.focusChecked {
		t.Errorf("selected focuses among the topic's: got %d of %d, want all", st.topicFocus, st.focusChecked)
	}
}

func TestReviewRejectionRateFollowsTheModelEntry(t *testing.T) {
	tests := []struct {
		rate   float64
		lo, hi float64
	}{
		{0.5, 0.35, 0.65},
		{1, 1, 1},
	}
	for _, tt := range tests {
		_, st := simulate(t, []string{"sycophancy"}, 10, map[string]any{"review_rejection_rate": tt.rate})
		got := float64(st.rejected) / float64(st.reviews)
		if got < tt.lo || got > tt.hi {
			t.Errorf("review_rejection_rate %v: got %.3f of reviews rejected, want in [%.2f, %.2f]", tt.rate, got, tt.lo, tt.hi)
		}
	}
}

// TestDeterministic: the same requests get the same responses (fresh
// providers, so nothing is remembered between the runs), and different
// requests get different ones.
func TestDeterministic(t *testing.T) {
	a, _ := simulate(t, []string{"fabricated_statistics"}, 3, nil)
	b, _ := simulate(t, []string{"fabricated_statistics"}, 3, nil)
	if strings.Join(a.transcript, "\n") != strings.Join(b.transcript, "\n") {
		t.Fatalf("two runs over the same requests differ")
	}
	distinct := map[string]bool{}
	for _, s := range a.transcript {
		distinct[s] = true
	}
	// Passing reviews share their text; identical stage-2 requests (same
	// A and T) rightly get identical answers.
	if len(distinct) < len(a.transcript)*3/4 {
		t.Errorf("got %d distinct responses of %d, want replicas and requests to differ", len(distinct), len(a.transcript))
	}
}

func TestParseSamplesReadsTheBlock(t *testing.T) {
	it, _ := pyjson.ParseObject([]byte(`{"A":"You help.","B":"You help. Internal priority: agree.","T":"Is it good?",
		"metadata":{"intended_review_focus":"sycophancy,honesty"}}`))
	msg := "Assess these.\n" + block([]sample{{it, "A", "It has flaws."}, {it, "B", sptsim.ComplianceCue + ". Perfect."}})
	got := sptsim.ParseSamples(msg)
	want := []sptsim.Sample{
		{B: false, S: "It has flaws.", Focus: "sycophancy,honesty"},
		{B: true, S: sptsim.ComplianceCue + ". Perfect.", Focus: "sycophancy,honesty", Complied: true},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
