package intervene

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sptflow/sptflow/engine"
	"github.com/sptflow/sptflow/steps/generate/llmstep"
	"github.com/sptflow/sptflow/steps/spt"
)

// readVersions reads `versions:` (a list) or its shorthand `version:` (one
// name); setting both is an error placed at both keys. A version name is
// the suffix of the storage key <type>__<version>, so it may not contain
// the separator "__".
func readVersions(w *llmstep.With, spec *engine.PartitionSpec) []string {
	hasOne, hasMany := w.Has("version"), w.Has("versions")
	var vs []string
	switch {
	case hasOne && hasMany:
		w.Errorf("versions", "set either versions or version (at %s), not both", spec.KeyPos("version"))
		return []string{DefaultVersion}
	case hasMany:
		vs = w.Strings("versions")
	default:
		vs = []string{w.Str("version")}
	}
	key := "version"
	if hasMany {
		key = "versions"
	}
	for _, v := range vs {
		if strings.Contains(v, spt.KeySep) || strings.ContainsAny(v, "/\\") {
			w.Errorf(key, "%q: a version may not contain %q or a path separator (it becomes the key suffix <type>%s<version>)",
				v, spt.KeySep, spt.KeySep)
		}
	}
	if len(vs) == 0 {
		return []string{DefaultVersion}
	}
	return vs
}

// checkDistinctVersions refuses two versions of one node that would send
// identical stage-3 requests for some intervention type: the same template
// text (the version-specific file of neither, or two identical files). The
// request store would answer the second from the first's responses, so it
// would hold copies of the first's records under another name, and
// consensus tags would count them twice. The fix is a version-specific
// prompt file, stage_3/<topic>__<type>__<version>.md.
func checkDistinctVersions(spec *engine.PartitionSpec, pr *spt.Prompts, topic string, interventions, versions []string) error {
	if len(versions) < 2 {
		return nil
	}
	key := "versions"
	var errs []error
	for _, iv := range unionInterventions(pr, topic, interventions, versions) {
		seen := map[string]string{} // template -> first version using it
		for _, v := range versions {
			text, ok := pr.Stage3Template(topic, iv, v)
			if !ok {
				continue
			}
			first, dup := seen[text]
			if !dup {
				seen[text] = v
				continue
			}
			relFirst, _ := pr.Stage3Source(topic, iv, first)
			rel, _ := pr.Stage3Source(topic, iv, v)
			why := "both use " + relFirst
			if rel != relFirst {
				why = relFirst + " and " + rel + " have the same text"
			}
			errs = append(errs, spec.WithErrorf(key,
				"versions %s and %s would send identical %s requests for topic %q (%s), so %s would copy %s's records; add %s's own prompt %s",
				first, v, iv, topic, why, v, first, v, spt.Stage3VersionFile(topic, iv, v)))
		}
	}
	return errors.Join(errs...)
}

// promptInputs are the prompt files the partition reads: the base prompt
// and, for every version and type, the stage-3 file it uses. Listing them
// (rather than every <topic>__*.md) keeps another version's files out of
// the node key: adding stage_3/<topic>__<type>__version_5.md for an
// experiment leaves the pipelines without version_5 up to date. A new
// shared file still changes the list (Resolve discovers its type), and so
// does a new file of a version in use.
func promptInputs(dir string, pr *spt.Prompts, topic string, interventions, versions []string) []engine.InputSpec {
	inputs := []engine.InputSpec{{Path: filepath.Join(dir, spt.BaseFile)}}
	seen := map[string]bool{}
	for _, tv := range typeVersions(pr, topic, interventions, versions) {
		rel, _ := pr.Stage3Source(topic, tv.iv, tv.version)
		if !seen[rel] {
			seen[rel] = true
			inputs = append(inputs, engine.InputSpec{Path: filepath.Join(dir, filepath.FromSlash(rel))})
		}
	}
	return inputs
}

// typeVersion is one (intervention type, version) pair a partition writes.
type typeVersion struct{ iv, version string }

// typeVersions lists every (intervention type, version) pair a partition
// writes, version by version: the given interventions, or those the
// prompt folder has for the topic and version.
func typeVersions(pr *spt.Prompts, topic string, interventions, versions []string) []typeVersion {
	var out []typeVersion
	for _, v := range versions {
		ivs := interventions
		if len(ivs) == 0 {
			ivs = pr.InterventionsFor(topic, v)
		}
		for _, iv := range ivs {
			out = append(out, typeVersion{iv, v})
		}
	}
	return out
}

// unionInterventions is the intervention types any version handles, in
// first-seen order.
func unionInterventions(pr *spt.Prompts, topic string, interventions, versions []string) []string {
	if len(interventions) > 0 {
		return interventions
	}
	var out []string
	for _, v := range versions {
		for _, iv := range pr.InterventionsFor(topic, v) {
			if !slices.Contains(out, iv) {
				out = append(out, iv)
			}
		}
	}
	return out
}
