package spt

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
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
