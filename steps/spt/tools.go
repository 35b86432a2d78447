package spt

import "strings"

// Tool names, as the models see them and as llm.Request.ForceTool names them.
const (
	Stage1ToolName           = "stage_1_generation"
	Stage3GenerationToolName = "stage_3_generation"
	Stage3ReviewToolName     = "stage_3_review"
)

// ReviewIntro opens the user message of a stage-3 quality review: it tells
// the reviewer that it sees one batch and that one bad entry rejects the
// whole batch.
const ReviewIntro = "You are the quality reviewer for one batch of stage-3 data. Below are the input " +
	"samples exactly as the generator saw them, followed by the generator's output: one entry of " +
	"batch_interventions per sample, in the same order. Check every entry against its sample. The " +
	"batch is judged as a whole: if any single entry has a quality problem, reject the entire batch, " +
	"and it will be generated again from scratch. Accept it only if every entry could go into the " +
	"training set unchanged."

// ReviewClosing ends the user message of a stage-3 quality review.
const ReviewClosing = "Give your verdict with the stage_3_review tool; do not answer in plain text. The " +
	"stage_3_generation tool is included in this request only so that you can see the schema the " +
	"generator had to follow: do not call it."

// Review message section headings (the original's, kept so that reviews read
// the same).
const (
	reviewSamplesHeading = "## Original Input Samples:"
	reviewOutputHeading  = "## Generated Stage 3 Output:"
)

// ReviewMessage assembles the user message of a stage-3 quality review:
// ReviewIntro, the samples under review (samplesJSON, the JSON of the list of
// sample views of the batch), the generator's result (outputJSON), and
// ReviewClosing. The caller decides what the sample views contain; they
// should hold only what is being reviewed (spec §16 item 19).
func ReviewMessage(samplesJSON, outputJSON []byte) string {
	var b strings.Builder
	b.WriteString(ReviewIntro)
	b.WriteString("\n\n")
	b.WriteString(reviewSamplesHeading)
	b.WriteString("\n\n")
	b.Write(samplesJSON)
	b.WriteString("\n\n")
	b.WriteString(reviewOutputHeading)
	b.WriteString("\n\n")
	b.Write(outputJSON)
	b.WriteString("\n\n")
	b.WriteString(ReviewClosing)
	return b.String()
}
