// Command profile splits a CPU or allocation profile of an sptflow process
// into the phases of a run: load/digest, parse, tag, serialise, store
// write, materialize, lock, the other steps' own work, and the runtime.
//
//	SPTFLOW_CPUPROFILE=cpu.prof SPTFLOW_MEMPROFILE=mem.prof sptflow run …
//	go run ./bench/profile [-sample alloc_space] BINARY cpu.prof
//
// Each sample goes to the phase of its innermost frame that names one
// (so hashing inside a store write counts as digest, the write system call
// as store write); the cum column counts every sample with the phase
// anywhere on its stack, so phases overlap there. It reads the profile
// through `go tool pprof -traces`.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// phase names a part of a run and the frames that belong to it.
type phase struct {
	name string
	re   *regexp.Regexp
	// enclosing phases take every sample with one of their frames anywhere
	// on the stack (materializing includes its reads and hashing).
	enclosing bool
}

// phases are tried in this order on each frame, innermost frame first,
// after the enclosing ones.
var phases = []phase{
	{"load/digest (SHA-256, stat, read inputs)", regexp.MustCompile(`sha256|store\.DigestOf|hashStable|hashOnce|verifyingReader|regfile\.Read|engine\.ReadInput|steps/load\.`), false},
	{"parse (pyjson decode, scan)", regexp.MustCompile(`pyjson\.\(\*decoder\)|pyjson/scan|pyjson\.Parse`), false},
	{"serialise (pyjson encode)", regexp.MustCompile(`pyjson\.\(\*encoder\)|pyjson\.AppendMarshal|pyjson\.Marshal|pyjson\.encode`), false},
	{"tag rules", regexp.MustCompile(`steps/tag\.`), false},
	{"materialize", regexp.MustCompile(`engine\.\(\*Engine\)\.materialize|engine\.\(\*Engine\)\.removeStale`), true},
	{"store write (objects, manifests, fsync)", regexp.MustCompile(`engine/store\.`), false},
	{"lock file", regexp.MustCompile(`engine/lockyaml|recordLock|store\.\w*[Ll]ockFile`), true},
	{"analyze / export / eval (own work)", regexp.MustCompile(`steps/analyze|steps/export|steps/evalreport`), false},
	{"engine (plan, keys, walk)", regexp.MustCompile(`sptflow/engine|main\.`), false},
	{"GC and runtime", regexp.MustCompile(`^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|sysmon|mstart|schedule|findRunnable|mcall|park_m|goexit0|gcStart|gcMarkDone|gcMarkTermination|morestack)$`), false},
}

func main() {
	sample := flag.String("sample", "", "sample index for allocation profiles: alloc_space or alloc_objects")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: profile [-sample alloc_space] BINARY PROFILE")
		os.Exit(2)
	}
	args := []string{"tool", "pprof", "-traces"}
	if *sample != "" {
		args = append(args, "-sample_index="+*sample)
	}
	out, err := exec.Command("go", append(args, flag.Arg(0), flag.Arg(1))...).Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile: go tool pprof:", err)
		os.Exit(1)
	}
	own, cum, total := split(out)
	fmt.Printf("%d cores; %s\n", runtime.NumCPU(), flag.Arg(1))
	fmt.Printf("%-44s %10s %6s %10s\n", "phase", "own", "%", "cum")
	for i, p := range append(phases, phase{name: "other"}) {
		fmt.Printf("%-44s %10s %5.1f%% %10s\n", p.name, format(own[i], *sample), 100*own[i]/total, format(cum[i], *sample))
	}
	fmt.Printf("%-44s %10s\n", "total", format(total, *sample))
}

// split reads pprof -traces output and sums the samples per phase.
func split(out []byte) (own, cum []float64, total float64) {
	own = make([]float64, len(phases)+1)
	cum = make([]float64, len(phases)+1)
	var value float64
	var frames []string
	flush := func() {
		if frames == nil {
			return
		}
		total += value
		first := len(phases)
		seen := make([]bool, len(phases))
		for _, fr := range frames {
			for i, p := range phases {
				if p.re.MatchString(fr) {
					if first == len(phases) && !p.enclosing {
						first = i
					}
					seen[i] = true
					break
				}
			}
		}
		for i, p := range phases {
			if p.enclosing && seen[i] {
				first = i
				break
			}
		}
		own[first] += value
		for i, s := range seen {
			if s {
				cum[i] += value
			}
		}
		frames = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----------+") {
			flush()
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if v, ok := parseValue(fields[0]); ok && len(fields) >= 2 {
			flush()
			value = v
			frames = []string{fields[1]}
			continue
		}
		if frames != nil {
			frames = append(frames, fields[0])
		}
	}
	flush()
	return own, cum, total
}

// parseValue reads a sample value as pprof prints it: 10ms, 1.20s, 512kB,
// 3MB or a plain count; times in seconds, sizes in bytes.
func parseValue(s string) (float64, bool) {
	units := []struct {
		suffix string
		mult   float64
	}{{"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"s", 1}, {"kB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suffix), 64)
			return v * u.mult, err == nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func format(v float64, sample string) string {
	switch sample {
	case "":
		return fmt.Sprintf("%.2f s", v)
	case "alloc_objects", "inuse_objects":
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.0f MB", v/(1<<20))
}
