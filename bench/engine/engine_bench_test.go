//go:build bench

// Package enginebench measures the engine's fixed costs on a pipeline of 14
// topics × 5 nodes with a cheap step: a no-op `run` (everything cached) and
// a `status`, each including pipeline loading and input digesting, as the
// command does them. Goal: at most 0.1 s each.
//
//	go test -tags bench -bench . ./bench/engine/
package enginebench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/pipeline"
	"github.com/sptflow/sptflow/engine/store"
)

// cheap copies its input and upstream sizes into one small file.
type cheap struct{}

func (cheap) Kind() string    { return "cheap" }
func (cheap) Version() string { return "1" }
func (cheap) Resolve(s *engine.PartitionSpec) (*engine.Plan, error) {
	p := &engine.Plan{Params: s.With, Outputs: []string{fmt.Sprintf("%s/%s.txt", s.Node, s.Value("topic"))}}
	if src, ok := s.With["source"].(string); ok {
		p.Inputs = []engine.InputSpec{{Path: filepath.Join(src, s.Value("topic")), Pattern: "*.json"}}
	}
	return p, nil
}
func (cheap) Run(ctx context.Context, t *engine.Task) error {
	return t.Out.WriteFile(fmt.Sprintf("%s/%s.txt", t.Spec.Node, t.Spec.Value("topic")), []byte(fmt.Sprint(len(t.Inputs), len(t.Upstream))))
}

func setup(b *testing.B) (string, func() *engine.Engine) {
	dir := b.TempDir()
	var topics []string
	for i := range 14 {
		topic := fmt.Sprintf("topic%02d", i)
		topics = append(topics, topic)
		for j := range 3 {
			p := filepath.Join(dir, "src", topic, fmt.Sprintf("batch_%d.json", j))
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(strings.Repeat("x", 100000)), 0o644)
		}
	}
	yaml := "version: 1\nname: bench\ndata: data\nvars:\n  topics: [" + strings.Join(topics, ", ") + "]\nnodes:\n" +
		"  n1: {kind: cheap, foreach: {topic: ${topics}}, with: {source: src}}\n"
	for i := 2; i <= 5; i++ {
		yaml += fmt.Sprintf("  n%d: {kind: cheap, foreach: {topic: ${topics}}, needs: [n%d], with: {i: %d}}\n", i, i-1, i)
	}
	os.WriteFile(filepath.Join(dir, "p.yaml"), []byte(yaml), 0o644)
	os.Mkdir(filepath.Join(dir, ".sptflow"), 0o755)
	open := func() *engine.Engine {
		p, err := pipeline.Load(filepath.Join(dir, "p.yaml"), pipeline.Options{Kinds: map[string]bool{"cheap": true}})
		if err != nil {
			b.Fatal(err)
		}
		st, err := store.Open(filepath.Join(dir, ".sptflow"))
		if err != nil {
			b.Fatal(err)
		}
		e, err := engine.New(p.Graph, engine.Options{Steps: map[string]engine.Step{"cheap": cheap{}}, Store: st,
			LockPath: filepath.Join(dir, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: zerolog.Nop()})
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	sum, err := open().Run(context.Background(), engine.RunConfig{Jobs: 4})
	if err != nil || sum.Executed != 70 {
		b.Fatalf("first run: %v %+v", err, sum)
	}
	time.Sleep(2100 * time.Millisecond) // leave the stat cache's racy window
	open().Run(context.Background(), engine.RunConfig{Jobs: 4})
	return dir, open
}

func BenchmarkNoopRun(b *testing.B) {
	_, open := setup(b)
	start := time.Now()
	for b.Loop() {
		sum, err := open().Run(context.Background(), engine.RunConfig{Jobs: 4})
		if err != nil || sum.Executed != 0 || sum.Cached != 70 {
			b.Fatalf("no-op run executed something: %v %+v", err, sum)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(per.Seconds(), "s/run")
	fmt.Printf("no-op run, 14 topics x 5 nodes (70 partitions): %.4f s (goal <= 0.1 s)\n", per.Seconds())
}

func BenchmarkStatus(b *testing.B) {
	_, open := setup(b)
	start := time.Now()
	for b.Loop() {
		sts, err := open().Status(context.Background())
		if err != nil || len(sts) != 70 || sts[69].State != engine.UpToDate || len(sts[69].Disk) != 0 {
			b.Fatalf("status: %v", err)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(per.Seconds(), "s/status")
	fmt.Printf("status, 14 topics x 5 nodes (70 partitions): %.4f s (goal <= 0.1 s)\n", per.Seconds())
}
