// Package tag implements the `tag` node kind: the quality tagging of
// stage-3 data (the original tag_stage_3_data.py, spec §8). Every tag at
// every level is reproduced in the original order, quirks included, with
// two deliberate changes (DESIGN §10): having no "*_baseline" interventions
// is not an error (the count is reported), and id_numeric is assigned in
// sorted file order, per partition (per topic), starting at 1. A third
// difference only shows on input that is already tagged: the tagger owns
// "tags", "id_numeric" and "id_string", so existing values are replaced in
// place (the original appended to existing tag lists), which makes tagging
// idempotent.
//
// The core is pure: TagFile tags one parsed batch file in place and
// Partition tags the files of one topic concurrently with deterministic
// output. Step adapts them to the engine. Partition first tries the fast
// path (fast.go, emit.go), which tags a file from its token stream without
// building the tree and leaves to TagFile every file it does not handle,
// with the same output bytes either way.
package tag
