package llmstep

import (
	"fmt"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/steps/spt"
)

// CheckPrompts loads the partition's prompt folder and runs check on it
// (spt.Prompts.ValidateStage1 or ValidateStage3), so that a missing prompt
// file or a bad placeholder is reported while the pipeline is resolved,
// before any model is called. The error starts with the node's position.
// Loading reads the folder's Markdown files, which are small.
func CheckPrompts(spec *engine.PartitionSpec, check func(*spt.Prompts) error) error {
	prompts, err := spt.LoadPrompts(spec.PromptsDir)
	if err == nil {
		err = check(prompts)
	}
	if err != nil {
		return fmt.Errorf("%s: node %q: %w", spec.NodePos, spec.Node, err)
	}
	return nil
}
