package main

import (
	"context"
	"fmt"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/pipeline"
)

func cmdGraph(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("graph")
	format := fs.String("format", "dot", "output format: dot or mermaid")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	path, err := onePipeline("graph", pos)
	if err != nil {
		return err
	}
	p, err := e.loadPipeline(path, engine.RunOptions{})
	if err != nil {
		return err
	}
	switch *format {
	case "dot":
		return pipeline.RenderDOT(p, e.stdout)
	case "mermaid":
		return pipeline.RenderMermaid(p, e.stdout)
	}
	return fmt.Errorf("%w: --format %q: want dot or mermaid", errUsage, *format)
}
