package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/joho/godotenv"
	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/lockyaml"
	"github.com/sptflow/sptflow/engine/pipeline"
	"github.com/sptflow/sptflow/engine/store"
	"github.com/sptflow/sptflow/engine/store/remote"
	"github.com/sptflow/sptflow/llm"
	"github.com/sptflow/sptflow/regfile"
)

// env is the command's environment: output streams and global flags.
type env struct {
	stdout, stderr io.Writer

	logFormat string
	logLevel  string
	data      string
	sets      setFlag
	jobs      int
	maxCost   float64 // run --max-cost USD; 0 = no limit
	noWait    bool    // run --no-wait: batches in flight end the run
	// observe: a real run's engine hands new input files to the kinds
	// that use them in the read that digests them (engine.Options.ObserveInputs).
	observe   bool
	rateShare float64 // run --shard/--rate-share: of every model's rate budgets (shard.go)

	logOut *redirect // the log's stderr, redirected above progress bars
}

// setFlag collects repeated --set NAME=VALUE.
type setFlag map[string]string

func (s *setFlag) String() string { return "" }

func (s *setFlag) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	if *s == nil {
		*s = setFlag{}
	}
	(*s)[name] = val
	return nil
}

// flagSet returns a FlagSet with the global flags registered on e.
func (e *env) flagSet(name string) *flag.FlagSet {
	fs := e.bareFlagSet(name)
	fs.StringVar(&e.logFormat, "log-format", e.logFormat, "log format: console or json (default console)")
	fs.StringVar(&e.logLevel, "log-level", orDefault(e.logLevel, "info"), "log level: debug, info, warn, error")
	fs.StringVar(&e.data, "data", e.data, "materialize outputs into `DIR` (relative to the working directory)")
	fs.Var(&e.sets, "set", "override a pipeline var: `NAME=VALUE` (repeatable)")
	intFlag(fs, &e.jobs, "jobs", orDefaultInt(e.jobs, 4), 1, "execute `N` partitions at once (at least 1)")
	return fs
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func orDefaultInt(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// parse parses args with flags and positionals interleaved ("run p.yaml
// --jobs 2 target"); the first "--" ends flags: everything after it is
// positional. -h and --help return a *helpRequest.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var after []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, after = args[:i], args[i+1:]
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, &helpRequest{fs: fs}
			}
			return nil, flagError(fs, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, after...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// logger builds the zerolog logger: console lines (coloured on a terminal
// unless NO_COLOR is set) unless --log-format json; extra receives JSON
// too (the run's run.log).
func (e *env) logger(extra io.Writer) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(e.logLevel)
	if err != nil || e.logLevel == "" {
		return zerolog.Nop(), fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, e.logLevel)
	}
	e.logOut = &redirect{base: e.stderr}
	var w io.Writer = e.logOut
	switch e.logFormat {
	case "json":
	case "console", "":
		w = zerolog.ConsoleWriter{Out: e.logOut, TimeFormat: "15:04:05", NoColor: !colorOK(e.stderr)}
	default:
		return zerolog.Nop(), fmt.Errorf("%w: --log-format %q: want console or json", errUsage, e.logFormat)
	}
	if extra != nil {
		w = zerolog.MultiLevelWriter(w, extra)
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// colorOK reports whether output to w may be coloured: w is a terminal and
// NO_COLOR (https://no-color.org) is unset or empty.
func colorOK(w io.Writer) bool { return isTerminal(w) && os.Getenv("NO_COLOR") == "" }

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// project is a loaded pipeline with its store and engine.
type project struct {
	p        *pipeline.Pipeline
	st       *store.Store
	eng      *engine.Engine
	rt       *llm.Runtime     // the invocation's LLM runtime, shared by every node
	records  *store.RecordLog // the runtime's request store
	shared   *sharing         // the remote store, if any (remote.go)
	lockPath string
	log      zerolog.Logger
}

// close releases the files the project holds open, and logs what the store
// found damaged that the engine did not report (estimates read the request
// store outside a run, say).
func (pr *project) close() {
	for _, w := range pr.st.Warnings() {
		pr.log.Warn().Msg(w)
	}
	_ = pr.records.Close()
	pr.shared.close()
}

// loadPipeline loads and validates the pipeline file, then reads the
// project's .env (never overriding the environment).
func (e *env) loadPipeline(path string, ro engine.RunOptions) (*pipeline.Pipeline, error) {
	return e.loadPipelineOpt(path, ro, false)
}

// loadPipelineOpt is loadPipeline; partial returns the pipeline along with
// its problems when it has a resolvable part (pipeline.Options.Partial).
func (e *env) loadPipelineOpt(path string, ro engine.RunOptions, partial bool) (*pipeline.Pipeline, error) {
	ks := map[string]bool{}
	for k := range kinds(nil) {
		ks[k] = true
	}
	load := func(sets map[string]string) (*pipeline.Pipeline, error) {
		return pipeline.Load(path, pipeline.Options{Sets: sets, DataDir: e.data, Kinds: ks,
			ValidateModel: validateModel, ValidateRemote: remote.CheckConfigURL, Run: ro, Partial: partial})
	}
	p, err := load(e.sets)
	if p == nil {
		return nil, err
	}
	if sets, changed := cwdSets(e.sets, p.ProjectRoot); changed {
		if p, err = load(sets); p == nil {
			return nil, err
		}
	}
	if err := loadDotEnv(filepath.Join(p.ProjectRoot, ".env")); err != nil {
		return nil, err
	}
	return p, err
}

// loadDotEnv sets the variables of the .env file at path that the
// environment does not set. A missing file is no error; anything but a
// regular file, or a file over regfile.MaxConfig, is.
func loadDotEnv(path string) error {
	b, err := regfile.Read(path, regfile.MaxConfig)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: read .env: %w", errUsage, err)
	}
	vars, err := godotenv.UnmarshalBytes(b)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	for k, v := range vars {
		if _, set := os.LookupEnv(k); !set {
			os.Setenv(k, v)
		}
	}
	return nil
}

// cwdSets rewrites the --set values that name an existing path relative to
// the working directory so that they name the same path relative to the
// project root (against which the pipeline resolves paths), or absolutely
// when it lies outside the root. Other values, and every value when the
// working directory is the root, are unchanged, so node keys do not depend
// on where the command was started.
func cwdSets(sets map[string]string, root string) (map[string]string, bool) {
	wd, err := os.Getwd()
	if err != nil || wd == root || len(sets) == 0 {
		return sets, false
	}
	out := make(map[string]string, len(sets))
	changed := false
	for name, v := range sets {
		out[name] = v
		if v == "" || filepath.IsAbs(v) {
			continue
		}
		if _, err := os.Stat(v); err != nil {
			continue
		}
		abs := filepath.Join(wd, v)
		if rel, err := filepath.Rel(root, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			abs = filepath.ToSlash(rel)
		}
		out[name], changed = abs, true
	}
	return out, changed
}

// storeDir is $SPTFLOW_HOME, or .sptflow in the project root.
func storeDir(root string) string {
	if h := os.Getenv("SPTFLOW_HOME"); h != "" {
		abs, err := filepath.Abs(h)
		if err == nil {
			return abs
		}
		return h
	}
	return filepath.Join(root, ".sptflow")
}

// open loads the pipeline and builds its engine. Every configuration
// problem is reported at once: when the file has problems, the nodes they
// leave sound are still resolved, and both lists are returned together,
// each problem once.
func (e *env) open(path string, ro engine.RunOptions, log zerolog.Logger) (*project, error) {
	p, perr := e.loadPipelineOpt(path, ro, true)
	if perr != nil {
		if g := p.Resolvable(); g != nil {
			return nil, configErrors(perr, e.resolveOnly(p, g, log))
		}
		return nil, perr
	}
	st, err := store.Open(storeDir(p.ProjectRoot))
	if err != nil {
		return nil, err
	}
	sh, err := openSharing(p, st, log)
	if err != nil {
		return nil, err
	}
	records := st.RecordLog(requestsNamespace)
	batch, err := batchConfig(st.Dir(), e.noWait)
	if err != nil {
		return nil, err
	}
	rt, err := newRuntime(sh.records(records, log), log, e.maxCost, batch)
	if err != nil {
		return nil, err
	}
	pr := &project{p: p, st: st, rt: rt, records: records, shared: sh, lockPath: filepath.Join(p.ProjectRoot, "sptflow.lock"), log: log}
	maxData, err := maxDataFile()
	if err != nil {
		return nil, err
	}
	opt := engine.Options{Steps: kinds(rt), Store: st, LockPath: pr.lockPath, LockCodec: lockyaml.Codec{}, Log: log, MaxDataFile: maxData,
		ObserveInputs: e.observe}
	if sh != nil {
		opt.Shared = sh.tier
	}
	if debugNodeKey() {
		opt.KeyDebug = e.stderr
	}
	pr.eng, err = engine.New(p.Graph, opt)
	if err != nil {
		return nil, err
	}
	return pr, nil
}

// resolveOnly resolves the sound part g of a pipeline that has problems,
// returning the problems the engine finds there.
//
// It writes nothing into the project: without a store there yet, the inputs
// are digested through a temporary one.
func (e *env) resolveOnly(p *pipeline.Pipeline, g *engine.Graph, log zerolog.Logger) error {
	dir := storeDir(p.ProjectRoot)
	if _, err := os.Stat(dir); err != nil {
		tmp, err := os.MkdirTemp("", "sptflow-validate-")
		if err != nil {
			return nil // the pipeline's own problems come first
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	st, err := store.Open(dir)
	if err != nil {
		return nil
	}
	known := kinds(nil)
	sound := &engine.Graph{Name: g.Name, Path: g.Path, Needs: g.Needs, Partial: true}
	for _, s := range g.Partitions {
		if known[s.Kind] != nil {
			sound.Partitions = append(sound.Partitions, s)
		}
	}
	_, err = engine.New(sound, engine.Options{Steps: known, Store: st, LockPath: filepath.Join(p.ProjectRoot, "sptflow.lock"), LockCodec: lockyaml.Codec{}, Log: log})
	return err
}

// configErrors joins configuration errors, printing each line once; errors.Is
// and errors.As see every one.
func configErrors(errs ...error) error {
	var keep []error
	for _, err := range errs {
		if err != nil {
			keep = append(keep, err)
		}
	}
	return &joinedConfig{errs: keep}
}

type joinedConfig struct{ errs []error }

// Error lists the problems, each once, in file and position order (lines
// without a position last, in their order). A problem the pipeline loader
// placed at a field and a node's Resolve again at the entry holding it
// (a broken model entry, say) is the same message at two positions of one
// file: only the first, the loader's, is kept.
func (j *joinedConfig) Error() string {
	var lines []string
	seen := map[string]bool{}
	for _, err := range j.errs {
		for _, l := range strings.Split(err.Error(), "\n") {
			if k := problemKey(l); l != "" && !seen[k] { // "": engine.ErrReported
				seen[k] = true
				lines = append(lines, l)
			}
		}
	}
	sort.SliceStable(lines, func(a, b int) bool { return posLess(lines[a], lines[b]) })
	return strings.Join(lines, "\n")
}

// problemKey is a message without its line and column: its file and text.
func problemKey(l string) string {
	if m := posRE().FindStringSubmatchIndex(l); m != nil {
		return l[m[2]:m[3]] + ": " + l[m[1]:]
	}
	return l
}

// posRE matches the "file:line:col: " that starts a positioned message.
var posRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.+?):(\d+):(\d+): `) })

// posLess orders two messages by file, line and column.
func posLess(a, b string) bool {
	ma, mb := posRE().FindStringSubmatch(a), posRE().FindStringSubmatch(b)
	switch {
	case ma == nil || mb == nil:
		return ma != nil && mb == nil
	case ma[1] != mb[1]:
		return ma[1] < mb[1]
	}
	la, _ := strconv.Atoi(ma[2])
	lb, _ := strconv.Atoi(mb[2])
	if la != lb {
		return la < lb
	}
	ca, _ := strconv.Atoi(ma[3])
	cb, _ := strconv.Atoi(mb[3])
	return ca < cb
}

func (j *joinedConfig) Unwrap() []error { return j.errs }

// maxDataFile is $SPTFLOW_MAX_DATA_FILE ("512MiB"), or
// regfile.MaxDataDefault: the largest input file a partition may read.
func maxDataFile() (int64, error) {
	v := os.Getenv("SPTFLOW_MAX_DATA_FILE")
	if v == "" {
		return regfile.MaxDataDefault, nil
	}
	n, err := regfile.ParseBytes(v)
	if err != nil {
		return 0, fmt.Errorf("%w: SPTFLOW_MAX_DATA_FILE: %v", errUsage, err)
	}
	return n, nil
}

// debugNodeKey reports whether SPTFLOW_DEBUG contains "nodekey".
func debugNodeKey() bool {
	for _, f := range strings.Split(os.Getenv("SPTFLOW_DEBUG"), ",") {
		if strings.TrimSpace(f) == "nodekey" {
			return true
		}
	}
	return false
}

// missingEnv lists the environment variables (API keys) that the given
// partitions need and that are unset, sorted, each with who needs it.
func missingEnv(eng *engine.Engine, ids []engine.PartitionID) error {
	need := map[string]string{}
	for _, id := range ids {
		for _, v := range eng.Plan(id).Env {
			if os.Getenv(v) == "" && need[v] == "" {
				need[v] = string(id)
			}
		}
	}
	if len(need) == 0 {
		return nil
	}
	names := make([]string, 0, len(need))
	for v := range need {
		names = append(names, v)
	}
	sort.Strings(names)
	var lines []string
	for _, v := range names {
		lines = append(lines, fmt.Sprintf("%s is not set (needed by %s); put it in the environment or in .env", v, need[v]))
	}
	return fmt.Errorf("%w: %s", errUsage, strings.Join(lines, "\n"))
}

// onePipeline checks that exactly one positional argument names a pipeline.
func onePipeline(cmd string, pos []string) (string, error) {
	if len(pos) != 1 {
		return "", fmt.Errorf("%w: sptflow %s PIPELINE: want one pipeline file, got %d arguments", errUsage, cmd, len(pos))
	}
	return pos[0], nil
}

// inputWarnings words the engine's per-partition input problems for
// validate: the run will fail those partitions and run the others.
func inputWarnings(eng *engine.Engine) []string {
	probs := eng.InputProblems()
	ids := make([]engine.PartitionID, 0, len(probs))
	for id := range probs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		msg := strings.ReplaceAll(probs[id].Error(), "\n", "; ")
		out = append(out, fmt.Sprintf("%s will fail (the other partitions run): %s", id, msg))
	}
	return out
}
