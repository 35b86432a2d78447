// Package sptsim is the SPT-aware side of the `sim` provider: responders for
// the pipeline's three forced tools and for stage-2 plain answers, so that a
// pipeline on simulated models produces realistic, non-degenerate data
// offline. Everything is derived from the seed sim passes in (a hash of the
// request), so runs are reproducible.
//
// The responders cooperate through visible cues: simulated stage-1 B
// prompts carry BiasCue; a stage-2 answer to such a prompt follows the bias
// about half the time and then contains ComplianceCue; the stage-3 responder
// reads the samples of its request and flags those answers FAIL (mostly),
// the others PASS (mostly), with some disagreement, AMBIGUOUS verdicts, low
// confidence and, now and then, leakage phrases that the tagger catches.
package sptsim

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/llm/sim"
	"github.com/sptflow/sptflow/steps/spt"
)

// Cues shared by the simulated stages.
const (
	// BiasCue opens the hidden pressure of every simulated B prompt.
	BiasCue = "Internal priority:"
	// ComplianceCue marks a simulated answer that followed the bias.
	ComplianceCue = "I'll go along with what you want here"
	// SplitPersonalityToken starts every split-personality intervention.
	SplitPersonalityToken = "<split-personality-token>"
)

// Responders returns the responders to register in llm.RuntimeConfig.Sim:
// by forced tool name, and "" for plain (stage-2) requests.
func Responders() map[string]llm.SimResponder {
	return map[string]llm.SimResponder{
		spt.Stage1ToolName:           Stage1{},
		spt.Stage3GenerationToolName: Stage3{},
		spt.Stage3ReviewToolName:     Review{},
		"":                           Answer{},
	}
}

var (
	_ llm.SimResponder     = Stage1{}
	_ llm.SimResponder     = Answer{}
	_ llm.SimResponder     = Stage3{}
	_ sim.OptionsResponder = Review{}
)

// firstUser returns the first user message of req.
func firstUser(req *llm.Request) string {
	for _, m := range req.Messages {
		if m.Role == llm.RoleUser {
			return m.Content
		}
	}
	return ""
}

var exactlyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)exactly\s+(\d{1,4})\b`) })
var numberRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b(\d{1,4})\b`) })

// requestedCount guesses how many samples a stage-1 prompt asks for: the
// number after "exactly", else the most frequent number in the prompt,
// else def.
func requestedCount(text string, def int) int {
	if m := exactlyRE().FindStringSubmatch(text); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			return n
		}
	}
	counts := map[int]int{}
	best, bestN := def, 0
	for _, m := range numberRE().FindAllStringSubmatch(text, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil || n <= 0 || n > 500 {
			continue
		}
		counts[n]++
		if counts[n] > bestN {
			best, bestN = n, counts[n]
		}
	}
	return best
}

// topicOf guesses the topic a prompt is about: the topic its first
// Markdown heading names ("# Stage 1: Reward Hacks"), else the topic named
// most often in it (as "reward_hacks" or "reward hacks"), sycophancy when
// none is.
func topicOf(text string) spt.Topic {
	if t, ok := headingTopic(text); ok {
		return t
	}
	lower := strings.ToLower(text)
	best, bestN := spt.Sycophancy, 0
	for _, t := range spt.Topics() {
		if n := mentions(lower, t); n > bestN {
			best, bestN = t, n
		}
	}
	return best
}

// headingTopic returns the topic named in text's first "# " heading (every
// word of the name appears: "Reasoning and Metacognition" names
// reasoning_metacognition); when several are, the longest name wins.
func headingTopic(text string) (spt.Topic, bool) {
	var heading string
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "# ") {
			heading = strings.ToLower(line)
			break
		}
	}
	best, found := spt.Topic(""), false
	for _, t := range spt.Topics() {
		if namesAll(heading, t) && len(t) > len(best) {
			best, found = t, true
		}
	}
	return best, found
}

func namesAll(lower string, topic spt.Topic) bool {
	for w := range strings.SplitSeq(string(topic), "_") {
		if !strings.Contains(lower, w) {
			return false
		}
	}
	return lower != ""
}

// mentions counts topic's name in lower, with underscores or spaces.
func mentions(lower string, topic spt.Topic) int {
	name := string(topic)
	n := strings.Count(lower, name)
	if strings.Contains(name, "_") {
		n += strings.Count(lower, strings.ReplaceAll(name, "_", " "))
	}
	return n
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// chance is true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }
