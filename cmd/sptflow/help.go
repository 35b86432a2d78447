package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/internal/suggest"
)

// cmdDoc is the help of one command: what `sptflow help NAME` and
// `sptflow NAME --help` print around the command's flags.
type cmdDoc struct {
	name     string
	args     string   // positional arguments of the synopsis
	summary  string   // one line, for the command list
	text     string   // what it does, in paragraphs
	targets  bool     // explain the target syntax
	examples []string // command lines, each with a comment after "#"
	exits    string   // exit codes, when they differ from the usual ones
}

// docs lists the commands in the order the usage shows them.
var docs = []cmdDoc{
	{name: "run", args: "PIPELINE [TARGET...]", summary: "bring targets up to date: run what is stale",
		text: `Runs every partition of the targets that is not up to date, and first what they need
that is not up to date either. A partition is up to date when a sealed output exists
for its node key (its parameters, input files, upstream outputs, step version and
models); such partitions are reused, not run. Every LLM response is kept in the
request store, so an interrupted or failed run continues where it stopped without
paying twice. Outputs are materialized in the pipeline's data directory; the run is
recorded under .sptflow/runs/ (see 'sptflow log'). With a remote store ($SPTFLOW_REMOTE
or the pipeline's remote:, see 'sptflow store') outputs and request records are looked
up there too, and what the run seals or pays for is pushed. With --shard i/N it runs
shard i's share of the partitions and waits for the other shards' through the store
(README: Sharded runs); the models' rate budgets are then divided by N unless
--rate-share says.`,
		targets: true,
		examples: []string{
			"sptflow run pipelines/demo.yaml                      # everything, on simulated models",
			"sptflow run pipelines/full.yaml intervene@sycophancy # one partition and what it needs",
			"sptflow run pipelines/full.yaml --limit 6 --dry-run  # what a trial would run and cost",
			"sptflow run pipelines/full.yaml infer --resample 1   # draw new stage-2 samples",
			"sptflow run pipelines/full.yaml --max-cost 20        # stop starting requests at $20",
			"sptflow run pipelines/full.yaml --shard 2/4          # shard 2 of 4 runs sharing one store",
		},
		exits: "0 every selected partition is up to date; 1 a partition failed (the next run continues), or provider batches are still in flight under --no-wait (nothing failed; the next run harvests them); 2 bad usage or an invalid pipeline; 130 stopped by Ctrl-C, SIGINT or SIGTERM (the next run continues)."},
	{name: "status", args: "PIPELINE",
		summary: "up to date, stale or missing per partition, why, and what running it costs",
		text: `Prints every partition's state in graph order: up-to-date (a sealed output exists for
its current key), stale (produced before, but a component of its key changed) or missing
(never produced), then counts. Partitions are named as run takes them as targets
(node@value,...). For what would run it prints the LLM requests, tokens and dollars
(low-high), per partition, per node and in total, and the API keys a real run needs
(prices need none). With --why it lists, for each stale partition, the component that
changed (a with value old -> new, an input file, an upstream output, the step version, a
model). With --json it prints one JSON document instead (its shape is in the README).
With a remote store, outputs sealed there count as up to date (state "remote": run
pulls them). It also lists the provider batches in flight (execution: batch) from the
batch ledger, as last polled (sptflow batches asks the provider). status runs nothing
and needs no API key.`,
		examples: []string{
			"sptflow status pipelines/full.yaml",
			"sptflow status pipelines/full.yaml --why",
			"sptflow status pipelines/full.yaml --json | jq '.partitions[] | select(.state != \"up-to-date\") | .id'",
		}},
	{name: "log", args: "[PIPELINE]",
		summary: "run history: what executed, LLM calls, tokens and cost per run and node",
		text: `Lists the last runs of the project (of the pipeline, when one is given): when, the
command line, what executed, was cached or failed, LLM requests, tokens and cost per
node, and the estimate recorded at the start beside what each node sent. Without a
pipeline it reads the store of the project containing the working directory.`,
		examples: []string{"sptflow log", "sptflow log pipelines/full.yaml -n 5"}},
	{name: "batches", args: "[list [PIPELINE] | cancel PIPELINE BATCH_ID... | harvest PIPELINE [BATCH_ID...]]",
		summary: "provider batches in flight: list them, cancel one, harvest ended ones",
		text: `Works on the project's write-ahead batch ledger (.sptflow/batches/), which holds every
provider batch (execution: batch) whose results are not all in the request store yet.
list (the default) prints each batch: provider batch id, model, requests done, failed
and pending, age and expected completion; with a pipeline it asks the provider for the
live status (through the pipeline's model entries), without one it shows the counts as
last polled. cancel asks the provider to cancel the named batches: what they processed
before is paid for and harvested, the canceled requests are sent again by the next run.
harvest stores the results of the ended batches (all, or the named ones) in the
request store at the batch price, without running the pipeline, and removes their
ledger entries; the next run is then served from the store.`,
		examples: []string{
			"sptflow batches                                        # the ledger, as last polled",
			"sptflow batches list pipelines/full.yaml --json        # live status from the provider",
			"sptflow batches cancel pipelines/full.yaml msgbatch_01H…",
			"sptflow batches harvest pipelines/full.yaml            # store what has ended",
		}},
	{name: "diff", args: "A B", summary: "compare two pipelines or two lock files (git REV:path too)",
		text: `Compares two pipelines (an experiment and its base) or two lock files (paths, or
REV:path read through git show): the partitions that differ and which key component
made them differ, then the data in the store: stage-3 records, a verdict flip matrix,
tag deltas, export size, review acceptance and cost. It runs nothing and sends no
request.`,
		examples: []string{
			"sptflow diff pipelines/full.yaml pipelines/experiments/version_5.yaml",
			"sptflow diff HEAD~1:sptflow.lock sptflow.lock",
			"sptflow diff base.yaml exp.yaml --html diff.html",
		},
		exits: "0 whether or not the sides differ; 1 the store or a file could not be read; 2 bad usage or an invalid pipeline."},
	{name: "view", args: "[PIPELINE [PIPELINE] | A.lock B.lock]", summary: "browse rows, lineage, calls, runs and comparisons in a local web app",
		text: `Serves a web app from the binary on 127.0.0.1 (no network, no CDN) over the pipeline's
materialized data and the project's store, or over any directory in the original layout
(--data DIR, e.g. the published stage_3_tagged/). Rows of every stage are indexed once per
digest of the data files into .sptflow/view/ (SQLite with full-text search): a paged,
sortable, faceted table with search inside prompts, responses, interventions and reviews;
one item's lineage from stage 1 through every answer, intervention and review down to the
LLM calls behind each; the latest run per partition (state, rows, requests, tokens, cost,
estimate vs actual), updated live while a run goes. With two pipelines it compares them:
matched records, the verdict flip matrix, tag deltas and word diffs of changed records.
With two lock files (paths, or REV:path read through git show, as sptflow diff takes
them) it compares the outputs their entries pin, read from the store through the
manifests (into .sptflow/view/locks/), not the data directories: one pipeline of each
lock (--pipeline NAME or A_NAME,B_NAME when they hold several); an output the store
lacks stops it with the partitions named. --export DIR writes the --select rows as one
self-contained page.`,
		examples: []string{
			"sptflow view pipelines/demo.yaml --open",
			"sptflow view --data /tmp/ref/stage_3_tagged --addr 127.0.0.1:9000",
			"sptflow view pipelines/full.yaml pipelines/experiments/version_5.yaml  # compare",
			"sptflow view HEAD~1:sptflow.lock sptflow.lock --pipeline spt-full  # compare locks",
			"sptflow view pipelines/demo.yaml --export share/ --select 'verdict=FAIL&q=flattery'",
		},
		exits: "0 after Ctrl-C or a written export; 1 the index could not be built or the address is taken; 2 bad usage."},
	{name: "graph", args: "PIPELINE", summary: "the partition graph as Graphviz dot or Mermaid",
		text: `Prints the partition graph of the pipeline: one vertex per partition, one edge per
dependency.`,
		examples: []string{"sptflow graph pipelines/full.yaml | dot -Tsvg > graph.svg",
			"sptflow graph pipelines/demo.yaml --format mermaid"}},
	{name: "validate", args: "PIPELINE", summary: "check a pipeline without running it",
		text: `Loads the pipeline as run would (extends, vars, foreach, models, every node's with:
block and the files it names) and reports every problem at once, each as
file:line:col: message. It warns about API keys a real run would need and that are not
set.`,
		examples: []string{"sptflow validate pipelines/full.yaml",
			"sptflow validate pipelines/full.yaml --set topics='[sycophancy]'"},
		exits: "0 the pipeline is valid; 2 it is not (or bad usage)."},
	{name: "kinds", args: "[KIND|models]", summary: "the node kinds' parameters, and the fields of a model entry",
		text: `Prints every node kind's with: parameters (type, default, bounds, doc), generated
from the kinds themselves; with KIND, that kind alone; with models, the fields of a
model entry, its prices and the sim provider's options. docs/kinds.md holds the same
reference.`,
		examples: []string{"sptflow kinds", "sptflow kinds intervene", "sptflow kinds models"},
		exits:    "0 printed; 2 an unknown kind (or bad usage)."},
	{name: "gc", args: "[PIPELINE]", summary: "remove store entries no lock file pins; prune the request store",
		text: `Removes the store entries (outputs, manifests, keys) that no sptflow.lock entry of the
project pins and that are older than --grace. Request records (paid LLM responses) are
kept unless --failed-requests or --requests-older-than asks to remove them.`,
		examples: []string{"sptflow gc --dry-run", "sptflow gc --failed-requests",
			"sptflow gc --requests-older-than 720h"}},
	{name: "store", args: "selftest URL | push [PIPELINE] | pull [PIPELINE] | gc", summary: "share the store: check a remote store, push or pull what a lock pins, collect it",
		text: `Works with a remote store, chosen by URL: s3://bucket/prefix?region=R (endpoint=URL
and use_path_style=true for S3-compatible servers), gs://bucket/prefix, or
file:///path (a directory, also on NFS). Credentials come from the environment (AWS_*
variables or profiles, Google application default credentials), never from a file.
selftest URL races 16 create-only writers of one key (exactly one must win), reads
after writing, lists, offers a poisoned object and record (both must be refused) and
takes a lease twice; it prints one line a check.

push PIPELINE copies every sealed output the project's lock pins for the pipeline
(files, manifest, pointer) to the remote store (--remote, else $SPTFLOW_REMOTE or the
pipeline's remote:), and every local request record; pull PIPELINE copies the pinned
outputs back, verifying each object against its digest, and reseals them locally,
materializing nothing (run then executes nothing). Without lock entries for the
pipeline, pull brings every partition whose current key the remote store holds, push
every one sealed locally. With --lock FILE instead of PIPELINE they copy what that
lock pins. Both print what was copied, what was already there and what was refused
as damaged. Remote writes never replace an entry.

gc collects the remote store (--remote or $SPTFLOW_REMOTE), run inside the project's
git repository: it keeps everything any sptflow.lock in the --keep-refs pins (default
the current branch and HEAD), and everything written within --grace (default 168h):
a run on another machine pushes its objects before their pointer and its lock may not
be committed yet, so the grace period must be longer than any run. It deletes older
unpinned manifest pointers, key descriptions, the objects no kept output uses, and
leases released or expired that long ago. Request records are never collected.
--dry-run lists what would be deleted, with sizes, and deletes nothing.`,
		examples: []string{
			"sptflow store selftest file:///mnt/shared/sptflow",
			"sptflow store selftest 's3://team-bucket/spt?region=eu-west-1'",
			"sptflow store push pipelines/full.yaml --remote s3://team-bucket/spt   # after a run",
			"sptflow store pull pipelines/full.yaml --remote s3://team-bucket/spt   # in a fresh clone",
			"sptflow store gc --remote s3://team-bucket/spt --keep-refs main,exp --dry-run",
		},
		exits: "0 every check passed, everything pinned was copied, or gc finished; 1 a check failed, a pinned output is missing on the source side, or a ref or lock could not be read; 2 bad usage."},
	{name: "emit", args: "k8s|slurm PIPELINE", summary: "write a Kubernetes Indexed Job or a Slurm array job running N shards",
		text: `Writes, on stdout, a job that runs the pipeline as N shards on N machines sharing the
remote store (--remote, or $SPTFLOW_REMOTE): k8s a Kubernetes Indexed Job (completions
= parallelism = N, image --image, environment from the Secret --secret), slurm an
sbatch array-job script (--array=0-(N-1), extra #SBATCH lines with --sbatch). Shards
are numbered 1..N as 'run --shard i/N' takes them; pod or task index i (0-based, from
JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID) runs shard i+1. The pipeline path is
written relative to the project root: the image's /work, or the directory sbatch runs
in. No key or credential is written into the job.`,
		examples: []string{
			"sptflow emit k8s pipelines/full.yaml --shards 4 --image ghcr.io/team/spt:1 --secret llm-keys --remote s3://team/spt > job.yaml",
			"sptflow emit slurm pipelines/full.yaml --shards 8 --remote s3://team/spt --sbatch --partition=gpu > job.sh",
		}},
	{name: "init", args: "[DIR]", summary: "create a ready-to-run project (demo pipeline, prompts, config)",
		text: `Creates a project in DIR (default: the working directory): pipelines/demo.yaml (the
whole pipeline on simulated models, offline), the prompt set in prompts/, the training
config in config/training_config.json, a .gitignore (data/, .sptflow/, .env), a README
and the empty store .sptflow/ that marks the project root. It refuses to overwrite an
existing file (and names it) unless --force, and prints the command to run next.`,
		examples: []string{"sptflow init myproject && cd myproject && sptflow run pipelines/demo.yaml"},
		exits:    "0 the project was created; 1 a file could not be written; 2 a file exists (without --force) or bad usage."},
	{name: "fake", args: "", summary: "serve fake LLM APIs on loopback, to run pipelines over HTTP offline",
		text: `Serves Anthropic-, OpenAI- and OpenRouter-compatible APIs on loopback that answer like
the SPT pipeline's models (the sim provider's SPT-aware responders), until Ctrl-C. It
prints the base_url of each provider and the environment to set: the fake accepts any
API key, so the keys it suggests are dummies. pipelines/experiments/fake.yaml points
every model of full.yaml at it, so the whole pipeline runs over real HTTP, offline.
Replies are served as fake/<model> and labelled simulated in the records, the data and
the training set. Latency, per-model rate limits (429 with Retry-After) and faults are
configurable; GET /stats returns the fake's own counts (requests, 429s, faults, tokens
billed per model) to compare with 'sptflow log --json'.`,
		examples: []string{
			"sptflow fake &                                          # then:",
			"sptflow run pipelines/experiments/fake.yaml              # needs the FAKE_*_KEY it prints",
			"sptflow fake --latency 300ms --jitter 200ms --rpm 60     # slow and rate-limited",
			"sptflow fake --error-rate 0.05 --malformed-rate 0.05 --quota-after 500",
			"curl -s http://127.0.0.1:8089/stats",
		},
		exits: "0 stopped by Ctrl-C or SIGTERM; 1 the address could not be served; 2 bad usage."},
	{name: "version", args: "", summary: "sptflow's version, commit and Go version",
		text: `Prints the module version, the VCS revision and time it was built from (and whether
the work tree had changes), and the Go version.`,
		examples: []string{"sptflow version", "sptflow version --json"}},
	{name: "completion", args: "bash|zsh|fish", summary: "shell completion script",
		text: `Prints a completion script for the shell. It completes commands, flags, pipeline
files (*.yaml, *.yml) and, after a pipeline, targets: the node names and partition IDs
of the pipeline (it asks 'sptflow __complete targets PIPELINE').`,
		examples: []string{
			"source <(sptflow completion bash)                        # bash, this shell",
			"sptflow completion zsh > \"${fpath[1]}/_sptflow\"          # zsh",
			"sptflow completion fish > ~/.config/fish/completions/sptflow.fish",
		}},
	{name: "help", args: "[COMMAND]", summary: "this list, or a command's help",
		text:     `Prints the list of commands, or the help of one command (as 'sptflow COMMAND --help').`,
		examples: []string{"sptflow help run"}},
}

// docFor returns the help of the named command.
func docFor(name string) (cmdDoc, bool) {
	i := slices.IndexFunc(docs, func(d cmdDoc) bool { return d.name == name })
	if i < 0 {
		return cmdDoc{}, false
	}
	return docs[i], true
}

const targetHelp = `  node                   every partition of the node             intervene
  node@value[,value...]  partitions bound to all these values    intervene@sycophancy
  node@key=value[,...]   partitions with these foreach bindings  infer@topic=sycophancy
  With no target, every partition of the pipeline. What the targets need runs too when
  it is not up to date (not with --only). 'sptflow status' lists the partition IDs.
`

const globalHelp = `API keys (ANTHROPIC_API_KEY, OPENAI_API_KEY, OPENROUTER_API_KEY) come from the
environment or the project's .env. SPTFLOW_HOME moves the store (default .sptflow/ at
the project root); SPTFLOW_REMOTE names a remote store shared with other machines (it
wins over the pipeline's remote:; "none" turns that off). Relative --set paths that exist relative to the working directory
are taken from there.
`

const exitHelp = "0 success; 1 the command failed; 2 bad usage or configuration."

// usage writes the command list.
func usage(w io.Writer) {
	fmt.Fprint(w, "usage: sptflow [global flags] COMMAND [flags] [args]\n\ncommands:\n")
	for _, d := range docs {
		fmt.Fprintf(w, "  %-28s %s\n", strings.TrimSpace(d.name+" "+d.args), d.summary)
	}
	fmt.Fprint(w, "\nglobal flags (also accepted after the command):\n")
	fmt.Fprint(w, "  --log-format console|json  --log-level LEVEL  --data DIR  --set NAME=VALUE  --jobs N\n\n")
	fmt.Fprint(w, globalHelp)
	fmt.Fprint(w, "\n'sptflow help COMMAND' or 'sptflow COMMAND --help' explains a command.\n")
}

// helpRequest is -h or --help on a command line: the command's flag set,
// whose flags the help lists.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return "help requested" }
func (h *helpRequest) Unwrap() error { return flag.ErrHelp }

// printHelp writes the help of the command whose flag set is fs.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	d, ok := docFor(fs.Name())
	if !ok {
		usage(w)
		return
	}
	fmt.Fprintf(w, "usage: sptflow %s [flags] %s\n\n", d.name, d.args)
	writeParagraphs(w, "", d.text)
	if d.targets {
		fmt.Fprintf(w, "\ntargets:\n%s", targetHelp)
	}
	own, global := splitFlags(fs)
	printFlags(w, "flags", own)
	printFlags(w, "global flags", global)
	if len(d.examples) > 0 {
		fmt.Fprint(w, "\nexamples:\n")
		for _, ex := range d.examples {
			fmt.Fprintf(w, "  %s\n", ex)
		}
	}
	fmt.Fprint(w, "\nexit codes:\n")
	writeParagraphs(w, "  ", orDefault(d.exits, exitHelp))
}

// writeParagraphs writes the blank-line separated paragraphs of text,
// each wrapped at helpWidth after indent.
func writeParagraphs(w io.Writer, indent, text string) {
	for i, par := range strings.Split(text, "\n\n") {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprint(w, wrap(indent, par, helpWidth))
	}
}

// globalFlags are the flags every command with a pipeline accepts.
var globalFlags = []string{"data", "jobs", "log-format", "log-level", "set"}

// splitFlags returns the command's own flags and the global ones, each
// sorted by name.
func splitFlags(fs *flag.FlagSet) (own, global []*flag.Flag) {
	fs.VisitAll(func(f *flag.Flag) {
		if slices.Contains(globalFlags, f.Name) {
			global = append(global, f)
		} else {
			own = append(own, f)
		}
	})
	return own, global
}

// printFlags writes a flag list: the flag, its argument, its meaning and
// its default.
func printFlags(w io.Writer, title string, fl []*flag.Flag) {
	if len(fl) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	for _, f := range fl {
		arg, text := flag.UnquoteUsage(f)
		switch {
		case flagValues[f.Name].Values != "":
			arg = strings.ReplaceAll(flagValues[f.Name].Values, " ", "|")
		case arg == "int":
			arg = "N"
		case arg == "string":
			arg = "VALUE"
		}
		head := "--" + f.Name
		if len(f.Name) == 1 {
			head = "-" + f.Name // as the README and examples write it: log -n 5
		}
		if arg != "" {
			head += " " + arg
		}
		fmt.Fprint(w, wrap("  "+pad(head, 24)+" ", text+defaultText(f, text), helpWidth))
	}
}

// helpWidth is the width help text is wrapped to.
const helpWidth = 80

// pad pads s with spaces to n columns, or ends it with a newline and n
// spaces when it is longer.
func pad(s string, n int) string {
	if len(s) > n {
		return s + "\n" + strings.Repeat(" ", n+2)
	}
	return s + strings.Repeat(" ", n-len(s))
}

// wrap writes text after head, wrapped at width, continuation lines
// indented to head's last line.
func wrap(head, text string, width int) string {
	lastLine := head[strings.LastIndex(head, "\n")+1:]
	indent := strings.Repeat(" ", len(lastLine))
	var b strings.Builder
	b.WriteString(head)
	col := len(lastLine)
	for i, word := range strings.Fields(text) {
		if i > 0 && col+1+len(word) > width {
			b.WriteString("\n" + indent)
			col = len(indent)
		} else if i > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += len(word)
	}
	b.WriteByte('\n')
	return b.String()
}

// defaultText is " (default X)" unless the usage already states the
// default.
func defaultText(f *flag.Flag, text string) string {
	if strings.Contains(text, "default") {
		return ""
	}
	switch f.DefValue {
	case "":
		return " (default: none)"
	case "[]", "map[]":
		return " (default: none)"
	}
	return fmt.Sprintf(" (default: %s)", f.DefValue)
}

// bareFlagSet is a flag set without the global flags, for commands that
// read no pipeline.
func (e *env) bareFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// cmdHelp prints the command list or one command's help.
func cmdHelp(ctx context.Context, e *env, args []string) error {
	pos, err := parse(e.bareFlagSet("help"), args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		usage(e.stdout)
		return nil
	case len(pos) > 1:
		return fmt.Errorf("%w: sptflow help [COMMAND]: want at most one command, got %d", errUsage, len(pos))
	}
	cmd, err := lookupCommand(pos[0])
	if err != nil {
		return err
	}
	err = cmd(ctx, e, []string{"--help"})
	var h *helpRequest
	if !errors.As(err, &h) {
		return fmt.Errorf("help %s: the command did not answer --help: %v", pos[0], err)
	}
	printHelp(e.stdout, h.fs)
	return nil
}

// flagError is the usage error for a flag fs could not parse: an unknown
// flag gets the nearest known one as a suggestion.
func flagError(fs *flag.FlagSet, err error) error {
	hint := ""
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := suggestName(strings.TrimPrefix(name, "-"), names); s != "" {
			hint = fmt.Sprintf("; did you mean --%s?", s)
		}
	}
	return fmt.Errorf("%w: %v%s; see 'sptflow help %s'", errUsage, err, hint, fs.Name())
}

// lookupCommand returns the named command, or a usage error that suggests
// the nearest known command.
func lookupCommand(name string) (command, error) {
	if cmd := commands()[name]; cmd != nil {
		return cmd, nil
	}
	names := make([]string, 0, len(docs))
	for _, d := range docs {
		names = append(names, d.name)
	}
	if s := suggestName(name, names); s != "" {
		return nil, fmt.Errorf("%w: unknown command %q; did you mean %q?", errUsage, name, s)
	}
	return nil, fmt.Errorf("%w: unknown command %q; 'sptflow help' lists the commands", errUsage, name)
}

// suggestName returns the name of names nearest to s (internal/suggest),
// else the one name s is a prefix of, else "".
func suggestName(s string, names []string) string {
	if n, ok := suggest.Closest(s, names); ok {
		return n
	}
	var prefixed []string
	for _, n := range names {
		if s != "" && strings.HasPrefix(n, s) {
			prefixed = append(prefixed, n)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return ""
}
