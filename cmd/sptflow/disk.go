package main

import (
	"fmt"
	"io"

	"github.com/sptflow/sptflow/engine"
)

// stateLabel is the state status prints for a partition: its state against
// the store, or, for an up-to-date partition whose materialized files do not
// match its sealed output, "foreign" (another pipeline's files are there),
// "modified" or "incomplete" (files are missing).
func stateLabel(st engine.PartitionStatus) string {
	if st.Remote {
		return "remote"
	}
	if st.State != engine.UpToDate || len(st.Disk) == 0 {
		return string(st.State)
	}
	if st.Unwritten {
		return "unwritten"
	}
	label := "incomplete"
	for _, f := range st.Disk {
		switch f.State {
		case engine.FileBlocked:
			return "blocked"
		case engine.FileForeign:
			label = "foreign"
		case engine.FileModified:
			if label != "foreign" {
				label = "modified"
			}
		}
	}
	return label
}

// printDisk lists the files of st that do not match its sealed output.
func printDisk(w io.Writer, st engine.PartitionStatus) {
	if st.Remote {
		return // nothing of it is here yet
	}
	if st.Unwritten {
		fmt.Fprintf(w, "    %s not in the data directory (sealed in the store; run writes %s)\n", plural(len(st.Disk), "file"), pronoun(len(st.Disk)))
		return
	}
	for _, f := range st.Disk {
		if f.Owner != "" {
			fmt.Fprintf(w, "    %s: %s (written by pipeline %q)\n", f.State, f.Path, f.Owner)
			continue
		}
		if f.State == engine.FileBlocked {
			fmt.Fprintf(w, "    %s: %s (a directory is where this file belongs: move it away, then run restores the file)\n", f.State, f.Path)
			continue
		}
		fmt.Fprintf(w, "    %s: %s\n", f.State, f.Path)
	}
}

// pronoun is "it" or "them".
func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
