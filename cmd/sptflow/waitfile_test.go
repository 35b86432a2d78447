package main

import (
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func init() { scriptCmds["waitfile"] = cmdWaitFile }

// waitFileTimeout is how long waitfile waits: generous, for a loaded
// machine under -race; a script that passes never waits that long.
const waitFileTimeout = 2 * time.Minute

// cmdWaitFile waits until a file matching GLOB exists and, with REGEXP,
// until its content matches: `waitfile GLOB [REGEXP]`. It is how scripts
// synchronise with a process running in the background (a marker file its
// step writes, a line of its journal), instead of sleeping.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile GLOB [REGEXP]")
	}
	var re *regexp.Regexp
	if len(args) == 2 {
		re = regexp.MustCompile(args[1])
	}
	glob := ts.MkAbs(args[0])
	deadline := time.Now().Add(waitFileTimeout)
	for !fileMatches(glob, re) {
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile %s: nothing matched within %s", args, waitFileTimeout)
		}
		time.Sleep(5 * time.Millisecond) // polling the file system, not timing the other process
	}
}

func fileMatches(glob string, re *regexp.Regexp) bool {
	paths, _ := filepath.Glob(glob)
	for _, p := range paths {
		if re == nil {
			return true
		}
		if b, err := os.ReadFile(p); err == nil && re.Match(b) {
			return true
		}
	}
	return false
}
