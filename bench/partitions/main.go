// Command partitions measures the engine's per-partition overhead as the
// number of partitions grows: a pipeline of one cheap node (a tiny input
// file per topic, one small output file) over N topics, run in-process
// with the real store, lock file and pipeline loading, as `sptflow run`
// does them. For each N it prints the wall time per partition of a first
// run (every partition executes and is sealed) and of a no-op run
// (everything cached). Flat figures mean no cost grows with the number of
// partitions (the lock file, for one, is written once per run).
//
//	go run ./bench/partitions                      # 10, 100, 1000 and 10000 topics
//	go run ./bench/partitions -topics 100,1000 -jobs 4
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/pipeline"
	"github.com/sptflow/sptflow/engine/store"
)

// cheap writes the size of its input into one small file.
type cheap struct{}

func (cheap) Kind() string    { return "cheap" }
func (cheap) Version() string { return "1" }
func (cheap) Resolve(s *engine.PartitionSpec) (*engine.Plan, error) {
	return &engine.Plan{Params: s.With, Outputs: []string{"out/" + s.Value("topic") + ".txt"},
		Inputs: []engine.InputSpec{{Path: filepath.Join("src", s.Value("topic")+".json")}}}, nil
}
func (cheap) Run(_ context.Context, t *engine.Task) error {
	return t.Out.WriteFile("out/"+t.Spec.Value("topic")+".txt", []byte(strconv.Itoa(len(t.Inputs))))
}

func main() {
	topics := flag.String("topics", "10,100,1000,10000", "comma-separated numbers of topics (= partitions)")
	jobs := flag.Int("jobs", 4, "partitions executed at once")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the no-op runs to `file`")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		profile = f
	}
	fmt.Printf("%8s  %14s  %14s  %10s\n", "topics", "first run/part", "no-op run/part", "lock file")
	for _, s := range strings.Split(*topics, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "-topics: %q is not a positive number\n", s)
			os.Exit(2)
		}
		if err := measure(n, *jobs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// profile receives the CPU profile of the (last) no-op run, if set.
var profile *os.File

func measure(n, jobs int) error {
	dir, err := os.MkdirTemp("", "sptflow-partitions")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var topics []string
	for i := range n {
		t := fmt.Sprintf("t%05d", i)
		topics = append(topics, t)
		if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "src", t+".json"), []byte(`{"topic": "`+t+`"}`), 0o644); err != nil {
			return err
		}
	}
	yaml := "version: 1\nname: partitions\ndata: data\nvars:\n  topics: [" + strings.Join(topics, ", ") + "]\nnodes:\n" +
		"  n: {kind: cheap, foreach: {topic: ${topics}}}\n"
	if err := os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(yaml), 0o644); err != nil {
		return err
	}
	run := func() (*engine.Summary, time.Duration, error) {
		start := time.Now()
		p, err := pipeline.Load(filepath.Join(dir, "p.yaml"), pipeline.Options{Kinds: map[string]bool{"cheap": true}})
		if err != nil {
			return nil, 0, err
		}
		st, err := store.Open(filepath.Join(dir, ".sptflow"))
		if err != nil {
			return nil, 0, err
		}
		e, err := engine.New(p.Graph, engine.Options{Steps: map[string]engine.Step{"cheap": cheap{}}, Store: st,
			LockPath: filepath.Join(dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
		if err != nil {
			return nil, 0, err
		}
		sum, err := e.Run(context.Background(), engine.RunConfig{Jobs: jobs})
		if err == nil {
			err = sum.Err()
		}
		return sum, time.Since(start), err
	}
	sum, first, err := run()
	if err != nil || sum.Executed != n {
		return fmt.Errorf("first run of %d topics: %v (%+v)", n, err, sum)
	}
	time.Sleep(2100 * time.Millisecond) // out of the stat cache's racy window, as a later command would be
	if _, _, err := run(); err != nil { // caches the input digests
		return err
	}
	if profile != nil {
		_ = pprof.StartCPUProfile(profile)
	}
	sum, noop, err := run()
	if profile != nil {
		pprof.StopCPUProfile()
	}
	if err != nil || sum.Cached != n {
		return fmt.Errorf("no-op run of %d topics: %v (%+v)", n, err, sum)
	}
	fi, err := os.Stat(filepath.Join(dir, "sptflow.lock"))
	if err != nil {
		return err
	}
	per := func(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d.Microseconds())/1000/float64(n)) }
	fmt.Printf("%8d  %14s  %14s  %7d KB\n", n, per(first), per(noop), fi.Size()/1024)
	return nil
}
