// Package harness is what the step benchmarks under bench/ share: where
// the reference data is, its tagged batch files as an upstream partition,
// timed runs, and the CPU time and memory figures they print.
//
// CPU time (user+sys of the whole process) is the figure to compare on a
// shared machine; wall time means something only when LoadAvg is low.
package harness

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/enginetest"
)

// RefData returns the reference data directory named by
// $SPT_REFERENCE_DATA, or an error saying to set it.
func RefData() (string, error) {
	dir := os.Getenv("SPT_REFERENCE_DATA")
	if dir == "" {
		return "", fmt.Errorf("set SPT_REFERENCE_DATA to the reference data directory")
	}
	return dir, nil
}

// TaggedUpstream exposes the *.json files below dir (in lexical order, with
// their sizes) as the output of one tag partition, at
// stage_3_tagged/<path relative to dir>.
func TaggedUpstream(dir string) (engine.Upstream, error) {
	u := engine.Upstream{ID: "tag", Node: "tag", Kind: "tag"}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f := enginetest.DiskFile("stage_3_tagged/"+filepath.ToSlash(rel), p)
		f.Size = info.Size()
		u.Files = append(u.Files, f)
		return nil
	})
	if err == nil && len(u.Files) == 0 {
		err = fmt.Errorf("no *.json files below %s", dir)
	}
	return u, err
}

// WriteFiles writes files (slash-separated paths relative to dir) below dir.
func WriteFiles(dir string, files map[string][]byte) error {
	for p, data := range files {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// StartCPUProfile starts writing a CPU profile to path ("" does nothing);
// call stop to finish it.
func StartCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// WriteAllocsProfile writes the allocation profile so far to path.
func WriteAllocsProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// PeakRSSMB is the process's peak resident set size (VmHWM) in MB, or -1
// when /proc/self/status cannot tell.
func PeakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				return -1
			}
			return float64(kb) / 1e3
		}
	}
	return -1
}

// GoMemoryMB is the memory the Go runtime holds (heap, stacks and
// metadata: /memory/classes/total:bytes) in MB.
func GoMemoryMB() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64()) / 1e6
}

// LoadAvg returns the 1, 5 and 15 minute load averages, or "unknown".
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// CPUTime returns the user+sys CPU time of the process so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
