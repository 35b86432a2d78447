package spt

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestFormatNumSamples(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"no braces", "plain text", "plain text"},
		{"placeholder", "write {num_samples} samples", "write 7 samples"},
		{"twice", "{num_samples}/{num_samples}", "7/7"},
		{"escaped", `{{"difficulty": "easy"}}`, `{"difficulty": "easy"}`},
		{"escaped around placeholder", "{{{num_samples}}}", "{7}"},
		{"quadruple", "{{{{", "{{"},
		{"non-ASCII", "é {num_samples} ü", "é 7 ü"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := formatNumSamples(tt.in, 7)
			if len(problems) != 0 || got != tt.want {
				t.Errorf("got %q (problems %v), want %q", got, problems, tt.want)
			}
		})
	}
}

func TestFormatNumSamplesRejects(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantLine  int
		wantCol   int
		wantInMsg string
	}{
		{"other name", "a\nb {topic} c", 2, 3, "{topic}"},
		{"positional", "x {} y", 1, 3, "{}"},
		{"numbered", "{0}", 1, 1, "{0}"},
		{"format spec", "{num_samples:d}", 1, 1, "{num_samples:d}"},
		{"spaces", "{ num_samples }", 1, 1, "{ num_samples }"},
		{"json not escaped", "line\n\n  {\"a\": 1}", 3, 3, `{"a": 1}`},
		{"stray close", "a } b", 1, 3, "single '}'"},
		{"unclosed", "ok\nthen { never", 2, 6, "without a closing"},
		{"single open at end", "end {", 1, 5, "without a closing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := formatNumSamples(tt.in, 1)
			if len(problems) != 1 {
				t.Fatalf("got %d problems %v, want 1", len(problems), problems)
			}
			p := problems[0]
			if p.Line != tt.wantLine || p.Col != tt.wantCol || !strings.Contains(p.Msg, tt.wantInMsg) {
				t.Errorf("got %d:%d %q, want %d:%d containing %q", p.Line, p.Col, p.Msg, tt.wantLine, tt.wantCol, tt.wantInMsg)
			}
		})
	}
}

func TestFormatNumSamplesReportsAll(t *testing.T) {
	_, problems := formatNumSamples("{a}\n}\n{num_samples}\n{b}", 1)
	var got []int
	for _, p := range problems {
		got = append(got, p.Line)
	}
	if want := []int{1, 2, 4}; !slices.Equal(got, want) {
		t.Errorf("problem lines: got %v, want %v", got, want)
	}
}

// writeFolder creates a prompt folder from slash paths and contents.
func writeFolder(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func fixtureFolder(t *testing.T) string {
	return writeFolder(t, map[string]string{
		"base_prompt.md":                           "System. {'role':'assistant'} {num_samples} stays raw.\n",
		"stage_1/sycophancy.md":                    "Write {num_samples} samples.\nMetadata: {{\"difficulty\": \"easy\"}}\n",
		"stage_1/reward_hacks.md":                  "Write samples.\n{topic}\n",
		"stage_1/notes.txt":                        "ignored",
		"stage_3/sycophancy__split_personality":    "no .md suffix: ignored",
		"stage_3/sycophancy__split_personality.md": "Assess {num_samples} samples.\nFocuses: {legal_review_focuses}.\n",
		"stage_3/sycophancy__honesty_scare.md":     "Assess the samples. Focuses: {legal_review_focuses}; again {legal_review_focuses}.\n",
		"stage_3/sycophancy__old__v1.md":           "three parts: ignored",
		"stage_3/sycophancy__.md":                  "empty intervention: ignored",
		"stage_3/sycophancy.md":                    "one part: ignored",
		"stage_3/reward_hacks__honesty_scare.md":   "Broken { here\n",
		"stage_3/custom__split_personality.md":     "Focuses: {legal_review_focuses}\n",
		"stage_3/sycophancy_extra__x.md":           "other topic",
	})
}

func TestLoadPrompts(t *testing.T) {
	dir := fixtureFolder(t)
	p, err := LoadPrompts(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Base(), "System. {'role':'assistant'} {num_samples} stays raw.\n"; got != want {
		t.Errorf("Base: got %q, want %q", got, want)
	}
	got, err := p.Stage1("sycophancy", 30)
	if want := "Write 30 samples.\nMetadata: {\"difficulty\": \"easy\"}\n"; err != nil || got != want {
		t.Errorf("Stage1: got %q, %v; want %q", got, err, want)
	}
	got, err = p.Stage3("sycophancy", "split_personality", 4)
	if want := "Assess 4 samples.\nFocuses: honesty, sycophancy, harm_avoidance, OTHER.\n"; err != nil || got != want {
		t.Errorf("Stage3: got %q, %v; want %q", got, err, want)
	}
	got, err = p.Stage3("sycophancy", "honesty_scare", 4)
	if want := "Assess the samples. Focuses: honesty, sycophancy, harm_avoidance, OTHER; again honesty, sycophancy, harm_avoidance, OTHER.\n"; err != nil || got != want {
		t.Errorf("Stage3 (no num_samples, focuses twice): got %q, %v; want %q", got, err, want)
	}
}

func TestPromptsErrors(t *testing.T) {
	dir := fixtureFolder(t)
	p, err := LoadPrompts(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() (string, error)
		want string // substring of the error
	}{
		{"stage1 unknown placeholder", func() (string, error) { return p.Stage1("reward_hacks", 1) },
			filepath.Join(dir, "stage_1", "reward_hacks.md") + ":2:1: unknown placeholder {topic}"},
		{"stage1 missing", func() (string, error) { return p.Stage1("steganography", 1) },
			filepath.Join(dir, "stage_1", "steganography.md")},
		{"stage3 missing", func() (string, error) { return p.Stage3("sycophancy", "user_completion", 1) },
			filepath.Join(dir, "stage_3", "sycophancy__user_completion.md")},
		{"stage3 unclosed", func() (string, error) { return p.Stage3("reward_hacks", "honesty_scare", 1) },
			filepath.Join(dir, "stage_3", "reward_hacks__honesty_scare.md") + ":1:8:"},
		{"stage3 focuses of unknown topic", func() (string, error) { return p.Stage3("custom", "split_personality", 1) },
			`topic "custom" has no legal review focuses`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.call()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := p.Stage1("steganography", 1); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: got %v, want fs.ErrNotExist", err)
	}
	var te *TemplateError
	if _, err := p.Stage1("reward_hacks", 1); !errors.As(err, &te) || te.Line != 2 {
		t.Errorf("bad placeholder: got %v, want a *TemplateError on line 2", err)
	}
}

func TestInterventionsAndFiles(t *testing.T) {
	dir := fixtureFolder(t)
	p, err := LoadPrompts(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		topic string
		want  []string
	}{
		{"sycophancy", []string{"honesty_scare", "split_personality"}},
		{"reward_hacks", []string{"honesty_scare"}},
		{"sycophancy_extra", []string{"x"}},
		{"steganography", nil},
	}
	for _, tt := range tests {
		if got := p.Interventions(tt.topic); !slices.Equal(got, tt.want) {
			t.Errorf("Interventions(%s): got %v, want %v", tt.topic, got, tt.want)
		}
	}
	j := func(rel ...string) string { return filepath.Join(append([]string{dir}, rel...)...) }
	fileTests := []struct {
		topic string
		stage int
		want  []string
	}{
		{"sycophancy", 1, []string{j("base_prompt.md"), j("stage_1", "sycophancy.md")}},
		{"sycophancy", 3, []string{j("base_prompt.md"), j("stage_3", "sycophancy__honesty_scare.md"), j("stage_3", "sycophancy__split_personality.md")}},
		{"steganography", 3, []string{j("base_prompt.md")}},
		{"sycophancy", 2, nil},
	}
	for _, tt := range fileTests {
		if got := p.Files(tt.topic, tt.stage); !slices.Equal(got, tt.want) {
			t.Errorf("Files(%s, %d): got %v, want %v", tt.topic, tt.stage, got, tt.want)
		}
	}
	for _, iv := range p.Interventions("sycophancy") {
		if ok, _ := filepath.Match(Stage3Pattern("sycophancy"), filepath.Base(Stage3File("sycophancy", iv))); !ok {
			t.Errorf("Stage3Pattern does not match %s", Stage3File("sycophancy", iv))
		}
	}
}

func TestValidateReportsEverything(t *testing.T) {
	dir := fixtureFolder(t)
	p, err := LoadPrompts(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Validate([]string{"sycophancy", "reward_hacks", "steganography"}, nil)
	if err == nil {
		t.Fatal("Validate: got nil, want errors")
	}
	msg := err.Error()
	want := []string{
		"reward_hacks.md: no {num_samples} placeholder",
		"reward_hacks.md:2:1: unknown placeholder {topic}",
		filepath.Join("stage_1", "steganography.md"),
		"reward_hacks__honesty_scare.md:1:8:",
		`topic "steganography": no stage-3 prompt files`,
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("Validate error lacks %q; got:\n%s", w, msg)
		}
	}
	if got := strings.Count(msg, "\n") + 1; got != len(want) {
		t.Errorf("Validate: got %d problems, want %d:\n%s", got, len(want), msg)
	}
	if !errors.Is(err, ErrNoInterventions) {
		t.Errorf("Validate: want ErrNoInterventions in %v", err)
	}
	if err := p.Validate([]string{"sycophancy"}, []string{"split_personality", "honesty_scare"}); err != nil {
		t.Errorf("Validate(sycophancy): got %v, want nil", err)
	}
	err = p.ValidateStage3([]string{"sycophancy"}, []string{"split_personality", "user_completion"})
	if err == nil || !strings.Contains(err.Error(), "sycophancy__user_completion.md") {
		t.Errorf("ValidateStage3 with a named intervention: got %v, want the missing file", err)
	}
}

func TestLoadPromptsNeedsBase(t *testing.T) {
	dir := writeFolder(t, map[string]string{"stage_1/sycophancy.md": "{num_samples}"})
	_, err := LoadPrompts(dir)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "base_prompt.md") {
		t.Errorf("got %v, want a missing base_prompt.md", err)
	}
	// A folder with only a base prompt loads; Validate names what is missing.
	dir = writeFolder(t, map[string]string{"base_prompt.md": "b"})
	p, err := LoadPrompts(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ValidateStage1([]string{"sycophancy"}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ValidateStage1 on an empty folder: got %v, want fs.ErrNotExist", err)
	}
}

// shippedPrompts loads the repository's prompts/ folder.
func shippedPrompts(t *testing.T) *Prompts {
	t.Helper()
	p, err := LoadPrompts(filepath.Join("..", "..", "prompts"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func topicNames() []string {
	var names []string
	for _, topic := range Topics() {
		names = append(names, string(topic))
	}
	return names
}

// TestShippedPromptsValidate checks the shipped folder: every topic has its
// stage-1 file with {num_samples} and exactly the two stage-3 files, all of
// which format cleanly, use {num_samples} once and take their focus list
// from {legal_review_focuses}.
func TestShippedPromptsValidate(t *testing.T) {
	p := shippedPrompts(t)
	ivs := []string{"honesty_scare", "split_personality"}
	if err := p.Validate(topicNames(), ivs); err != nil {
		t.Fatalf("shipped prompts do not validate:\n%v", err)
	}
	if err := p.Validate(topicNames(), nil); err != nil {
		t.Fatalf("shipped prompts do not validate with discovered interventions:\n%v", err)
	}
	for _, topic := range topicNames() {
		if got := p.Interventions(topic); !slices.Equal(got, ivs) {
			t.Errorf("%s: interventions got %v, want %v", topic, got, ivs)
		}
		if !strings.Contains(p.stage1[topic], NumSamplesPlaceholder) {
			t.Errorf("%s: stage-1 prompt lacks %s", topic, NumSamplesPlaceholder)
		}
		text, _ := p.Stage1(topic, 12345)
		if !strings.Contains(text, "exactly 12345 items") || !strings.Contains(text, Stage1ToolName) {
			t.Errorf("%s: formatted stage-1 prompt does not ask for exactly 12345 items via %s", topic, Stage1ToolName)
		}
		for _, iv := range ivs {
			raw := p.stage3[topic][iv]
			if strings.Count(raw, NumSamplesPlaceholder) != 1 || !strings.Contains(raw, FocusesPlaceholder) {
				t.Errorf("%s__%s: want %s once and %s", topic, iv, NumSamplesPlaceholder, FocusesPlaceholder)
			}
			focuses, _ := ReviewFocuses(Topic(topic))
			text, _ := p.Stage3(topic, iv, 6)
			if !strings.Contains(text, strings.Join(focuses, ", ")) || !strings.Contains(text, "6 samples") {
				t.Errorf("%s__%s: formatted prompt lacks the focus list or the sample count", topic, iv)
			}
		}
	}
}

// TestShippedPromptStructure checks the headings of spec §4 and the sizes.
func TestShippedPromptStructure(t *testing.T) {
	p := shippedPrompts(t)
	if n := len(p.Base()); n < 10_000 || n > 25_000 {
		t.Errorf("base_prompt.md: %d bytes, want 10-25 kB", n)
	}
	for _, h := range []string{"[A][T][S][I][R][P]", "<split-personality-token>", "Training data purity",
		"PASS", "AMBIGUOUS", "Confidence", "detection_difficulty_internal", "Stage 3 Quality Review", Stage3ReviewToolName} {
		if !strings.Contains(p.Base(), h) {
			t.Errorf("base_prompt.md lacks %q", h)
		}
	}
	stage1Headings := []string{"## What ", "## Your Task", "## Review Focus Areas for This Topic", "## Key Requirements",
		"## B-Prompt Strategy", "## Difficulty Stratification", "## Examples of Scenarios", "## Quality Criteria",
		"## Important Implementation Notes"}
	stage3Headings := []string{"# Stage 3 Data Assessment: ", "## Your Task", "### Step 1", "### Step 2", "### Step 3",
		"### Step 4", "### Step 5", "## Examples"}
	for _, topic := range topicNames() {
		checkStructure(t, Stage1File(topic), p.stage1[topic], stage1Headings)
		if got := strings.Count(p.stage1[topic], `Metadata: `+"`{{"); got != 3 {
			t.Errorf("%s: %d example metadata objects, want 3", Stage1File(topic), got)
		}
		for iv, text := range p.stage3[topic] {
			checkStructure(t, Stage3File(topic, iv), text, stage3Headings)
		}
	}
}

func checkStructure(t *testing.T, name, text string, headings []string) {
	t.Helper()
	if n := len(text); n < 2_000 || n > 6_500 {
		t.Errorf("%s: %d bytes, want about 2-5 kB", name, n)
	}
	at := 0
	for _, h := range headings {
		i := strings.Index(text[at:], h)
		if i < 0 {
			t.Errorf("%s: heading %q missing or out of order", name, h)
			return
		}
		at += i + len(h)
	}
}

// leakage is a subset of the tagger's leakage patterns (spec §8.4) that the
// example I and R texts of the shipped prompts must not match.
var leakage = regexp.MustCompile(`(?i)\b[AB]\s+(?:variant|prompt)\b|\bthe\s+[AB]\s+prompt\b|\bstage\s+[123]\b|` +
	`\bsample\s+\d+\s*[:\-]|\bbatch\s+\d+\b|\bitem\s+\d+\s+of\s+\d+\b|\bFPT\b|\bfalse\s+positive\s+test\b|` +
	`\bhonesty\s+scare\b|\bsplit\s+personality\b|\bintervention\s+(?:type|name|method)\b|` +
	`\bthis\s+sample\s+(?:tests|demonstrates|uses)\b`)

// reviewLeakage is the R-only part (L2).
var reviewLeakage = regexp.MustCompile(`(?i)\breview\s+focus\b|\bformal\s+investigation\b|\bunder\s+(?:review|investigation|audit)\b`)

// TestShippedStage3Examples checks the worked examples of every stage-3
// file: the intervention form, clean training text, a legal focus and valid
// enum values.
func TestShippedStage3Examples(t *testing.T) {
	p := shippedPrompts(t)
	for _, topic := range topicNames() {
		focuses, _ := ReviewFocuses(Topic(topic))
		for iv, text := range p.stage3[topic] {
			name := Stage3File(topic, iv)
			fields := exampleFields(text)
			if len(fields["I"]) < 2 || len(fields["I"]) != len(fields["R"]) || len(fields["I"]) != len(fields["P"]) {
				t.Errorf("%s: examples incomplete: %d I, %d R, %d P", name, len(fields["I"]), len(fields["R"]), len(fields["P"]))
			}
			for _, i := range fields["I"] {
				token := strings.HasPrefix(i, "<split-personality-token>")
				if token != (iv == "split_personality") || (iv != "split_personality" && strings.Contains(i, "split-personality")) {
					t.Errorf("%s: I has the wrong form: %q", name, i)
				}
				if m := leakage.FindString(i); m != "" {
					t.Errorf("%s: I leaks %q: %q", name, m, i)
				}
			}
			for _, r := range fields["R"] {
				if m := leakage.FindString(r) + reviewLeakage.FindString(r); m != "" {
					t.Errorf("%s: R leaks %q: %q", name, m, r)
				}
			}
			for _, f := range fields["selected_review_focus"] {
				if !slices.Contains(focuses, f) {
					t.Errorf("%s: example focus %q is not legal for the topic (%v)", name, f, focuses)
				}
			}
			for _, v := range fields["P"] {
				if !slices.Contains([]string{"PASS", "FAIL", "AMBIGUOUS"}, v) {
					t.Errorf("%s: example P %q", name, v)
				}
			}
		}
	}
}

// exampleFields collects the "- name: value" lines of a prompt's examples.
func exampleFields(text string) map[string][]string {
	fields := map[string][]string{}
	_, examples, _ := strings.Cut(text, "\n## Examples")
	for _, line := range strings.Split(examples, "\n") {
		name, value, ok := strings.Cut(strings.TrimPrefix(line, "- "), ": ")
		if ok && strings.HasPrefix(line, "- ") {
			fields[name] = append(fields[name], value)
		}
	}
	return fields
}

// TestShippedStage1IsTopicSpecific guards against one template with the
// topic name swapped in: two stage-1 files may share only a few lines.
func TestShippedStage1IsTopicSpecific(t *testing.T) {
	p := shippedPrompts(t)
	lines := map[string]map[string]bool{}
	for _, topic := range topicNames() {
		lines[topic] = map[string]bool{}
		for _, l := range strings.Split(p.stage1[topic], "\n") {
			if len(l) > 40 {
				lines[topic][l] = true
			}
		}
	}
	names := topicNames()
	for i, a := range names {
		for _, b := range names[i+1:] {
			shared := 0
			for l := range lines[a] {
				if lines[b][l] {
					shared++
				}
			}
			if shared*5 > len(lines[a]) {
				t.Errorf("stage-1 %s and %s share %d of %d long lines", a, b, shared, len(lines[a]))
			}
		}
	}
}

// FuzzFormatNumSamples checks that formatting never panics, that positions
// lie inside the text, and that a formatted text, re-escaped, formats back
// to itself. (The formatter was also compared with Python's str.format on
// 20,000 random brace strings without a difference.)
func FuzzFormatNumSamples(f *testing.F) {
	for _, s := range []string{"{num_samples}", "{{x}}", "}{", "{a}\n{", "é{{{num_samples}}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, problems := formatNumSamples(s, 3)
		for _, p := range problems {
			if p.Line < 1 || p.Col < 1 || p.Line > strings.Count(s, "\n")+1 {
				t.Fatalf("%q: position %d:%d outside the text", s, p.Line, p.Col)
			}
		}
		if len(problems) > 0 {
			return
		}
		escaped := strings.NewReplacer("{", "{{", "}", "}}").Replace(out)
		back, problems := formatNumSamples(escaped, 3)
		if len(problems) > 0 || back != out {
			t.Fatalf("%q: re-escaped output %q formats to %q, %v", s, escaped, back, problems)
		}
	})
}

// TestMissingTopicSuggests: a topic without prompt files gets the nearest
// topic that has them, or their list.
func TestMissingTopicSuggests(t *testing.T) {
	p, err := LoadPrompts(fixtureFolder(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ValidateStage1([]string{"sycophanc"}); err == nil || !strings.Contains(err.Error(), `file does not exist (did you mean "sycophancy"?)`) {
		t.Errorf("stage 1, a near topic: got %v", err)
	}
	if err := p.ValidateStage3([]string{"zzzzzzzz"}, nil); err == nil || !strings.Contains(err.Error(), "(topics with prompt files: ") {
		t.Errorf("stage 3, no near topic: got %v", err)
	}
}
