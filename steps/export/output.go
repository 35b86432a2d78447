package export

import (
	"fmt"
	"path"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/pyjson"
)

// Output file names below the output directory.
const (
	TrainFile          = "train.jsonl"
	TrainChatFile      = "train_chat.jsonl"
	ValidationFile     = "validation.jsonl"
	ValidationChatFile = "validation_chat.jsonl"
	SummaryFile        = "summary.json"
)

// dataFile is one JSONL output, encoded when it is written.
type dataFile struct {
	name    string
	samples []Sample
	obj     func(*Sample, *Format) *pyjson.Object
}

// dataFiles lists the JSONL outputs: train.jsonl, the chat form and the
// prompt-completion form (when the elicitation type has one), and the same
// three for validation when there is a validation split.
func (r *Result) dataFiles(s *Selection) []dataFile {
	files := splitFiles(r.Train, TrainFile, TrainChatFile, TrainPromptCompletionFile, &s.Format)
	if s.Holdout > 0 || len(r.Validation) > 0 {
		files = append(files, splitFiles(r.Validation, ValidationFile, ValidationChatFile, ValidationPromptCompletionFile, &s.Format)...)
	}
	return files
}

func splitFiles(samples []Sample, sample, chat, completion string, f *Format) []dataFile {
	files := []dataFile{{sample, samples, SampleObject}, {chat, samples, ChatObject}}
	if f.promptCompletion() {
		files = append(files, dataFile{completion, samples, PromptCompletionObject})
	}
	return files
}

func (r *Result) write(out engine.Output, dir string, s *Selection) error {
	for _, f := range r.dataFiles(s) {
		data, err := jsonl(f.samples, &s.Format, f.obj)
		if err != nil {
			return fmt.Errorf("encode %s: %w", f.name, err)
		}
		if err := out.WriteFile(path.Join(dir, f.name), data); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	data, err := pyjson.Marshal(r.Summary(s), pyjson.DataFile)
	if err != nil {
		return fmt.Errorf("encode %s: %w", SummaryFile, err)
	}
	if err := out.WriteFile(path.Join(dir, SummaryFile), append(data, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", SummaryFile, err)
	}
	return nil
}

// SampleObject is one line of train.jsonl: the formatted texts, the raw
// verdict and the sample's provenance.
func SampleObject(s *Sample, f *Format) *pyjson.Object {
	x := f.Apply(s)
	o := pyjson.NewObject(15)
	o.Set("system", x.System)
	o.Set("task", s.Task)
	o.Set("response", s.Response)
	o.Set("intervention", x.Intervention)
	o.Set("review", x.Review)
	o.Set("flag", x.Flag)
	o.Set("verdict", s.Flag)
	o.Set("topic", s.Topic)
	o.Set("file", s.File)
	o.Set("item", s.Item)
	o.Set("model", s.Model)
	o.Set("variant", s.Variant)
	o.Set("intervention_key", s.Key)
	o.Set("tags", s.Tags)
	return o
}

// sizeHint estimates the JSONL size of samples (texts plus escapes and
// provenance), so the output buffer is allocated once.
func sizeHint(samples []Sample) int {
	n := 0
	for i := range samples {
		s := &samples[i]
		n += 2*len(s.System) + len(s.Task) + len(s.Response) + len(s.Intervention) + len(s.Review) + len(s.Flag) + 512
	}
	return n + n/16
}

// jsonl writes one line per sample: obj's compact JSON.
func jsonl(samples []Sample, f *Format, obj func(*Sample, *Format) *pyjson.Object) ([]byte, error) {
	buf := make([]byte, 0, sizeHint(samples))
	var err error
	for i := range samples {
		if buf, err = pyjson.AppendMarshal(buf, obj(&samples[i], f), pyjson.Line); err != nil {
			return nil, err
		}
		buf = append(buf, '\n')
	}
	return buf, nil
}

// ChatObject is one line of train_chat.jsonl: {"messages": [...]}.
func ChatObject(s *Sample, f *Format) *pyjson.Object {
	o := pyjson.NewObject(1)
	o.Set("messages", messagesJSON(f.Messages(s, f.Apply(s))))
	return o
}

// Summary returns summary.json: the selection, counts per topic, model,
// intervention key, variant and verdict, how many samples hold simulated
// data, what was filtered and why, and the files written.
func (r *Result) Summary(s *Selection) *pyjson.Object {
	o := pyjson.NewObject(10)
	o.Set("selection", s.json())
	counts := pyjson.NewObject(2)
	counts.Set("train", len(r.Train))
	counts.Set("validation", len(r.Validation))
	o.Set("samples", counts)
	o.Set("simulated", countSimulated(r.Train, r.Validation).json())
	o.Set("train", breakdown(r.Train))
	o.Set("validation", breakdown(r.Validation))
	o.Set("filtered", r.filteredJSON())
	topics := pyjson.NewObject(2)
	topics.Set("selected_without_data", r.TopicsWithoutData)
	topics.Set("present_not_selected", r.TopicsNotSelected)
	o.Set("topics", topics)
	o.Set("files_read", r.Files)
	o.Set("files", r.filesJSON(s))
	return o
}

// filesJSON lists the files written, and why the prompt-completion form
// is not among them when it is not.
func (r *Result) filesJSON(s *Selection) *pyjson.Object {
	var names []string
	for _, f := range r.dataFiles(s) {
		names = append(names, f.name)
	}
	o := pyjson.NewObject(2)
	o.Set("written", append(names, SummaryFile))
	notWritten := map[string]any{}
	if !s.Format.promptCompletion() {
		notWritten[TrainPromptCompletionFile] = noPromptCompletion
	}
	o.Set("not_written", notWritten)
	return o
}

func (s *Selection) json() *pyjson.Object {
	o := pyjson.NewObject(16)
	o.Set("config", s.ConfigPath)
	o.Set("model", s.Model)
	o.Set("intervention_types", s.Config.InterventionTypes)
	o.Set("train_topics", s.Config.TrainTopics)
	o.Set("validation_topics", s.Config.ValidationTopics)
	o.Set("tags_to_filter", s.Config.TagsToFilter)
	o.Set("drop_verdicts", s.Drop)
	o.Set("validation_holdout_per_topic", s.Holdout)
	o.Set("elicitation_type", s.Format.Elicitation)
	o.Set("add_sp_token", s.Format.AddSPToken)
	o.Set("sp_token_text", s.Format.SPTokenText)
	o.Set("exclude_system_prompt", s.Format.ExcludeSystemPrompt)
	o.Set("mismatch_prompts", s.Format.MismatchPrompts)
	return o
}

func breakdown(samples []Sample) *pyjson.Object {
	dims := []struct {
		name string
		key  func(*Sample) string
	}{
		{"by_topic", func(s *Sample) string { return s.Topic }},
		{"by_model", func(s *Sample) string { return s.Model }},
		{"by_intervention_key", func(s *Sample) string { return s.Key }},
		{"by_intervention_type", func(s *Sample) string { t, _, _ := strings.Cut(s.Key, "__"); return t }},
		{"by_variant", func(s *Sample) string { return s.Variant }},
		{"by_verdict", func(s *Sample) string { return s.Flag }},
	}
	o := pyjson.NewObject(len(dims))
	for _, d := range dims {
		m := map[string]any{}
		for i := range samples {
			k := d.key(&samples[i])
			n, _ := m[k].(int)
			m[k] = n + 1
		}
		o.Set(d.name, m)
	}
	return o
}

func (r *Result) filteredJSON() *pyjson.Object {
	o := pyjson.NewObject(10)
	o.Set("samples_extracted", r.Extracted)
	o.Set("items_without_model_inference", r.Skips.ItemsWithoutModel)
	o.Set("items_with_empty_task", r.Skips.ItemsEmptyTask)
	o.Set("variants_with_empty_prompt", r.Skips.VariantsNoPrompt)
	o.Set("variants_without_response", r.Skips.VariantsNoResponse)
	o.Set("samples_of_other_intervention_types", r.Filtered.OtherTypes)
	o.Set("samples_with_filtered_tags", r.Filtered.ByTags)
	o.Set("filtered_tag_counts", r.Filtered.TagOccurrences)
	o.Set("samples_with_dropped_verdicts", r.Filtered.ByVerdict)
	o.Set("held_out_for_validation", r.HeldOut)
	return o
}
