package main

import (
	"context"
	"fmt"
	"io"
	"os"
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
// with.delay_ms before each file. With with.hold {topic, after, marker,
// gate}, the partition of that topic (every one for "*"), after writing `after` files,
// creates the file marker and waits until the file gate exists: the
// scripts kill or interrupt it at that point, after `waitfile marker`, and
// create the gate to let it go on. It waits through cancellation too when
// with.ignore_cancel is true (a step that does not stop promptly, for the
// signal test).
type tagStep struct{}

// tagHold is the with.hold setting of testtag.
type tagHold struct {
	topic, marker, gate string
	after               int
}

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
	if h, ok := spec.With["hold"].(map[string]any); ok {
		after, _ := strconv.Atoi(fmt.Sprint(h["after"]))
		hold := tagHold{topic: fmt.Sprint(h["topic"]), marker: fmt.Sprint(h["marker"]), gate: fmt.Sprint(h["gate"]), after: after}
		if hold.topic == "*" || hold.topic == spec.Value("topic") {
			params["hold"] = hold
		}
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
	hold, held := params["hold"].(tagHold)
	written := 0
	for _, u := range t.Upstream {
		for _, f := range u.Files {
			if held && written == hold.after {
				if err := holdAt(ctx, hold, wait); err != nil {
					return err
				}
			}
			written++
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

// holdAt creates the hold's marker, then waits until its gate exists or
// wait is closed.
func holdAt(ctx context.Context, h tagHold, wait <-chan struct{}) error {
	if err := os.WriteFile(h.marker, nil, 0o644); err != nil {
		return err
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(h.gate); err == nil {
			return nil
		}
		select {
		case <-tick.C:
		case <-wait:
			return context.Cause(ctx)
		}
	}
}
