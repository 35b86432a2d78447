// Command fakellm runs sptflow's fake LLM server (steps/spt/sptsim/sptfake,
// built on llm/llmtest) for manual runs and benchmarks without the sptflow
// binary. It is the same server as `sptflow fake`, with generic replies
// unless -spt:
//
//	go run ./cmd/fakellm -addr 127.0.0.1:8089 -rpm 600 -latency 100ms
//	go run ./cmd/fakellm -spt -error-rate 0.05     # answers like sptflow fake
//
// One listener serves Anthropic (base_url http://127.0.0.1:8089), OpenAI
// (http://127.0.0.1:8089/v1) and OpenRouter (http://127.0.0.1:8089/api/v1).
// Generic replies are schema-valid tool arguments and filler text: enough
// for the llm layer and its benchmarks, not for full.yaml, whose stage 1
// checks what it gets (use -spt or `sptflow fake` for that). Fault rates
// inject 429s, 5xx/529s, connection resets, truncated and malformed outputs
// at random (seeded). GET /stats returns the server's own counts (requests
// received, 429s, faults, replies and tokens billed per model) to compare
// with `sptflow log --json`. With FAKELLM_API_KEY set, requests must carry
// that key; otherwise any key is accepted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sptflow/sptflow/steps/spt/sptsim/sptfake"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fakellm:", err)
		os.Exit(2)
	}
}

// options are the command line: the server's configuration and where to
// write its URL.
type options struct {
	cfg     sptfake.Config
	urlFile string
}

func parse(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("fakellm", flag.ContinueOnError)
	o.cfg.Flags(fs)
	fs.BoolVar(&o.cfg.SPT, "spt", false, "answer like the SPT pipeline's models (as `sptflow fake` does)")
	fs.StringVar(&o.urlFile, "url-file", "", "once listening, write the root URL (http://host:port) to `FILE`")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.cfg.APIKey = os.Getenv("FAKELLM_API_KEY")
	if err := o.cfg.Check(); err != nil {
		return nil, err
	}
	return o, nil
}

func run(args []string) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return sptfake.Run(ctx, o.cfg, o.urlFile, os.Stdout)
}
