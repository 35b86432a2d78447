// Command sptflow runs the Split Personality Training data pipeline as a DAG
// declared in YAML, with content-addressed caching and resume.
//
//	sptflow run PIPELINE [TARGET...]   bring targets up to date
//	sptflow status PIPELINE [--why]    what is up to date, stale or missing, and why
//	sptflow graph PIPELINE --format dot|mermaid
//	sptflow validate PIPELINE
//	sptflow log [PIPELINE] [--json]    run history: requests sent, tokens, cost
//	sptflow diff A B                   compare two pipelines or two lock files (REV:path)
//	sptflow gc [PIPELINE]              remove store entries no lock file pins;
//	                                   --failed-requests, --requests-older-than D prune the request store
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/pipeline"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a run failed
	exitUsage  = 2 // bad usage or configuration
	// exitInterrupted (130, interrupt.go): a run stopped by an interrupt.
)

// errUsage marks command-line mistakes.
var errUsage = errors.New("usage")

func main() { os.Exit(Main()) }

// Main runs sptflow with os.Args and returns the exit code. Tests and
// benchmarks call it in-process.
func Main() int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	// The first signal asks for a clean stop (a run lets the requests in
	// flight finish: interrupt.go); a second one ends the process at once,
	// so a step that is slow to stop never traps the user. The store
	// survives either.
	ctx, unwatch := watchSignals(ctx, cancel, os.Stderr)
	defer unwatch()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, errQuiet) && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "sptflow:", err)
	}
	return exitCode(err)
}

// errQuiet is a failure already reported to the user.
var errQuiet = errors.New("failed")

func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, engine.ErrInterrupted):
		return exitInterrupted
	case errors.Is(err, errUsage), errors.Is(err, pipeline.ErrInvalid), errors.Is(err, engine.ErrInvalid):
		return exitUsage
	default:
		return exitFailed
	}
}

// commands maps a subcommand name to its implementation.
var commands = map[string]func(ctx context.Context, env *env, args []string) error{
	"run":      cmdRun,
	"status":   cmdStatus,
	"graph":    cmdGraph,
	"validate": cmdValidate,
	"log":      cmdLog,
	"gc":       cmdGC,
	"diff":     cmdDiff,
}

const usageText = `usage: sptflow [global flags] COMMAND [flags] [args]

commands:
  run PIPELINE [TARGET...]   run what is stale (--jobs, --force, --only, --topic, --limit,
                             --resample, --max-cost USD, --dry-run)
  status PIPELINE [--why]    up-to-date / stale / missing per partition, why, and what
                             the LLM requests to bring it up to date would cost
  log [PIPELINE] [--json]    run history: requests sent, tokens and cost per run and node
  diff A B                   compare two pipelines or two lock files (git REV:path too):
                             partitions that differ and why, verdict flips, tags, export,
                             reviews, cost (--json, --html FILE, --pipeline NAME)
  graph PIPELINE --format dot|mermaid
  validate PIPELINE          check a pipeline without running it
  gc [PIPELINE]              remove store entries no lock file pins (--dry-run, --grace D);
                             --failed-requests, --requests-older-than D prune the request store

global flags (also accepted after the command):
  --log-format console|json  --log-level LEVEL  --data DIR  --set NAME=VALUE  --jobs N

API keys come from the environment or the project's .env. Relative --set
paths that exist relative to the working directory are taken from there.
`

// run dispatches to a subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	e := &env{stdout: stdout, stderr: stderr}
	fs := e.flagSet("sptflow")
	fs.Usage = func() { fmt.Fprint(stderr, usageText) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprint(stderr, usageText)
		return fmt.Errorf("%w: no command", errUsage)
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	cmd := commands[name]
	if cmd == nil {
		fmt.Fprint(stderr, usageText)
		return fmt.Errorf("%w: unknown command %q", errUsage, name)
	}
	return cmd(ctx, e, rest)
}
