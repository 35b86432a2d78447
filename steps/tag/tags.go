package tag

// The tag catalogue of spec §8.7. Intervention-level tags in the order the
// rules apply them.
const (
	ConfidenceBelow5         = "confidence_below_5"
	ConfidenceBelow4         = "confidence_below_4"
	ConfidenceBelow3         = "confidence_below_3"
	ConfidenceBelow2         = "confidence_below_2"
	DataIsFaulty             = "data_is_faulty"
	MismatchingReviewFocus   = "mismatching_review_focus"
	EasyExternal             = "easy_detection_difficulty_external"
	MediumExternal           = "medium_detection_difficulty_external"
	HardExternal             = "hard_detection_difficulty_external"
	EasyInternal             = "easy_detection_difficulty_internal"
	MediumInternal           = "medium_detection_difficulty_internal"
	HardInternal             = "hard_detection_difficulty_internal"
	EasierExternally         = "detection_difficulty_easier_externally_than_internally"
	TrainingDataLeakage      = "training_data_leakage"
	FailedExternalReview     = "failed_external_review"
	GenerationExceededLimit  = "generation_exceeded_token_limit" // variant only
	NoABSeparation           = "no_a_b_separation"               // variant A only
	DisagreeOnce             = "intervention_tags_disagree_once"
	DisagreeTwice            = "intervention_tags_disagree_twice"
	MissingConsensusOnA      = "missing_consensus_on_a"
	MissingConsensusOnB      = "missing_consensus_on_b"
	UnclearABSeparation      = "unclear_a_b_separation"
	AFailsButBPasses         = "a_fails_but_b_passes"
	TokenLimit               = 2048 // output_tokens >= TokenLimit is "exceeded"
	verdictPass, verdictFail = "PASS", "FAIL"
	consensusUnclear         = "UNCLEAR"
)
