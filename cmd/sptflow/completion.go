package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/template"

	"github.com/sptflow/sptflow/engine"
)

// compCmd is what a completion script knows of one command.
type compCmd struct {
	Name, Summary string
	Flags         []compFlag
	Args          string // what its positional arguments are: see argKinds
	Words         string // the words of Args "words", space-separated
	Global        bool   // it accepts the global flags
}

// compFlag is one flag of a command.
type compFlag struct {
	Name, Usage string
	Value       bool   // takes a value
	Values      string // space-separated choices of the value, if any
	File        string // "file" or "dir" when the value is a path
}

// argKinds says what each command's positional arguments complete to:
// "pipeline" one pipeline file; "targets" a pipeline file, then its
// targets; "files" any files; "dir" a directory; "commands" a command
// name; "words" one of argWords; "" nothing.
var argKinds = map[string]string{
	"run": "targets", "status": "pipeline", "graph": "pipeline", "validate": "pipeline",
	"log": "pipeline", "gc": "pipeline", "diff": "files", "init": "dir",
	"completion": "words", "kinds": "words", "help": "commands",
}

// argWords are the first arguments of the "words" commands.
func argWords(name string) string {
	switch name {
	case "completion":
		return strings.Join(shells, " ")
	case "kinds":
		return strings.Join(append(slices.Sorted(slices.Values(kindNames(kindInfos()))), "models"), " ")
	}
	return ""
}

// flagValues are the choices and path kinds of flag values.
var flagValues = map[string]compFlag{
	"log-format": {Values: "console json"},
	"log-level":  {Values: "debug info warn error"},
	"format":     {Values: "dot mermaid"},
	"data":       {File: "dir"},
	"html":       {File: "file"},
}

var shells = []string{"bash", "zsh", "fish"}

// completionScripts are the script templates, one per shell.
//
//go:embed completion/*.tmpl
var completionScripts embed.FS

func cmdCompletion(ctx context.Context, e *env, args []string) error {
	pos, err := parse(e.bareFlagSet("completion"), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || !slices.Contains(shells, pos[0]) {
		return fmt.Errorf("%w: sptflow completion bash|zsh|fish: want one shell, got %q", errUsage, pos)
	}
	cmds, global, err := completionSpec(ctx)
	if err != nil {
		return err
	}
	return writeCompletion(e.stdout, pos[0], cmds, global)
}

// completionSpec reads every command's flags from its flag set, so the
// scripts cannot drift from the commands.
func completionSpec(ctx context.Context) ([]compCmd, []compFlag, error) {
	var cmds []compCmd
	var global []compFlag
	for _, d := range docs {
		fs, err := flagSetOf(ctx, d.name)
		if err != nil {
			return nil, nil, err
		}
		own, glob := splitFlags(fs)
		cmds = append(cmds, compCmd{Name: d.name, Summary: d.summary, Flags: compFlags(own),
			Args: argKinds[d.name], Words: argWords(d.name), Global: len(glob) > 0})
		if len(glob) > 0 {
			global = compFlags(glob)
		}
	}
	return cmds, global, nil
}

func compFlags(fl []*flag.Flag) []compFlag {
	out := make([]compFlag, 0, len(fl))
	for _, f := range fl {
		_, usage := flag.UnquoteUsage(f)
		c := flagValues[f.Name]
		c.Name, c.Usage = f.Name, usage
		b, isBool := f.Value.(interface{ IsBoolFlag() bool })
		c.Value = !isBool || !b.IsBoolFlag()
		out = append(out, c)
	}
	return out
}

// flagSetOf returns the flag set of the named command, asking the command
// for its help.
func flagSetOf(ctx context.Context, name string) (*flag.FlagSet, error) {
	cmd, err := lookupCommand(name)
	if err != nil {
		return nil, err
	}
	err = cmd(ctx, &env{stdout: io.Discard, stderr: io.Discard}, []string{"--help"})
	var h *helpRequest
	if !errors.As(err, &h) {
		return nil, fmt.Errorf("read the flags of %s: the command did not answer --help: %v", name, err)
	}
	return h.fs, nil
}

// cmdComplete answers the completion scripts: `__complete targets
// PIPELINE` prints the node names, then the partition IDs that are not
// node names, one a line.
func cmdComplete(ctx context.Context, e *env, args []string) error {
	pos, err := parse(e.flagSet("__complete"), args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "targets" {
		return fmt.Errorf("%w: sptflow __complete targets PIPELINE", errUsage)
	}
	p, err := e.loadPipeline(pos[1], engine.RunOptions{})
	if err != nil {
		return err
	}
	for _, t := range targetWords(p.Graph) {
		fmt.Fprintln(e.stdout, t)
	}
	return nil
}

// targetWords are the node names of g in declaration order, then the
// partition IDs that are not node names.
func targetWords(g *engine.Graph) []string {
	var nodes, ids []string
	for _, p := range g.Partitions {
		if !slices.Contains(nodes, p.Node) {
			nodes = append(nodes, p.Node)
		}
		if string(p.ID) != p.Node {
			ids = append(ids, string(p.ID))
		}
	}
	return append(nodes, ids...)
}

func writeCompletion(w io.Writer, shell string, cmds []compCmd, global []compFlag) error {
	t, err := template.New(shell).Funcs(template.FuncMap{
		"quote":      shellQuote,
		"fishq":      fishQuote,
		"zshesc":     zshDescribe,
		"flags":      flagNames,
		"valuedlist": func(fl []compFlag) string { return strings.ReplaceAll(valuedNames(fl), "|", " ") },
		"cmdflags":   cmdFlagNames,
		"valued":     valuedNames,
		"names":      cmdNames,
		"globalcmds": globalCmdNames,
		"fishvalue":  fishValue,
		"fishopt":    fishOption,
	}).ParseFS(completionScripts, "completion/"+shell+".tmpl")
	if err != nil {
		return fmt.Errorf("parse %s completion template: %w", shell, err)
	}
	data := struct {
		Cmds   []compCmd
		Global []compFlag
		Values []compFlag
	}{cmds, global, valueFlags(cmds, global)}
	if err := t.ExecuteTemplate(w, shell+".tmpl", data); err != nil {
		return fmt.Errorf("write %s completion: %w", shell, err)
	}
	return nil
}

// valueFlags are the flags, of any command, whose values have choices or
// are paths, each once.
func valueFlags(cmds []compCmd, global []compFlag) []compFlag {
	var out []compFlag
	seen := map[string]bool{}
	add := func(fl []compFlag) {
		for _, f := range fl {
			if (f.Values != "" || f.File != "") && !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f)
			}
		}
	}
	add(global)
	for _, c := range cmds {
		add(c.Flags)
	}
	return out
}

// flagNames renders flags as "--name --other -n": one-letter flags with
// one dash, as they are written.
func flagNames(fl []compFlag) string {
	var s []string
	for _, f := range fl {
		s = append(s, dashes(f.Name)+f.Name)
	}
	return strings.Join(s, " ")
}

func dashes(name string) string {
	if len(name) == 1 {
		return "-"
	}
	return "--"
}

// fishOption is fish's complete option for a flag: -l for --name, -o for
// a one-letter -n.
func fishOption(name string) string {
	if len(name) == 1 {
		return "-o " + name
	}
	return "-l " + name
}

// cmdFlagNames renders the flags c accepts, its own and the global ones.
func cmdFlagNames(c compCmd, global []compFlag) string {
	if !c.Global {
		return flagNames(c.Flags)
	}
	return strings.TrimSpace(flagNames(c.Flags) + " " + flagNames(global))
}

// valuedNames renders the flags that take a value as "--a|--b", a shell
// case pattern; "" when none does.
func valuedNames(fl []compFlag) string {
	var s []string
	for _, f := range fl {
		if f.Value {
			s = append(s, "--"+f.Name)
		}
	}
	return strings.Join(s, "|")
}

// globalCmdNames are the commands that accept the global flags.
func globalCmdNames(cmds []compCmd) string {
	var s []string
	for _, c := range cmds {
		if c.Global {
			s = append(s, c.Name)
		}
	}
	return strings.Join(s, " ")
}

// fishValue renders the options of fish's complete for a flag's value.
func fishValue(f compFlag) string {
	switch {
	case !f.Value:
		return ""
	case f.Values != "":
		return " -x -a " + fishQuote(f.Values)
	case f.File == "dir":
		return " -x -a '(__fish_complete_directories)'"
	case f.File != "":
		return " -r -F"
	}
	return " -x"
}

func cmdNames(cmds []compCmd) string {
	var s []string
	for _, c := range cmds {
		s = append(s, c.Name)
	}
	return strings.Join(s, " ")
}

// shellQuote quotes s for POSIX shells (and zsh) in single quotes.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// fishQuote quotes s in fish single quotes.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// zshDescribe escapes a "name:description" element for _describe.
func zshDescribe(name, desc string) string {
	return shellQuote(strings.ReplaceAll(name, ":", `\:`) + ":" + desc)
}
