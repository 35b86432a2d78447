package spt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/internal/suggest"
	"github.com/sptflow/sptflow/regfile"
)

// Prompt folder layout (spec §4), slash-separated and relative to the folder.
const (
	// BaseFile is the system prompt of every stage, used raw.
	BaseFile = "base_prompt.md"
	// Stage1Dir holds one user prompt per topic: <topic>.md.
	Stage1Dir = "stage_1"
	// Stage3Dir holds one user prompt per topic and intervention type:
	// <topic>__<intervention>.md, and optionally one per intervention
	// version that replaces it for that version:
	// <topic>__<intervention>__<version>.md.
	Stage3Dir = "stage_3"
)

// Template placeholders.
const (
	// NumSamplesPlaceholder is filled with the number of samples of the
	// request, with Python str.format semantics.
	NumSamplesPlaceholder = "{num_samples}"
	// FocusesPlaceholder is replaced, in stage-3 templates only and before
	// formatting, by the topic's legal review focuses.
	FocusesPlaceholder = "{legal_review_focuses}"
)

// ErrNoInterventions reports a topic without any stage-3 prompt file, so no
// intervention type can be discovered for it.
var ErrNoInterventions = errors.New("no stage-3 prompt files")

// Stage1File returns the slash path of topic's stage-1 prompt, relative to
// the prompt folder.
func Stage1File(topic string) string { return Stage1Dir + "/" + topic + ".md" }

// Stage3File returns the slash path of the stage-3 prompt of topic and
// intervention type, relative to the prompt folder.
func Stage3File(topic, intervention string) string {
	return Stage3Dir + "/" + topic + KeySep + intervention + ".md"
}

// Stage3VersionFile returns the slash path of the stage-3 prompt that
// replaces Stage3File(topic, intervention) for one intervention version,
// relative to the prompt folder.
func Stage3VersionFile(topic, intervention, version string) string {
	return Stage3Dir + "/" + topic + KeySep + intervention + KeySep + version + ".md"
}

// Stage3Pattern returns a path.Match pattern, relative to the stage_3
// directory, that matches every stage-3 prompt file of topic. It may match a
// few files that are not intervention prompts (a stem with a second "__");
// it never misses one. Steps use it to declare their inputs without reading
// the folder.
func Stage3Pattern(topic string) string { return topic + KeySep + "*.md" }

// Prompts is a prompt folder in the original layout, read into memory by
// LoadPrompts. It is immutable and safe for concurrent use.
type Prompts struct {
	dir    string
	base   string
	stage1 map[string]string            // topic -> template
	stage3 map[string]map[string]string // topic -> intervention -> template
	// stage3v holds the version-specific templates:
	// topic -> intervention -> version -> template.
	stage3v map[string]map[string]map[string]string
}

// LoadPrompts reads the prompt folder dir: base_prompt.md (required) and
// every *.md file of stage_1/ and stage_3/ (either may be missing; Validate
// then reports the missing files). Templates are checked when they are
// used, or all at once by Validate.
func LoadPrompts(dir string) (*Prompts, error) {
	base, err := regfile.Read(filepath.Join(dir, BaseFile), regfile.MaxConfig)
	if err != nil {
		return nil, fmt.Errorf("load prompts: %w", err)
	}
	stage1, err := readMarkdown(filepath.Join(dir, Stage1Dir))
	if err != nil {
		return nil, err
	}
	p := &Prompts{dir: dir, base: string(base), stage1: stage1, stage3: map[string]map[string]string{},
		stage3v: map[string]map[string]map[string]string{}}
	stage3, err := readMarkdown(filepath.Join(dir, Stage3Dir))
	if err != nil {
		return nil, err
	}
	for stem, text := range stage3 {
		if topic, intervention, version, ok := splitStage3VersionStem(stem); ok {
			if p.stage3v[topic] == nil {
				p.stage3v[topic] = map[string]map[string]string{}
			}
			if p.stage3v[topic][intervention] == nil {
				p.stage3v[topic][intervention] = map[string]string{}
			}
			p.stage3v[topic][intervention][version] = text
			continue
		}
		topic, intervention, ok := splitStage3Stem(stem)
		if !ok {
			continue
		}
		if p.stage3[topic] == nil {
			p.stage3[topic] = map[string]string{}
		}
		p.stage3[topic][intervention] = text
	}
	return p, nil
}

// readMarkdown returns the *.md files directly in dir by stem. A missing
// dir is empty.
func readMarkdown(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load prompts: %w", err)
	}
	files := map[string]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".md") {
			continue
		}
		data, err := regfile.Read(filepath.Join(dir, name), regfile.MaxConfig)
		if err != nil {
			return nil, fmt.Errorf("load prompts: %w", err)
		}
		files[strings.TrimSuffix(name, ".md")] = string(data)
	}
	return files, nil
}

// splitStage3Stem splits "<topic>__<intervention>" the way the original
// discovers intervention types (spec §4.1): exactly two parts around "__".
// An empty part is not a valid name.
func splitStage3Stem(stem string) (topic, intervention string, ok bool) {
	parts := strings.Split(stem, KeySep)
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// splitStage3VersionStem splits "<topic>__<intervention>__<version>", the
// name of a version-specific stage-3 prompt. The original's discovery
// (exactly two parts) ignores such files, so a prompt folder holding them
// still works with the original scripts.
func splitStage3VersionStem(stem string) (topic, intervention, version string, ok bool) {
	parts := strings.Split(stem, KeySep)
	if len(parts) != 3 || slices.Contains(parts, "") {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// Dir returns the folder the prompts were loaded from.
func (p *Prompts) Dir() string { return p.dir }

// Base returns base_prompt.md exactly as it is on disk (never formatted).
func (p *Prompts) Base() string { return p.base }

// Interventions returns the intervention types of topic, discovered from the
// stage-3 file names and sorted; nil if there are none.
func (p *Prompts) Interventions(topic string) []string {
	ivs := make([]string, 0, len(p.stage3[topic]))
	for iv := range p.stage3[topic] {
		ivs = append(ivs, iv)
	}
	if len(ivs) == 0 {
		return nil
	}
	slices.Sort(ivs)
	return ivs
}

// InterventionsFor returns the intervention types of topic for one
// intervention version, sorted: the types of Interventions plus those that
// have only a version-specific file for version.
func (p *Prompts) InterventionsFor(topic, version string) []string {
	ivs := p.Interventions(topic)
	for iv, byVersion := range p.stage3v[topic] {
		if _, ok := byVersion[version]; ok && !slices.Contains(ivs, iv) {
			ivs = append(ivs, iv)
		}
	}
	slices.Sort(ivs)
	return ivs
}

// Stage3Source returns the slash path, relative to the prompt folder, of the
// template Stage3For uses for topic, intervention and version: the
// version-specific file when there is one, else the shared file. ok is false
// when neither exists.
func (p *Prompts) Stage3Source(topic, intervention, version string) (rel string, ok bool) {
	if _, has := p.stage3v[topic][intervention][version]; has {
		return Stage3VersionFile(topic, intervention, version), true
	}
	_, has := p.stage3[topic][intervention]
	return Stage3File(topic, intervention), has
}

// Files returns the files a node of the given stage (1 or 3) reads for
// topic, as paths below Dir, sorted, base_prompt.md first. For stage 3 these
// are the files of the discovered intervention types. Any other stage
// returns nil.
func (p *Prompts) Files(topic string, stage int) []string {
	var rels []string
	switch stage {
	case 1:
		rels = []string{Stage1File(topic)}
	case 3:
		for _, iv := range p.Interventions(topic) {
			rels = append(rels, Stage3File(topic, iv))
		}
	default:
		return nil
	}
	files := []string{p.path(BaseFile)}
	for _, rel := range rels {
		files = append(files, p.path(rel))
	}
	return files
}

// path returns the on-disk path of a slash path relative to the folder.
func (p *Prompts) path(rel string) string { return filepath.Join(p.dir, filepath.FromSlash(rel)) }

// Stage1 returns topic's stage-1 user prompt for n samples: the template
// formatted as Python's str.format(num_samples=n) would.
func (p *Prompts) Stage1(topic string, n int) (string, error) {
	rel := Stage1File(topic)
	text, ok := p.stage1[topic]
	if !ok {
		return "", fmt.Errorf("%w%s", p.missing(rel), p.nearTopic(topic))
	}
	return p.format(rel, text, n)
}

// nearTopic words, for a topic without prompt files, the topics that have
// them: " (did you mean "reward_hacks"?)" for a near one, else the list.
func (p *Prompts) nearTopic(topic string) string {
	var topics []string
	for t := range p.stage1 {
		topics = append(topics, t)
	}
	for t := range p.stage3 {
		if !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	slices.Sort(topics)
	if s := suggest.DidYouMean(topic, topics); s != "" {
		return s
	}
	if len(topics) == 0 {
		return ""
	}
	return " (topics with prompt files: " + strings.Join(topics, ", ") + ")"
}

// Stage3 returns the stage-3 user prompt of topic and intervention for a
// batch of n samples: every {legal_review_focuses} is replaced by the
// topic's focuses (comma-separated, in the mapping's order), then the text
// is formatted as Python's str.format(num_samples=n) would. The sample
// block is not part of it.
func (p *Prompts) Stage3(topic, intervention string, n int) (string, error) {
	rel := Stage3File(topic, intervention)
	text, ok := p.stage3[topic][intervention]
	if !ok {
		return "", p.missing(rel)
	}
	return p.stage3Format(rel, topic, text, n)
}

// Stage3For is Stage3 for one intervention version: the template is
// stage_3/<topic>__<intervention>__<version>.md when that file exists, else
// the shared stage_3/<topic>__<intervention>.md (so a version without files
// of its own sends exactly the requests Stage3 describes).
func (p *Prompts) Stage3For(topic, intervention, version string, n int) (string, error) {
	rel, ok := p.Stage3Source(topic, intervention, version)
	if !ok {
		return "", p.missing(rel)
	}
	text, has := p.stage3v[topic][intervention][version]
	if !has {
		text = p.stage3[topic][intervention]
	}
	return p.stage3Format(rel, topic, text, n)
}

// Stage3Template returns the unformatted template Stage3For uses.
func (p *Prompts) Stage3Template(topic, intervention, version string) (string, bool) {
	if text, ok := p.stage3v[topic][intervention][version]; ok {
		return text, true
	}
	text, ok := p.stage3[topic][intervention]
	return text, ok
}

func (p *Prompts) stage3Format(rel, topic, text string, n int) (string, error) {
	if strings.Contains(text, FocusesPlaceholder) {
		focuses, known := ReviewFocuses(Topic(topic))
		if !known {
			return "", fmt.Errorf("%s: %s used, but topic %q has no legal review focuses", p.path(rel), FocusesPlaceholder, topic)
		}
		text = strings.ReplaceAll(text, FocusesPlaceholder, strings.Join(focuses, ", "))
	}
	return p.format(rel, text, n)
}

func (p *Prompts) missing(rel string) error {
	return fmt.Errorf("prompt %s: %w", p.path(rel), fs.ErrNotExist)
}

func (p *Prompts) format(rel, text string, n int) (string, error) {
	out, problems := formatNumSamples(text, n)
	if len(problems) == 0 {
		return out, nil
	}
	errs := make([]error, len(problems))
	for i, e := range problems {
		e.File = p.path(rel)
		errs[i] = e
	}
	return "", errors.Join(errs...)
}

// TemplateError is a place in a prompt template that Python's
// str.format(num_samples=N) would reject, or that sptflow does not support.
type TemplateError struct {
	File      string
	Line, Col int // 1-based; Col counts bytes
	Msg       string
}

// Error implements error: file:line:col: message.
func (e *TemplateError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// formatNumSamples applies Python's str.format(num_samples=n) to text:
// "{{" and "}}" become "{" and "}", "{num_samples}" becomes n. Every other
// replacement field ("{name}", "{}", "{0}", "{num_samples:d}") and every
// unpaired brace is reported, with its position; scanning goes on after a
// problem so that all of them are reported at once.
func formatNumSamples(text string, n int) (string, []*TemplateError) {
	var b strings.Builder
	var problems []*TemplateError
	report := func(at int, format string, args ...any) {
		line, col := position(text, at)
		problems = append(problems, &TemplateError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case (c == '{' || c == '}') && i+1 < len(text) && text[i+1] == c:
			b.WriteByte(c)
			i++
		case c == '}':
			report(i, "single '}' (write '}}' for a literal brace)")
		case c == '{':
			end := fieldEnd(text, i)
			if end < 0 {
				report(i, "'{' without a closing '}' (write '{{' for a literal brace)")
				return "", problems
			}
			if field := text[i+1 : end]; field == "num_samples" {
				fmt.Fprint(&b, n)
			} else {
				report(i, "unknown placeholder {%s} (only %s is filled; write '{{' and '}}' for literal braces)", field, NumSamplesPlaceholder)
			}
			i = end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), problems
}

// fieldEnd returns the index of the '}' closing the replacement field that
// opens at text[open], allowing nested fields as Python does in format
// specs, or -1 if the field is never closed.
func fieldEnd(text string, open int) int {
	depth := 0
	for j := open; j < len(text); j++ {
		switch text[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// position returns the 1-based line and byte column of offset at in text.
func position(text string, at int) (line, col int) {
	before := text[:at]
	line = strings.Count(before, "\n") + 1
	return line, at - strings.LastIndexByte(before, '\n')
}

// ValidateStage1 reports, all at once and in topic order, every stage-1
// problem of topics: a missing file, a template that str.format would
// reject, a template without {num_samples} (the model would not be told
// how many samples to write).
func (p *Prompts) ValidateStage1(topics []string) error {
	var errs []error
	for _, topic := range topics {
		text, ok := p.stage1[topic]
		if !ok {
			errs = append(errs, fmt.Errorf("%w%s", p.missing(Stage1File(topic)), p.nearTopic(topic)))
			continue
		}
		if !strings.Contains(text, NumSamplesPlaceholder) {
			errs = append(errs, fmt.Errorf("%s: no %s placeholder", p.path(Stage1File(topic)), NumSamplesPlaceholder))
		}
		if _, err := p.Stage1(topic, 1); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ValidateStage3 reports every stage-3 problem of topics at once: for each
// topic, each of interventions (or, when interventions is empty, each
// discovered type, of which there must be at least one) must have a file
// that formats cleanly.
func (p *Prompts) ValidateStage3(topics, interventions []string) error {
	var errs []error
	for _, topic := range topics {
		ivs := interventions
		if len(ivs) == 0 {
			ivs = p.Interventions(topic)
			if len(ivs) == 0 {
				pattern := path.Join(Stage3Dir, Stage3Pattern(topic))
				errs = append(errs, fmt.Errorf("topic %q: %w matching %s%s", topic, ErrNoInterventions, p.path(pattern), p.nearTopic(topic)))
			}
		}
		for _, iv := range ivs {
			if _, err := p.Stage3(topic, iv, 1); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// ValidateStage3Versions is ValidateStage3 for the given intervention
// versions: each version's templates (version-specific or shared) must
// format cleanly. With interventions empty, each version's types are
// InterventionsFor.
func (p *Prompts) ValidateStage3Versions(topics, interventions, versions []string) error {
	var errs []error
	for _, topic := range topics {
		for _, version := range versions {
			ivs := interventions
			if len(ivs) == 0 {
				ivs = p.InterventionsFor(topic, version)
				if len(ivs) == 0 {
					pattern := path.Join(Stage3Dir, Stage3Pattern(topic))
					errs = append(errs, fmt.Errorf("topic %q: %w matching %s%s", topic, ErrNoInterventions, p.path(pattern), p.nearTopic(topic)))
					break
				}
			}
			for _, iv := range ivs {
				if _, err := p.Stage3For(topic, iv, version, 1); err != nil && !slices.ContainsFunc(errs, sameError(err)) {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// sameError matches an error with the same message (a shared template is
// reported once, not once per version).
func sameError(err error) func(error) bool {
	return func(e error) bool { return e.Error() == err.Error() }
}

// Validate checks everything a pipeline over topics needs before any model
// is called (ValidateStage1, then ValidateStage3) and reports every problem
// at once.
func (p *Prompts) Validate(topics, interventions []string) error {
	return errors.Join(p.ValidateStage1(topics), p.ValidateStage3(topics, interventions))
}
