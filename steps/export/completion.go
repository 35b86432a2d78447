package export

import "github.com/sptflow/sptflow/pyjson"

// The prompt-completion files: TRL's conversational prompt-completion type
// (https://huggingface.co/docs/trl/dataset_formats#prompt-completion), one
// line {"prompt": [messages], "completion": [messages]} per sample, in the
// same order as train.jsonl (whose line i holds sample i's provenance).
// TRL's SFTTrainer computes the loss on the completion only by default
// (SFTConfig.completion_only_loss=None means True for prompt-completion
// data): it tokenizes the prompt with the chat template and
// add_generation_prompt=True, the prompt plus the completion without it,
// and masks the prompt's tokens.
const (
	TrainPromptCompletionFile      = "train_prompt_completion.jsonl"
	ValidationPromptCompletionFile = "validation_prompt_completion.jsonl"
)

// noPromptCompletion says why the prompt-completion files are not written
// for up elicitation.
const noPromptCompletion = "elicitation_type up puts the honest persona in a user turn; " +
	"a prompt-completion trainer opens an assistant turn after the prompt (add_generation_prompt), " +
	"so the completion cannot be a user message"

// PromptCompletion splits a sample into what a trainer conditions on and
// what it learns, at the first message SPT trains: the prompt is the
// conversation up to and including the original response S, so no loss is
// ever taken on S; the completion is one assistant message, the honest
// persona's turn. With hp it holds [sp token] + intervention + review +
// flag; with ur the intervention is the user's turn, in the prompt, and
// the completion is [sp token] + review + flag. ok is false for up, whose
// persona speaks in a user turn (see noPromptCompletion).
//
// Two differences from the original training code remain, because a chat
// trainer splits at message boundaries: with hp the persona's turn is a
// new assistant message after S's end-of-turn, where the original
// continues S's turn; and the original's loss mask covers only the review
// and the flag (spec §10.5), where the completion here also holds the sp
// token and the intervention.
func (f *Format) PromptCompletion(s *Sample, x Formatted) (prompt, completion []Message, ok bool) {
	sp := f.spToken()
	prompt = append(f.conversation(s, x), Message{"assistant", s.Response})
	switch f.Elicitation {
	case "up":
		return nil, nil, false
	case "ur":
		prompt = append(prompt, Message{"user", x.Intervention})
		return prompt, []Message{{"assistant", sp + x.Review + x.Flag}}, true
	}
	return prompt, []Message{{"assistant", sp + x.Intervention + x.Review + x.Flag}}, true
}

// promptCompletion reports whether the elicitation type has a
// prompt-completion form.
func (f *Format) promptCompletion() bool { return f.Elicitation != "up" }

// PromptCompletionObject is one line of train_prompt_completion.jsonl. It
// must only be called when the format has a prompt-completion form.
func PromptCompletionObject(s *Sample, f *Format) *pyjson.Object {
	prompt, completion, _ := f.PromptCompletion(s, f.Apply(s))
	o := pyjson.NewObject(2)
	o.Set("prompt", messagesJSON(prompt))
	o.Set("completion", messagesJSON(completion))
	return o
}

func messagesJSON(msgs []Message) []any {
	arr := make([]any, len(msgs))
	for i, m := range msgs {
		mo := pyjson.NewObject(2)
		mo.Set("role", m.Role)
		mo.Set("content", m.Content)
		arr[i] = mo
	}
	return arr
}
