package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sptflow/sptflow"
)

// projectFile is one file `sptflow init` writes, by slash path relative to
// the project directory.
type projectFile struct {
	path string
	data []byte
}

const initGitignore = `# sptflow's store and run state (sptflow.lock is meant to be committed)
.sptflow/
# materialized pipeline outputs
data/
# API keys
.env
`

const initReadme = `# SPT data project

A Split Personality Training data project for [sptflow](https://github.com/sptflow/sptflow).

| path | what it is |
|---|---|
| ` + "`pipelines/demo.yaml`" + ` | the whole pipeline (generate → infer → intervene → tag → analyze, export) on simulated models: offline, in seconds |
| ` + "`prompts/`" + ` | the prompt set: ` + "`base_prompt.md`, `stage_1/<topic>.md`, `stage_3/<topic>__<intervention>.md`" + ` (see ` + "`prompts/README.md`" + `) |
| ` + "`config/training_config.json`" + ` | which tagged data ` + "`export`" + ` selects for training |
| ` + "`data/`" + ` | the outputs, materialized by runs (not committed) |
| ` + "`.sptflow/`" + ` | the store: cached outputs, paid LLM responses, run journals (not committed) |
| ` + "`sptflow.lock`" + ` | the node keys and outputs of the last runs (commit it) |

` + "```sh" + `
sptflow run pipelines/demo.yaml          # writes data/demo/ (export/train.jsonl, stage_3_analysis/report.html, ...)
sptflow status pipelines/demo.yaml --why # what is up to date, and why not
sptflow help                             # every command
` + "```" + `

For real models, copy ` + "`pipelines/demo.yaml`" + `, give its ` + "`models:`" + ` a provider (` + "`anthropic`, `openai`,\n`openrouter`" + `) and put the API keys in ` + "`.env`" + ` (` + "`ANTHROPIC_API_KEY=...`" + `); ` + "`sptflow status`" + ` prices a run
before it starts.
`

func cmdInit(ctx context.Context, e *env, args []string) error {
	fl := e.bareFlagSet("init")
	force := fl.Bool("force", false, "overwrite files that exist")
	pos, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fmt.Errorf("%w: sptflow init [DIR]: want at most one directory, got %d arguments", errUsage, len(pos))
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	files, err := starterFiles()
	if err != nil {
		return err
	}
	if !*force {
		if err := refuseExisting(dir, files); err != nil {
			return err
		}
	}
	if err := writeProject(dir, files); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created an sptflow project in %s: %d files\nnext: %s\n", dir, len(files), nextCommand(dir))
	return nil
}

// starterFiles lists the files of a new project in path order: the
// embedded starter tree, .gitignore and README.md.
func starterFiles() ([]projectFile, error) {
	files := []projectFile{
		{".gitignore", []byte(initGitignore)},
		{"README.md", []byte(initReadme)},
	}
	err := fs.WalkDir(sptflow.Starter, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sptflow.Starter, p)
		files = append(files, projectFile{p, b})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read embedded project files: %w", err)
	}
	slices.SortFunc(files, func(a, b projectFile) int { return strings.Compare(a.path, b.path) })
	return files, nil
}

// refuseExisting returns a usage error naming every file of files that
// already exists in dir.
func refuseExisting(dir string, files []projectFile) error {
	var exist []string
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if _, err := os.Lstat(p); err == nil {
			exist = append(exist, p)
		}
	}
	if len(exist) == 0 {
		return nil
	}
	named := strings.Join(exist[:min(len(exist), 5)], ", ")
	if len(exist) > 5 {
		named += fmt.Sprintf(" and %d more", len(exist)-5)
	}
	return fmt.Errorf("%w: sptflow init: %s already exist%s; nothing written (--force overwrites)",
		errUsage, named, map[bool]string{true: "s", false: ""}[len(exist) == 1])
}

// writeProject writes files into dir and creates the empty store
// directory .sptflow/, which marks dir as the project root.
func writeProject(dir string, files []projectFile) error {
	if err := os.MkdirAll(filepath.Join(dir, ".sptflow"), 0o755); err != nil {
		return fmt.Errorf("create project: %w", err)
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("create project: %w", err)
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			return fmt.Errorf("create project: %w", err)
		}
	}
	return nil
}

// nextCommand is what to run in the new project.
func nextCommand(dir string) string {
	run := "sptflow run pipelines/demo.yaml"
	if filepath.Clean(dir) == "." {
		return run
	}
	d := dir
	if strings.ContainsAny(d, " \t'\"$\\") {
		d = "'" + strings.ReplaceAll(d, "'", `'\''`) + "'"
	}
	return "cd " + d + " && " + run
}
