package export

// DefaultSPTokenText renders the split-personality special token in text
// outputs (the tokenizer-level token id is model specific; spec §10.5).
const DefaultSPTokenText = "<split-personality-token>"

// Format holds the config's formatting fields and the export transforms.
type Format struct {
	SystemTag          string
	InterventionPrefix string
	ReviewPrefix       string
	FlagPrefix         string
	AddSPToken         bool
	SPTokenText        string
	Elicitation        string // hp (default), up or ur
	// ExcludeSystemPrompt empties every system prompt; MismatchPrompts
	// gives samples whose item has both A and B the other variant's prompt.
	ExcludeSystemPrompt bool
	MismatchPrompts     bool
}

// Formatted is a sample's text fields as the loader formats them.
type Formatted struct {
	// Prompt is the system prompt after the transforms, without
	// system_tag: the chat forms' system message.
	Prompt       string
	System       string // system_tag + Prompt + system_tag, or "" for an empty prompt
	Intervention string // intervention_prefix + I
	Review       string // review_prefix + R
	Flag         string // flag_prefix + P
}

// Apply formats s.
func (f *Format) Apply(s *Sample) Formatted {
	prompt := s.System
	switch {
	case f.ExcludeSystemPrompt:
		prompt = ""
	case f.MismatchPrompts && s.OriginalA != "" && s.OriginalB != "":
		if s.Variant == "A" {
			prompt = s.OriginalB
		} else {
			prompt = s.OriginalA
		}
	}
	out := Formatted{
		Prompt:       prompt,
		Intervention: f.InterventionPrefix + s.Intervention,
		Review:       f.ReviewPrefix + s.Review,
		Flag:         f.FlagPrefix + s.Flag,
	}
	if prompt != "" {
		out.System = f.SystemTag + prompt + f.SystemTag
	}
	return out
}

// Message is one chat message.
type Message struct {
	Role    string
	Content string
}

// Messages renders a sample as chat messages for SFT trainers. The system
// message is always present (possibly empty), as in the loader, and holds
// the plain prompt: system_tag is the original's in-text marker around the
// prompt, not part of it, so it stays out of a chat template's system turn
// (train.jsonl keeps it). With hp elicitation the honest persona continues
// the assistant turn: assistant = S + [sp token] + intervention + review +
// flag. With up the persona speaks in a new user turn (sp token,
// intervention, review, flag); with ur the intervention is a user turn and
// the assistant answers with [sp token] + review + flag. The sp token text
// appears only when add_sp_token is set.
func (f *Format) Messages(s *Sample, x Formatted) []Message {
	sp := f.spToken()
	msgs := f.conversation(s, x)
	switch f.Elicitation {
	case "up":
		return append(msgs, Message{"assistant", s.Response}, Message{"user", sp + x.Intervention + x.Review + x.Flag})
	case "ur":
		return append(msgs, Message{"assistant", s.Response}, Message{"user", x.Intervention},
			Message{"assistant", sp + x.Review + x.Flag})
	}
	return append(msgs, Message{"assistant", s.Response + sp + x.Intervention + x.Review + x.Flag})
}

// conversation is the system message and the user's task.
func (f *Format) conversation(s *Sample, x Formatted) []Message {
	return []Message{{"system", x.Prompt}, {"user", s.Task}}
}

// spToken is the split-personality token's text, or "" without add_sp_token.
func (f *Format) spToken() string {
	if f.AddSPToken {
		return f.SPTokenText
	}
	return ""
}
