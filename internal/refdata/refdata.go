// Package refdata locates the published reference data for the tests that
// read it: the unpacked archives (stage_3_tagged/, evaluation_results/) in
// the directory SPT_REFERENCE_DATA names. Without it those tests skip,
// unless SPT_REQUIRE_REFERENCE=1 (CI sets it: .ci/run), which makes
// missing or incomplete reference data a test failure.
package refdata

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Env names the variables Dir reads.
const (
	DataEnv    = "SPT_REFERENCE_DATA"
	RequireEnv = "SPT_REQUIRE_REFERENCE"
)

// Dir returns the reference data directory after checking that each of
// subdirs is a non-empty directory in it. When the variable is unset or
// a subdirectory is missing or empty, the test skips, or fails when
// SPT_REQUIRE_REFERENCE=1.
func Dir(t testing.TB, subdirs ...string) string {
	t.Helper()
	root := os.Getenv(DataEnv)
	if err := check(root, subdirs); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s=1: %v", RequireEnv, err)
		}
		t.Skipf("%v: skipping the test on the published reference data", err)
	}
	return root
}

func check(root string, subdirs []string) error {
	if root == "" {
		return fmt.Errorf("%s is not set (the unpacked reference data directory)", DataEnv)
	}
	for _, sub := range subdirs {
		dir := filepath.Join(root, sub)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("%s=%s: %w", DataEnv, root, err)
		}
		if len(entries) == 0 {
			return fmt.Errorf("%s=%s: %s is empty", DataEnv, root, sub)
		}
	}
	return nil
}
