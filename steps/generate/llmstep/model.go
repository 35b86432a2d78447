package llmstep

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/internal/suggest"
	"github.com/sptflow/sptflow/llm"
)

// Model reads the model name at key (a required engine.TypeModel
// parameter) and returns its validated entry from the pipeline's `models:`
// block (nil after recording a problem).
func (w *With) Model(key string) *llm.ModelSpec {
	name := w.Str(key)
	if name == "" {
		return nil
	}
	return w.lookupModel(key, name)
}

// ToolModel is Model for a step that forces a tool call in every request:
// a model that cannot serve those (llm.ModelSpec.ForcedToolProblem) is a
// problem at key.
func (w *With) ToolModel(key string) *llm.ModelSpec {
	spec := w.Model(key)
	if spec != nil {
		if why := spec.ForcedToolProblem(); why != "" {
			w.Errorf(key, "%s", why)
			return nil
		}
	}
	return spec
}

// Models reads a list of model names at key (an engine.TypeModels
// parameter).
func (w *With) Models(key string) []*llm.ModelSpec {
	names := w.Strings(key)
	if len(names) == 0 {
		return nil
	}
	specs := make([]*llm.ModelSpec, 0, len(names))
	for _, n := range names {
		if s := w.lookupModel(key, n); s != nil {
			specs = append(specs, s)
		}
	}
	return specs
}

func (w *With) lookupModel(key, name string) *llm.ModelSpec {
	models := w.Spec().Models
	entry, ok := models[name]
	if !ok {
		known := slices.Sorted(maps.Keys(models))
		if s := suggest.DidYouMean(name, known); s != "" {
			w.Errorf(key, "unknown model %q%s", name, s)
		} else {
			w.Errorf(key, "unknown model %q (known: %s)", name, strings.Join(known, ", "))
		}
		return nil
	}
	if entry.Broken {
		w.Add(engine.ErrReported)
		return nil
	}
	spec, err := llm.ParseModelSpec(name, entry.Raw)
	if err != nil {
		w.Add(fmt.Errorf("%s: %w", entry.Pos, err))
		return nil
	}
	return spec
}

// Env returns the distinct API-key variables the specs need, in order.
func Env(specs ...*llm.ModelSpec) []string {
	var env []string
	for _, s := range specs {
		if s != nil && s.APIKeyEnv != "" && !slices.Contains(env, s.APIKeyEnv) {
			env = append(env, s.APIKeyEnv)
		}
	}
	return env
}

// Providers returns the distinct provider kinds of specs, in order.
func Providers(specs ...*llm.ModelSpec) []string {
	var ps []string
	for _, s := range specs {
		if s != nil && !slices.Contains(ps, s.Provider) {
			ps = append(ps, s.Provider)
		}
	}
	return ps
}

// Client returns rt's client for spec, or an error when the step was built
// without a runtime.
func Client(rt *llm.Runtime, t *engine.Task, spec *llm.ModelSpec) (*llm.Client, error) {
	if rt == nil {
		return nil, fmt.Errorf("no LLM runtime configured for kind %s", t.Spec.Kind)
	}
	c, err := rt.Client(spec)
	if err != nil {
		return nil, fmt.Errorf("connect model %s: %w", spec.Name, err)
	}
	return c, nil
}
