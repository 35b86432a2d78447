package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunScriptRelativePaths runs run.sh as a user would from another
// directory, with SPT_ORIGINAL, SPT_REFERENCE_DATA and the binary given
// relative to it: the script changes to the repository, so it must make
// them absolute first. A stand-in original whose tagger writes nothing
// stops the script at its first check after the setup, which the paths
// must have reached.
func TestRunScriptRelativePaths(t *testing.T) {
	dir, work := standIn(t, map[string]string{
		"orig/scripts/tag_stage_3_data.py": "print('stand-in tagger ran')\nraise SystemExit(1)\n",
	})
	out, err := runScript(t, dir, work)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("run.sh: %v, want exit 2; output:\n%s", err, out)
	}
	if want := "the original tagger wrote 0 of 1 files"; !strings.Contains(out, want) {
		t.Errorf("output:\n%s\nwant it to stop at %q", out, want)
	}
	if want := "sptflow: " + filepath.Join(dir, "bin/sptflow"); !strings.Contains(out, want) {
		t.Errorf("output:\n%s\nwant the binary named absolutely: %q", out, want)
	}
	log, err := os.ReadFile(filepath.Join(work, "sptflow-bench-original", "orig:tag.log"))
	if err != nil || !strings.Contains(string(log), "stand-in tagger ran") {
		t.Errorf("the stand-in tagger's log: %q, %v; want it to have run", log, err)
	}
}

// TestRunScriptExpectedFailures checks that the original's tagger and
// analysis failing as they do on the published data (after writing their
// outputs) are said to be expected, and the time to stand.
func TestRunScriptExpectedFailures(t *testing.T) {
	dir, work := standIn(t, map[string]string{
		"orig/scripts/tag_stage_3_data.py": `import os
os.makedirs("data/stage_3_tagged/sycophancy", exist_ok=True)
open("data/stage_3_tagged/sycophancy/batch.json", "w").write("{}")
raise Exception("No baseline interventions were found and removed. This is unexpected - the sanity check has failed.")
`,
		"orig/scripts/analyze_stage_3.py": `import os
os.makedirs("analysis", exist_ok=True)
open("analysis/summary_report.json", "w").write("{}")
print("Error: Sanity check failures")
raise SystemExit(1)
`,
		"orig/scripts/analyze_evaluation_results.py": "raise SystemExit(1)\n",
	})
	out, err := runScript(t, dir, work)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(out, "the original evaluation script failed") {
		t.Fatalf("run.sh: %v, want exit 2 at the stand-in evaluation script; output:\n%s", err, out)
	}
	for _, want := range []string{
		"the original's tagger exited 1 after writing its outputs: Exception: No baseline interventions",
		"(expected: its last check wants *_baseline interventions to remove",
		"the original's analysis exited 1 after writing its outputs: Error: Sanity check failures",
		"(expected: it exits 1 on sanity-check failures even with --ignore-errors",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output:\n%s\nwant %q", out, want)
		}
	}
}

// standIn makes a stand-in original (scripts replaced by files, the others
// empty), reference data of one batch file and a stand-in sptflow binary
// that does nothing, below a temporary directory; it returns that
// directory and the TMPDIR for the script.
func standIn(t *testing.T, files map[string]string) (dir, work string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds two commands")
	}
	for _, tool := range []string{"sh", "python3", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is missing", tool)
		}
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Skip("/usr/bin/time is missing")
	}
	batch, err := filepath.Abs("../../cmd/sptflow/testdata/adversarial/inputs/batch_sycophancy_20250822_140536_batch_001.json")
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	all := map[string]string{
		"orig/scripts/tag_stage_3_data.py":           "",
		"orig/scripts/analyze_stage_3.py":            "",
		"orig/scripts/analyze_evaluation_results.py": "",
		"orig/scripts/utils.py":                      "",
		"orig/config/.keep":                          "",
		"bin/sptflow":                                "#!/bin/sh\nexit 0\n",
	}
	for name, text := range files {
		all[name] = text
	}
	for name, text := range all {
		writeFile(t, filepath.Join(dir, name), []byte(text))
	}
	if err := os.Chmod(filepath.Join(dir, "bin/sptflow"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(batch)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "ref/stage_3_tagged/sycophancy", filepath.Base(batch)), data)
	work = filepath.Join(dir, "tmp")
	for _, d := range []string{filepath.Join(dir, "ref/evaluation_results/quantitative"), work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir, work
}

// runScript runs run.sh for one round from dir with SPT_ORIGINAL,
// SPT_REFERENCE_DATA and the binary relative to dir, and returns its
// output.
func runScript(t *testing.T, dir, work string) (string, error) {
	t.Helper()
	script, err := filepath.Abs("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", script, "1", "bin/sptflow")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SPT_ORIGINAL=orig", "SPT_REFERENCE_DATA=ref", "TMPDIR="+work)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNoopScriptRelativePaths runs bench/noop/run.sh (which run.sh runs
// too) from another directory with SPT_REFERENCE_DATA and the binary
// relative to it, a stand-in binary doing nothing: the Makefile's
// prerequisites and the binary must be found after its cd.
func TestNoopScriptRelativePaths(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is missing")
	}
	dir, work := standIn(t, nil)
	writeFile(t, filepath.Join(dir, "ref/evaluation_results/quantitative/results_m_step_1_original_actual_split_personality_basic_20260101_000000.json"), []byte("{}"))
	script, err := filepath.Abs("../noop/run.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", script, "bin/sptflow")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SPT_REFERENCE_DATA=ref", "TMPDIR="+work)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench/noop/run.sh: %v; output:\n%s", err, out)
	}
	for _, want := range []string{"sptflow run", "sptflow status", "make -rRq"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output:\n%s\nwant a line for %q", out, want)
		}
	}
}
