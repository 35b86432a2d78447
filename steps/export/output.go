package export

import (
	"fmt"
	"path"

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

// dataFileNames lists the JSONL outputs written: the train files and,
// when the validation split has samples or the hold-out is on, the
// validation files.
func (r *Result) dataFileNames(s *Selection) []string {
	files := splitFiles(TrainFile, TrainChatFile, TrainPromptCompletionFile, &s.Format)
	if r.validationFiles {
		files = append(files, splitFiles(ValidationFile, ValidationChatFile, ValidationPromptCompletionFile, &s.Format)...)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
	}
	return names
}

// writeSummary writes summary.json.
func (r *Result) writeSummary(out engine.Output, dir string, s *Selection) error {
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
	counts.Set("train", r.Train.n)
	counts.Set("validation", r.Validation.n)
	o.Set("samples", counts)
	o.Set("simulated", r.simulated().json())
	o.Set("train", r.Train.breakdown())
	o.Set("validation", r.Validation.breakdown())
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
	names := r.dataFileNames(s)
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
