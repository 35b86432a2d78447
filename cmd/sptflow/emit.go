package main

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/engine/store/remote"
)

//go:embed emit/*.tmpl
var emitFS embed.FS

// emitTemplates are parsed at the first emit, not at every command's start.
var emitTemplates = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("emit").Funcs(template.FuncMap{
		"quote":   func(s string) string { b, _ := json.Marshal(s); return string(b) }, // a YAML double-quoted scalar
		"shquote": shellWord,
	}).ParseFS(emitFS, "emit/*.tmpl"))
})

// emitJob is what the templates fill in.
type emitJob struct {
	Name      string // Job / job name, a DNS label
	Pipeline  string // pipeline file, relative to the project root
	Shards    int
	LastIndex int // Shards-1: the last 0-based index
	Remote    string
	Image     string   // k8s
	Secret    string   // k8s, optional
	Sbatch    []string // slurm, extra #SBATCH options
}

// checkEmitArgs reports a usage error unless pos is a job kind and a
// pipeline; a mistyped kind gets a suggestion.
func checkEmitArgs(pos []string) error {
	const usage = "sptflow emit k8s|slurm PIPELINE --shards N"
	kinds := []string{"k8s", "slurm"}
	if len(pos) > 0 && !slices.Contains(kinds, pos[0]) {
		if s := suggestName(pos[0], kinds); s != "" {
			return fmt.Errorf("%w: %s: unknown job kind %q; did you mean %q?", errUsage, usage, pos[0], s)
		}
	}
	if len(pos) != 2 || !slices.Contains(kinds, pos[0]) {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	return nil
}

// cmdEmit writes a Kubernetes Indexed Job or a Slurm array-job script that
// runs the shards of a pipeline against a shared remote store.
func cmdEmit(ctx context.Context, e *env, args []string) error {
	fs := e.bareFlagSet("emit")
	var shards int
	intFlag(fs, &shards, "shards", 0, 0, "number of shards `N`: pods or array tasks")
	image := fs.String("image", "", "container `IMAGE` with sptflow and the project (k8s)")
	secret := fs.String("secret", "", "Kubernetes Secret `NAME` whose keys become environment variables: API keys, storage credentials (k8s)")
	remoteURL := fs.String("remote", "", "remote store `URL` the shards share (default $"+remoteEnv+")")
	name := fs.String("name", "", "job `NAME` (default sptflow-PIPELINE-NAME)")
	var sbatch stringList
	fs.Var(&sbatch, "sbatch", "extra sbatch `OPTION` line, e.g. --partition=gpu (repeatable; slurm)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkEmitArgs(pos); err != nil {
		return err
	}
	job := emitJob{Shards: shards, LastIndex: shards - 1, Remote: orDefault(*remoteURL, os.Getenv(remoteEnv)),
		Image: *image, Secret: *secret, Sbatch: sbatch}
	if err := job.check(pos[0]); err != nil {
		return err
	}
	p, err := e.loadPipeline(pos[1], engine.RunOptions{})
	if err != nil {
		return err
	}
	if job.Pipeline, err = projectRelative(p.ProjectRoot, pos[1]); err != nil {
		return err
	}
	if job.Name, err = jobName(*name, p.Name); err != nil {
		return err
	}
	tmpl := map[string]string{"k8s": "k8s.yaml.tmpl", "slurm": "slurm.sh.tmpl"}[pos[0]]
	return emitTemplates().ExecuteTemplate(e.stdout, tmpl, job)
}

// check validates the flags of an emitter.
func (j emitJob) check(kind string) error {
	switch {
	case j.Shards < 1:
		return fmt.Errorf("%w: emit %s needs --shards N (N >= 1)", errUsage, kind)
	case j.Remote == "":
		return fmt.Errorf("%w: emit %s needs --remote URL or $%s: the shards share nothing else", errUsage, kind, remoteEnv)
	case strings.HasPrefix(j.Remote, "file:") && kind == "k8s":
		return fmt.Errorf("%w: emit k8s: a file:// remote store is not shared by pods; use s3:// or gs://", errUsage)
	case strings.HasPrefix(j.Remote, "mem:"):
		return fmt.Errorf("%w: emit %s: a mem:// store lives in one process", errUsage, kind)
	case kind == "k8s" && j.Image == "":
		return fmt.Errorf("%w: emit k8s needs --image IMAGE", errUsage)
	case kind == "k8s" && len(j.Sbatch) > 0:
		return fmt.Errorf("%w: --sbatch is for emit slurm", errUsage)
	case kind == "slurm" && (j.Image != "" || j.Secret != ""):
		return fmt.Errorf("%w: --image and --secret are for emit k8s", errUsage)
	case j.Secret != "" && !dnsLabel().MatchString(j.Secret):
		return fmt.Errorf("%w: --secret %q is not a Kubernetes object name", errUsage, j.Secret)
	}
	// The URL is written into the manifest or script: credentials in it
	// are refused as in a pipeline's remote: key.
	if err := remote.CheckConfigURL(j.Remote); err != nil {
		return fmt.Errorf("%w: --remote: %v", errUsage, err)
	}
	for _, o := range j.Sbatch {
		if !strings.HasPrefix(o, "--") || strings.ContainsAny(o, "\n\r") {
			return fmt.Errorf("%w: --sbatch %q: want one --option[=value]", errUsage, o)
		}
	}
	return nil
}

// projectRelative returns the pipeline file's slash path relative to the
// project root, as the job's working directory (the image's /work, or the
// submit directory) sees it.
func projectRelative(root, file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: pipeline %s is outside the project root %s", errUsage, file, root)
	}
	return filepath.ToSlash(rel), nil
}

// dnsLabel is a Kubernetes object name usable as an Indexed Job name (its
// pods' hostnames append the index, so it is kept short).
var dnsLabel = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$`) })

// jobName is name, or sptflow-<pipeline> made a DNS label.
func jobName(name, pipelineName string) (string, error) {
	if name == "" {
		name = "sptflow-" + strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(pipelineName), "-"), "-")
		if len(name) > 52 {
			name = strings.TrimRight(name[:52], "-")
		}
	}
	if !dnsLabel().MatchString(name) {
		return "", fmt.Errorf("%w: job name %q: want lowercase letters, digits and '-', at most 52", errUsage, name)
	}
	return name, nil
}

// shellWord is s as one POSIX shell word: bare when it has no special
// characters, else single-quoted.
func shellWord(s string) string {
	if shellSafe().MatchString(s) {
		return s
	}
	return shellQuote(s)
}

var shellSafe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`) })

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }
