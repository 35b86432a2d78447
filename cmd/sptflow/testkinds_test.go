package main

import (
	"context"
	"fmt"
	"io"
	"path"
	"strconv"
	"time"

	"github.com/sptflow/sptflow/engine"
)

// Test-only node kinds standing in for load and tag in the script tests.

// srcStep ("testload") references <with.source>/<topic>/batch_*.json.
type srcStep struct{}

func (srcStep) Kind() string    { return "testload" }
func (srcStep) Version() string { return "1" }

func (srcStep) Resolve(spec *engine.PartitionSpec) (*engine.Plan, error) {
	src, ok := spec.With["source"].(string)
	if !ok {
		return nil, fmt.Errorf("%s: node %q: with.source: want a directory", spec.NodePos, spec.Node)
	}
	topic := spec.Value("topic")
	return &engine.Plan{Params: map[string]any{"topic": topic}, OutputDir: "stage_3/" + topic,
		Inputs: []engine.InputSpec{{Path: path.Join(src, topic), Pattern: "batch_*.json"}}}, nil
}

func (srcStep) Run(ctx context.Context, t *engine.Task) error {
	for _, f := range t.Inputs {
		if err := t.Out.Reference("stage_3/"+t.Spec.Value("topic")+"/"+f.Rel, f); err != nil {
			return err
		}
	}
	return nil
}

// tagStep ("testtag") writes every upstream file to
// stage_3_tagged/<topic>/<name> with a line appended, sleeping
// with.delay_ms before each file (for the kill -9 test), through
// cancellation too when with.ignore_cancel is true (a step that does not
// stop promptly, for the signal test).
type tagStep struct{}

func (tagStep) Kind() string    { return "testtag" }
func (tagStep) Version() string { return "1" }

func (tagStep) Resolve(spec *engine.PartitionSpec) (*engine.Plan, error) {
	delay := 0
	if v, ok := spec.With["delay_ms"]; ok {
		d, err := strconv.Atoi(fmt.Sprint(v))
		if err != nil {
			return nil, fmt.Errorf("%s: with.delay_ms: %v", spec.WithPos["delay_ms"], err)
		}
		delay = d
	}
	params := map[string]any{"delay_ms": delay}
	if spec.With["ignore_cancel"] == true {
		params["ignore_cancel"] = true
	}
	return &engine.Plan{Params: params, OutputDir: "stage_3_tagged/" + spec.Value("topic")}, nil
}

func (tagStep) Run(ctx context.Context, t *engine.Task) error {
	params := t.Params.(map[string]any)
	delay := time.Duration(params["delay_ms"].(int)) * time.Millisecond
	wait := ctx.Done()
	if params["ignore_cancel"] == true {
		wait = nil
	}
	n := 0
	for _, u := range t.Upstream {
		n += len(u.Files)
	}
	t.Progress.SetTotal(n)
	for _, u := range t.Upstream {
		for _, f := range u.Files {
			select {
			case <-time.After(delay):
			case <-wait:
				return context.Cause(ctx)
			}
			rc, err := f.Open()
			if err != nil {
				return err
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
			out := append(data, []byte("tagged by "+string(t.ID())+"\n")...)
			if err := t.Out.WriteFile("stage_3_tagged/"+t.Spec.Value("topic")+"/"+path.Base(f.Path), out); err != nil {
				return err
			}
			t.Progress.Done(1, 0, 0)
		}
	}
	return nil
}
