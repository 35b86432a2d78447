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
	script, err := filepath.Abs("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	batch, err := filepath.Abs("../../cmd/sptflow/testdata/adversarial/inputs/batch_sycophancy_20250822_140536_batch_001.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"orig/scripts/tag_stage_3_data.py":           "print('stand-in tagger ran')\nraise SystemExit(1)\n",
		"orig/scripts/analyze_stage_3.py":            "",
		"orig/scripts/analyze_evaluation_results.py": "",
		"orig/scripts/utils.py":                      "",
		"orig/config/.keep":                          "",
		"bin/sptflow":                                "#!/bin/sh\nexit 0\n",
	}
	for name, text := range files {
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
	if err := os.MkdirAll(filepath.Join(dir, "ref/evaluation_results/quantitative"), 0o755); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("sh", script, "1", "bin/sptflow")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SPT_ORIGINAL=orig", "SPT_REFERENCE_DATA=ref", "TMPDIR="+work)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("run.sh: %v, want exit 2; output:\n%s", err, out.String())
	}
	if want := "the original tagger wrote 0 of 1 files"; !strings.Contains(out.String(), want) {
		t.Errorf("output:\n%s\nwant it to stop at %q", out.String(), want)
	}
	if want := "sptflow: " + filepath.Join(dir, "bin/sptflow"); !strings.Contains(out.String(), want) {
		t.Errorf("output:\n%s\nwant the binary named absolutely: %q", out.String(), want)
	}
	log, err := os.ReadFile(filepath.Join(work, "sptflow-bench-original", "orig:tag.log"))
	if err != nil || !strings.Contains(string(log), "stand-in tagger ran") {
		t.Errorf("the stand-in tagger's log: %q, %v; want it to have run", log, err)
	}
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
