// Command original is the Go half of bench/original/run.sh, the side-by-side
// benchmark against the original Python scripts. It compares what the
// original wrote with what sptflow wrote on the same input, and prints the
// benchmark's table:
//
//	original dirs [-mask KEY] [-paths N] ORIG_DIR SPTFLOW_DIR
//	original eval ORIG_STDOUT SPTFLOW_EVALUATION_SUMMARY_JSON
//	original table TIMES_FILE [NOOP_OUTPUT]
//
// dirs lists every file of either tree as equal, equal but for the values of
// the -mask keys, differing (first differing byte, then the first -paths
// differing JSON paths) or present on one side only. eval checks each
// accuracy figure the original evaluation script printed against the figure
// sptflow's evaluation_summary.json holds for the same group and condition.
// table reads the measurements run.sh recorded and prints medians, ranges,
// ratios and the goals of issue 15.
//
// Exit status: 0 when it ran (differences are findings, not failures),
// 2 on bad usage or unreadable input.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench/original:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: original dirs|eval|table ...")
	}
	switch args[0] {
	case "dirs":
		return runDirs(args[1:], os.Stdout)
	case "eval":
		return runEval(args[1:], os.Stdout)
	case "table":
		return runTable(args[1:], os.Stdout)
	}
	return fmt.Errorf("unknown command %q (want dirs, eval or table)", args[0])
}
