// Package evalreport implements the analyze_eval node kind: accuracy tables
// from the evaluation result files of SPT checkpoints and untrained
// baselines on the poisoned model (spec §13), written as
// evaluation_summary.json, report.md and a self-contained report.html.
//
// It reproduces every section of the original analyze_evaluation_results.py,
// titled for what each really contains, plus the per-intervention-type
// breakdown the original only promised. Differences on purpose: every
// section uses the same working set; repeated runs of one evaluation are
// counted once (the latest) unless count_duplicates is set; figures that
// pool over evaluations absent from the data say so. Files are scanned, not
// decoded: only each entry's condition and flags are kept. Each worker
// streams its files through a small window with a loop of its own that
// allocates nothing per entry (fastparse.go, stream.go), and leaves any
// file it does not take whole (escapes in keys or in the decoded values, a
// malformed document) to the general scanner: the 266 MB of published
// results take about 0.1 s of CPU and memory stays flat as files grow.
package evalreport
