// Command pipeline benchmarks whole pipeline runs through the sptflow
// binary: the demo pipeline's wall time (fresh store), and the time of a
// no-op rerun, plus the child's peak RSS.
//
//	go run ./bench/pipeline [-pipeline pipelines/demo.yaml] [-set topics=[...]]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	pipeline := flag.String("pipeline", "pipelines/demo.yaml", "pipeline file (relative to the project root)")
	var sets multi
	flag.Var(&sets, "set", "NAME=VALUE passed to sptflow --set (repeatable)")
	flag.Parse()
	if err := run(*pipeline, sets); err != nil {
		fmt.Fprintln(os.Stderr, "bench/pipeline:", err)
		os.Exit(1)
	}
}

type multi []string

func (m *multi) String() string     { return fmt.Sprint(*m) }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func run(pipeline string, sets []string) error {
	tmp, err := os.MkdirTemp("", "bench-pipeline")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "sptflow")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/sptflow").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	args := []string{"run", pipeline, "--data", filepath.Join(tmp, "data"), "--log-format", "json"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	for _, label := range []string{"first run (fresh store)", "no-op rerun"} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "SPTFLOW_HOME="+filepath.Join(tmp, "home"))
		start := time.Now()
		out, err := cmd.CombinedOutput()
		wall := time.Since(start)
		rss := int64(0)
		if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = u.Maxrss
		}
		status := "ok"
		if err != nil {
			status = "exit " + err.Error()
		}
		fmt.Printf("%-26s wall %8.3fs  peak RSS %6.1f MiB  %s  (%s)\n", label, wall.Seconds(), float64(rss)/1024, lastLine(out), status)
	}
	return nil
}

func lastLine(out []byte) string {
	s := string(out)
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return s[i+1:]
		}
	}
	return s
}
