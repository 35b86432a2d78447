// Command sptflow runs the Split Personality Training data pipeline as a DAG
// declared in YAML, with content-addressed caching and resume.
//
//	sptflow run PIPELINE [TARGET...]   bring targets up to date
//	sptflow status PIPELINE [--why|--json]  what is up to date, stale or missing, why, and its cost
//	sptflow graph PIPELINE --format dot|mermaid
//	sptflow validate PIPELINE
//	sptflow log [PIPELINE] [--json]    run history: requests sent, tokens, cost
//	sptflow batches [list|cancel|harvest] [PIPELINE]  provider batches in flight
//	sptflow diff A B                   compare two pipelines or two lock files (REV:path)
//	sptflow gc [PIPELINE]              remove store entries no lock file pins;
//	                                   --failed-requests, --requests-older-than D prune the request store
//	sptflow store selftest URL|push|pull  check a remote store; copy what a lock pins
//	sptflow emit k8s|slurm PIPELINE --shards N  a Kubernetes Indexed Job or Slurm array job
//	sptflow init [DIR]                 create a ready-to-run project
//	sptflow version [--json]
//	sptflow completion bash|zsh|fish   shell completion script
//	sptflow help [COMMAND]             the commands, or a command's help
//
// The help texts live in help.go; each command has its own file.
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
	stopProfiles := startProfiles()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfiles()
	if err != nil && !errors.Is(err, errQuiet) && !errors.Is(err, flag.ErrHelp) {
		report(os.Stderr, err)
	}
	return exitCode(err)
}

// report prints err for the user: configuration problems one per line, each
// starting with its position (file:line:col: message), anything else after
// "sptflow: ".
func report(w io.Writer, err error) {
	if errors.Is(err, pipeline.ErrInvalid) || errors.Is(err, engine.ErrInvalid) {
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintln(w, "sptflow:", err)
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

// command is a subcommand's implementation.
type command func(ctx context.Context, env *env, args []string) error

// commands maps a subcommand name to its implementation. docs (help.go)
// holds their help, in the order the usage lists them. (A function, not a
// variable: help looks commands up.)
func commands() map[string]command {
	return map[string]command{
		"run":        cmdRun,
		"status":     cmdStatus,
		"graph":      cmdGraph,
		"validate":   cmdValidate,
		"log":        cmdLog,
		"batches":    cmdBatches,
		"gc":         cmdGC,
		"diff":       cmdDiff,
		"kinds":      cmdKinds,
		"view":       cmdView,
		"init":       cmdInit,
		"store":      cmdStore,
		"emit":       cmdEmit,
		"version":    cmdVersion,
		"completion": cmdCompletion,
		"fake":       cmdFake,
		"help":       cmdHelp,
		"__complete": cmdComplete, // hidden: what the completion scripts ask
	}
}

// run dispatches to a subcommand. -h and --help print help on stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	e := &env{stdout: stdout, stderr: stderr}
	fs := e.flagSet("sptflow")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return nil
		}
		return fmt.Errorf("%w: %w; 'sptflow help' lists the commands and flags", errUsage, err)
	}
	if fs.NArg() == 0 {
		usage(stderr)
		return fmt.Errorf("%w: no command", errUsage)
	}
	cmd, err := lookupCommand(fs.Arg(0))
	if err != nil {
		return err
	}
	err = cmd(ctx, e, fs.Args()[1:])
	if h := (*helpRequest)(nil); errors.As(err, &h) {
		printHelp(stdout, h.fs)
		return nil
	}
	return err
}
