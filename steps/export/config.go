package export

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/sptflow/sptflow/regfile"
)

// Config is a training config in the original's format
// (config/training_config.json, training/cfg.json). Keys the export does
// not use are allowed and ignored, as the original's pydantic model does.
type Config struct {
	InterventionTypes  []string `json:"intervention_types"`
	TrainTopics        []string `json:"train_topics"`
	ValidationTopics   []string `json:"validation_topics"`
	TagsToFilter       []string `json:"tags_to_filter"`
	SystemTag          string   `json:"system_tag"`
	InterventionPrefix string   `json:"intervention_prefix"`
	ReviewPrefix       string   `json:"review_prefix"`
	FlagPrefix         string   `json:"flag_prefix"`
	AddSPToken         truthy   `json:"add_sp_token"`
	ElicitationType    string   `json:"elicitation_type"`
	DataModelSource    string   `json:"data_model_source"`
	ValSamplesPerTopic *int     `json:"val_samples_per_topic"`
	// ValidationClaudeSubsampleN is the legacy key the loader maps to
	// val_samples_per_topic.
	ValidationClaudeSubsampleN *int   `json:"validation_claude_subsample_n"`
	ExcludeSystemPrompt        truthy `json:"exclude_system_prompt"`
	MismatchPrompts            truthy `json:"mismatch_prompts"`
}

// truthy is a config flag written as a boolean or as 0/1.
type truthy bool

// UnmarshalJSON accepts true/false, numbers (non-zero is true) and null.
func (t *truthy) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch string(b) {
	case "true":
		*t = true
		return nil
	case "false", "null":
		*t = false
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("want a boolean or 0/1, got %s", b)
	}
	*t = f != 0
	return nil
}

// ReadConfig reads and checks a training config file.
func ReadConfig(path string) (*Config, error) { return readConfig(path, path) }

// readConfig reads and checks the training config at path, naming it
// shown in errors (the path as the pipeline gives it).
func readConfig(path, shown string) (*Config, error) {
	data, err := regfile.Read(path, regfile.MaxConfig)
	if err != nil {
		return nil, fmt.Errorf("read training config %s: %w", shown, err)
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("training config %s: %w", shown, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("training config %s: %w", shown, err)
	}
	return &c, nil
}

func (c *Config) check() error {
	if len(c.TrainTopics) == 0 {
		return fmt.Errorf("train_topics is empty")
	}
	if len(c.InterventionTypes) == 0 {
		return fmt.Errorf("intervention_types is empty")
	}
	if c.ExcludeSystemPrompt && c.MismatchPrompts {
		return fmt.Errorf("exclude_system_prompt and mismatch_prompts cannot both be set")
	}
	switch c.ElicitationType {
	case "", "hp", "up", "ur":
	default:
		return fmt.Errorf("elicitation_type %q: want hp, up or ur", c.ElicitationType)
	}
	return nil
}

// valSamplesPerTopic is val_samples_per_topic, or the legacy
// validation_claude_subsample_n; ok is false when neither is set.
func (c *Config) valSamplesPerTopic() (n int, ok bool) {
	if c.ValSamplesPerTopic != nil {
		return *c.ValSamplesPerTopic, true
	}
	if c.ValidationClaudeSubsampleN != nil {
		return *c.ValidationClaudeSubsampleN, true
	}
	return 0, false
}
