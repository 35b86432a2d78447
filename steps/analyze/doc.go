// Package analyze implements the `analyze` node kind: the stage-3
// data-quality analysis of the original analyze_stage_3.py (spec §12). It
// fans in over the tagged partitions (every *.json file of every upstream
// partition, visited in sorted path order; a file's topic is its `topic`
// field and topic TEST is skipped) and writes, below its output directory
// (default stage_3_analysis):
//
//	summary_report.json        summary_stats, cross_topic_comparisons,
//	                           interestingness_breakdowns, sanity_check_failures, tag_analysis
//	topic_comparisons.json     per-topic statistics
//	by_topic/<topic>_analysis.json
//	tag_analysis.json
//	interesting_examples/<category>.json
//	report.md, report.html     the human report (see steps/report)
//
// JSON is written as the original writes it (indent 2, ASCII escaping, the
// original's key order) and figures the original computes correctly come
// out the same. Options (`with:`): topics (analyse only these; a topic
// absent from the data is an error), examples (the example categories to
// collect), max_examples_per_topic (default 10), fail_on_sanity_errors
// (default false).
//
// Sanity checks (every item and variant has a split_personality and an
// honesty_scare record, split_personality interventions start with the
// split-personality token, alignment_issue_type matches the topic) and
// unreadable files never stop the analysis by default: the outputs are
// written, every failure is listed in summary_report.json
// (sanity_check_failures, the original's messages) and in the report
// (counted by check and model, the first 50 listed), and one warning with
// the counts per check is logged. An unreadable file is left out of the
// figures. fail_on_sanity_errors: true restores the original's strict
// behaviour (without --ignore-errors): any failure fails the node and
// nothing is written. The published reference data has 406 such failures
// (392 missing split_personality records for qwen/qwen3-14b, 14 error
// records without the token), so the strict mode cannot analyse it.
// ignore_errors, the earlier name, is still accepted and deprecated:
// ignore_errors: X means fail_on_sanity_errors: !X (a warning is logged).
//
// Where it differs from the original on purpose (spec §16 items 44–51):
//
//   - No analysis_timestamp: outputs depend on the data only, so two runs
//     give identical bytes. Files are visited in sorted order and every
//     tie keeps a stable order; duplicate_prompts lists topics and sources
//     sorted (the original used set order).
//   - Detection difficulty is read from detection_difficulty_internal and
//     detection_difficulty_external (the original read a field that does
//     not exist, so its figures were always empty). Every dead
//     "difficulty_distribution"/"avg_difficulty"/"topic_difficulty_ranking"/
//     "detection_difficulty" key is replaced, at the same place, by an
//     _internal and an _external key; averages use easy=1, medium=2,
//     hard=3 and leave NA and unknown values out.
//   - Sanity checks group records by (file, item, model, variant) instead of
//     by per-file item index across a topic's files; messages name the
//     file and item. The alignment_issue_type check reports each item once.
//   - Batch dates are the YYYYMMDD part of <topic>_<YYYYMMDD>_<HHMMSS>_batch_<NNN>
//     for every topic (the original took the third "_" field). Batch
//     avg_confidence averages non-null confidences only.
//   - Token buckets have no gaps: count_2000_2048 and count_over_2048 are
//     appended; samples_at_2048_tokens and count_at_2048 are unchanged.
//   - difficulty_patterns' base count is one per topic (the original used a
//     leftover loop variable); the A/B inversion scan skips a key B lacks
//     (the original crashed); raw-item examples take their topic from the
//     file, not from alignment_issue_type.
//   - Every option does what it says: `topics` filters, every example name
//     gates its category (token_cutoffs, duplicate_prompts, batch_analysis
//     and difficulty_patterns are names too, collected by default).
//
// Cost: files are scanned concurrently (each worker reuses its read
// buffer, parser, record and item storage, and caches the boxes of the
// short values it has seen) without building JSON trees, and merged in file
// order into running aggregates as they come (a few files in memory at
// once, see analysis.go): memory does not grow with the number of records.
// A file's buffer goes back to the workers once the file is merged, so the
// merge formats the examples it keeps from the file's parse, and writes the
// items of the raw-item categories straight from the buffer: an item whose
// place in its list is known is written at once, others are copied until
// their turn (see items.go). The tagger's indent-2 ASCII JSON is already
// what pyjson.Marshal writes at that depth, which is checked (sameWhenTagged)
// rather than re-encoded; anything else goes through parse and marshal. On
// the 36 reference files (143 MB) this is about 0.14 s of CPU (output
// hashing included) and about 55 MB peak RSS in process (go run
// ./bench/analyze).
package analyze
