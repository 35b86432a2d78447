package deps

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/sptflow/sptflow"

// own names a package pattern of this module.
func own(pattern string) string { return mod + "/" + pattern }

var (
	yamlPkgs = []string{"gopkg.in/yaml.v2", "gopkg.in/yaml.v3", "go.yaml.in/yaml/..."}
	httpPkgs = []string{"net/http"}
	llmPkgs  = []string{own("llm/...")}
)

func join(lists ...[]string) []string { return slices.Concat(lists...) }

// rule: packages matching pkgs must not link (import, directly or through
// other packages) any package matching a forbid pattern. A pattern ending in
// "/..." matches the path before it and everything under it. allow lists
// packages a forbid pattern matches that may be linked all the same (leaves
// with rules of their own); what they link is still checked.
type rule struct {
	name   string
	pkgs   []string
	forbid []string
	allow  []string
}

// rules are the layering the README's Architecture section states.
var rules = []rule{
	{"the store is a leaf: no other sptflow package (but regfile, the paired SHA-256 and mapped files), no YAML, no HTTP",
		[]string{own("engine/store")}, join([]string{own("...")}, yamlPkgs, httpPkgs), []string{own("regfile"), own("internal/sha256x2"), own("internal/mapped")}},
	{"the remote store knows the local store only: no engine, pipeline, LLM, step or command code, no YAML",
		[]string{own("engine/store/remote")}, join([]string{own("engine"), own("engine/pipeline"), own("steps/..."), own("cmd/...")}, llmPkgs, yamlPkgs), nil},
	{"regfile, which opens only regular files within a size limit, is a leaf",
		[]string{own("regfile")}, []string{own("...")}, nil},
	{"the paired SHA-256 is a leaf",
		[]string{own("internal/sha256x2")}, []string{own("...")}, nil},
	{"mapped files are a leaf",
		[]string{own("internal/mapped")}, []string{own("...")}, nil},
	{"the engine imports no YAML, HTTP, LLM, step or command code",
		[]string{own("engine")}, join(yamlPkgs, httpPkgs, llmPkgs, []string{own("steps/..."), own("cmd/...")}), nil},
	{"steps never import the command",
		[]string{own("steps/...")}, []string{own("cmd/...")}, nil},
	{"llm knows nothing of the engine, SPT or the command",
		[]string{own("llm/...")}, []string{own("engine/..."), own("steps/..."), own("cmd/...")}, nil},
	{"the SPT data model, which data-only kinds import, links no HTTP and no LLM code",
		[]string{own("steps/spt")}, join(httpPkgs, llmPkgs), nil},
	{"data-only kinds link no HTTP and no LLM code",
		[]string{own("steps/tag"), own("steps/analyze"), own("steps/evalreport"), own("steps/export"), own("steps/load")},
		join(httpPkgs, llmPkgs), nil},
	{"the viewer reads data and records: no provider, no LLM step, no command code",
		[]string{own("view")}, []string{own("llm/anthropic/..."), own("llm/openai/..."), own("llm/connect/..."), own("llm/sim/..."),
			own("llm/transport/..."), own("steps/generate/..."), own("steps/infer/..."), own("steps/intervene/..."), own("cmd/...")}, nil},
}

func TestDependencyRules(t *testing.T) {
	graph, roots := listModule(t)
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			checked := 0
			for _, p := range roots {
				if !matchAny(r.pkgs, p) {
					continue
				}
				checked++
				for _, chain := range breaches(graph, p, r.forbid, r.allow) {
					t.Errorf("%s: %s", r.name, formatChain(chain))
				}
			}
			if checked == 0 {
				t.Errorf("%s: no package of the module matches %v; update the rule", r.name, r.pkgs)
			}
		})
	}
}

// listModule runs `go list -deps` over the module and returns every
// package's imports and the module's own packages (not test packages: the
// rules are about what the binaries link).
func listModule(t *testing.T) (map[string][]string, []string) {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,DepOnly", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	graph := map[string][]string{}
	var roots []string
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
			DepOnly    bool
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		graph[p.ImportPath] = p.Imports
		if !p.DepOnly {
			roots = append(roots, p.ImportPath)
		}
	}
	return graph, roots
}

// breaches returns, for each forbidden pattern that from links, the
// shortest import chain from `from` to a package matching it.
func breaches(graph map[string][]string, from string, forbid, allow []string) [][]string {
	var chains [][]string
	for _, pattern := range forbid {
		if chain := shortestChain(graph, from, pattern, allow); chain != nil {
			chains = append(chains, chain)
		}
	}
	return chains
}

// shortestChain finds, breadth first, the shortest import chain from `from`
// to a package other than itself that matches pattern and not allow; nil if
// there is none. Imports are visited in sorted order, so the chain is
// deterministic.
func shortestChain(graph map[string][]string, from, pattern string, allow []string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		imports := slices.Sorted(slices.Values(graph[p]))
		for _, imp := range imports {
			if _, seen := prev[imp]; seen {
				continue
			}
			prev[imp] = p
			if match(pattern, imp) && !matchAny(allow, imp) {
				var chain []string
				for q := imp; q != ""; q = prev[q] {
					chain = append(chain, q)
				}
				slices.Reverse(chain)
				return chain
			}
			queue = append(queue, imp)
		}
	}
	return nil
}

func match(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, path) })
}

// formatChain writes an import chain with the module prefix trimmed:
// steps/tag → steps/spt → llm → net/http.
func formatChain(chain []string) string {
	short := make([]string, len(chain))
	for i, p := range chain {
		short[i] = strings.TrimPrefix(p, mod+"/")
	}
	return strings.Join(short, " → ")
}

func TestShortestChain(t *testing.T) {
	graph := map[string][]string{
		own("steps/tag"): {own("steps/spt"), "fmt"},
		own("steps/spt"): {own("llm"), "fmt"},
		own("llm"):       {"net/http", "fmt"},
		"net/http":       {"fmt"},
		own("a"):         {own("a")}, // a cycle must not loop
	}
	tests := []struct {
		from, pattern, want string
		allow               []string
	}{
		{own("steps/tag"), "net/http", "steps/tag → steps/spt → llm → net/http", nil},
		{own("steps/tag"), own("llm/..."), "steps/tag → steps/spt → llm", nil},
		{own("steps/spt"), own("steps/..."), "", nil}, // the package itself does not count
		{own("steps/tag"), own("steps/..."), "steps/tag → steps/spt", nil},
		{own("llm"), own("steps/..."), "", nil},
		{own("a"), "net/http", "", nil},
		// An allowed package is no breach, but what it links still is.
		{own("steps/tag"), own("..."), "steps/tag → steps/spt → llm", []string{own("steps/spt")}},
		{own("steps/tag"), own("..."), "", []string{own("steps/spt"), own("llm")}},
	}
	for _, tt := range tests {
		got := ""
		if chain := shortestChain(graph, tt.from, tt.pattern, tt.allow); chain != nil {
			got = formatChain(chain)
		}
		if got != tt.want {
			t.Errorf("shortestChain(%s, %s): got %q, want %q", tt.from, tt.pattern, got, tt.want)
		}
	}
}
