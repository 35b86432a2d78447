package llmstep

import (
	"fmt"
	"slices"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/llm"
)

// Model reads the model name at key and returns its validated entry from
// the pipeline's `models:` block (nil after recording a problem).
func (w *With) Model(key, def string) *llm.ModelSpec {
	name := w.Str(key, def)
	if name == "" {
		if !w.Has(key) {
			w.Errorf(key, "required: name a model of the pipeline's models block")
		}
		return nil
	}
	return w.lookupModel(key, name)
}

// ToolModel is Model for a step that forces a tool call in every request:
// a model that cannot serve those (llm.ModelSpec.ForcedToolProblem) is a
// problem at key.
func (w *With) ToolModel(key, def string) *llm.ModelSpec {
	spec := w.Model(key, def)
	if spec != nil {
		if why := spec.ForcedToolProblem(); why != "" {
			w.Errorf(key, "%s", why)
			return nil
		}
	}
	return spec
}

// Models reads a list of model names at key.
func (w *With) Models(key string) []*llm.ModelSpec {
	names := w.Strings(key, nil)
	if names == nil {
		if !w.Has(key) {
			w.Errorf(key, "required: list models of the pipeline's models block")
		}
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
	entry, ok := w.spec.Models[name]
	if !ok {
		known := make([]string, 0, len(w.spec.Models))
		for k := range w.spec.Models {
			known = append(known, k)
		}
		slices.Sort(known)
		w.Errorf(key, "unknown model %q (known: %v)", name, known)
		return nil
	}
	spec, err := llm.ParseModelSpec(name, entry.Raw)
	if err != nil {
		w.errs = append(w.errs, fmt.Errorf("%s: %w", entry.Pos, err))
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

// Client returns rt's client for spec, or an error naming the partition
// when the step was built without a runtime.
func Client(rt *llm.Runtime, t *engine.Task, spec *llm.ModelSpec) (*llm.Client, error) {
	if rt == nil {
		return nil, fmt.Errorf("%s: no LLM runtime configured for kind %s", t.ID(), t.Spec.Kind)
	}
	c, err := rt.Client(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.ID(), err)
	}
	return c, nil
}
