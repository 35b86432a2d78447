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
// decoded: only each entry's condition and flags are kept, so 250 MB of
// results take well under a second and little memory.
package evalreport
