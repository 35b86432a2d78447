package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestStartProfiles: each variable that is set gets its file, written by
// the time stop returns; a file that cannot be created leaves the command
// without that profile.
func TestStartProfiles(t *testing.T) {
	for _, f := range []string{"test.cpuprofile", "test.trace"} {
		if fl := flag.Lookup(f); fl != nil && fl.Value.String() != "" {
			t.Skipf("-%s is on: the process already profiles itself", f)
		}
	}
	dir := t.TempDir()
	files := map[string]string{
		"SPTFLOW_CPUPROFILE": filepath.Join(dir, "cpu.prof"),
		"SPTFLOW_MEMPROFILE": filepath.Join(dir, "mem.prof"),
		"SPTFLOW_TRACE":      filepath.Join(dir, "trace.out"),
	}
	for env, p := range files {
		t.Setenv(env, p)
	}
	stop := startProfiles()
	stop()
	for env, p := range files {
		fi, err := os.Stat(p)
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s: %s not written (%v)", env, p, err)
		}
	}

	started := false
	stop, err := startStream(filepath.Join(dir, "missing", "trace.out"), func(io.Writer) error { started = true; return nil }, func() {})
	if err == nil || stop != nil || started {
		t.Errorf("a file in a missing directory: got err %v, a stop %v, started %v; want an error and no profile", err, stop != nil, started)
	}
	if stop, err := startStream("", nil, nil); err != nil || stop != nil {
		t.Errorf("no path: got err %v, a stop %v; want neither", err, stop != nil)
	}
}
