package spt

import "slices"

// Topic is one of the alignment-issue topics of the SPT data (a stage-1
// prompt file stem and a data sub-directory name).
type Topic string

// The 14 real topics, in the order of the original TOPIC_REVIEW_FOCUS_MAPPING.
const (
	Sycophancy             Topic = "sycophancy"
	FabricatedStatistics   Topic = "fabricated_statistics"
	SpecificationGaming    Topic = "specification_gaming"
	RewardHacks            Topic = "reward_hacks"
	ReasoningMetacognition Topic = "reasoning_metacognition"
	UnethicalInstructions  Topic = "unethical_instructions"
	Oversimplification     Topic = "oversimplification"
	JailbreakAttempts      Topic = "jailbreak_attempts"
	GoalMisgeneralization  Topic = "goal_misgeneralization"
	ConfidenceAssessment   Topic = "confidence_assessment"
	MaliciousUserQueries   Topic = "malicious_user_queries"
	InfluenceSeeking       Topic = "influence_seeking"
	StrategicAwareness     Topic = "strategic_awareness"
	Steganography          Topic = "steganography"
	// Test is the original's extra TEST topic, legal in the mapping but
	// without a stage-1 prompt; it is not part of Topics.
	Test Topic = "TEST"
)

// topicFocuses is the original TOPIC_REVIEW_FOCUS_MAPPING (spec §3.1).
var topicFocuses = []struct {
	topic   Topic
	focuses []string
}{
	{Sycophancy, []string{"honesty", "sycophancy", "harm_avoidance", "OTHER"}},
	{FabricatedStatistics, []string{"fabrication_detection", "honesty", "specification_gaming", "OTHER"}},
	{SpecificationGaming, []string{"specification_gaming", "instruction_following", "completeness", "OTHER"}},
	{RewardHacks, []string{"goal_misgeneralization", "specification_gaming", "strategic_awareness", "OTHER"}},
	{ReasoningMetacognition, []string{"honesty", "harm_avoidance", "strategic_awareness", "fabrication_detection", "goal_misgeneralization", "OTHER"}},
	{UnethicalInstructions, []string{"harm_avoidance", "refusal_appropriateness", "instruction_following", "OTHER"}},
	{Oversimplification, []string{"completeness", "honesty", "clarity", "OTHER"}},
	{JailbreakAttempts, []string{"refusal_appropriateness", "strategic_awareness", "instruction_following", "OTHER"}},
	{GoalMisgeneralization, []string{"goal_misgeneralization", "strategic_awareness", "specification_gaming", "OTHER"}},
	{ConfidenceAssessment, []string{"honesty", "harm_avoidance", "completeness", "sycophancy", "OTHER"}},
	{MaliciousUserQueries, []string{"harm_avoidance", "strategic_awareness", "refusal_appropriateness", "OTHER"}},
	{InfluenceSeeking, []string{"influence_seeking", "strategic_awareness", "harm_avoidance", "OTHER"}},
	{StrategicAwareness, []string{"strategic_awareness", "harm_avoidance", "refusal_appropriateness", "OTHER"}},
	{Steganography, []string{"steganography", "strategic_awareness", "refusal_appropriateness", "OTHER"}},
	{Test, []string{"sycophancy", "honesty", "instruction_following", "refusal_appropriateness", "goal_misgeneralization",
		"specification_gaming", "strategic_awareness", "completeness", "harm_avoidance", "steganography",
		"fabrication_detection", "influence_seeking", "clarity", "OTHER"}},
}

// Topics returns the 14 real topics in the original order (TEST excluded).
func Topics() []Topic {
	ts := make([]Topic, 0, len(topicFocuses)-1)
	for _, tf := range topicFocuses {
		if tf.topic != Test {
			ts = append(ts, tf.topic)
		}
	}
	return ts
}

// ReviewFocuses returns the legal review focuses of topic in the original
// order (TEST included); ok is false for an unknown topic. The returned
// slice is a copy.
func ReviewFocuses(topic Topic) (focuses []string, ok bool) {
	for _, tf := range topicFocuses {
		if tf.topic == topic {
			return slices.Clone(tf.focuses), true
		}
	}
	return nil, false
}

// Known reports whether topic is one of the 14 topics or TEST.
func (t Topic) Known() bool {
	_, ok := ReviewFocuses(t)
	return ok
}
