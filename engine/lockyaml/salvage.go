package lockyaml

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/sptflow/sptflow/engine/store"
)

var errConflict = errors.New("unresolved merge conflict")

// conflictMarker matches the lines git writes around a merge conflict.
var conflictMarker = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(<<<<<<<|=======|>>>>>>>|\|\|\|\|\|\|\|)( |$)`)
})

// firstConflictMarker returns the 1-based line of the first merge conflict
// marker in b, or 0.
func firstConflictMarker(b []byte) int {
	for i, l := range strings.Split(string(b), "\n") {
		if conflictMarker().MatchString(strings.TrimRight(l, "\r")) {
			return i + 1
		}
	}
	return 0
}

var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`line (\d+)`) })

// yamlErrorLine returns the line a yaml.v3 error names, or 0.
func yamlErrorLine(err error) int {
	m := yamlLine().FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// trimYAMLError drops the "yaml: line N: " prefix, which LockDamage says
// in its own words.
func trimYAMLError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = yamlLine().ReplaceAllString(msg, "")
	msg = strings.TrimLeft(msg, ": ")
	if msg == "" {
		return err
	}
	return errors.New(msg)
}

// Salvage reads what is intact in a damaged lock file, one partition block
// at a time: a block that does not decode on its own, is incomplete (no
// valid key, output or time), has a line in a merge conflict, or
// belongs to a pipeline whose own line is damaged is left out. Replica
// records are read line by line the same way.
func (Codec) Salvage(b []byte) *store.LockFile {
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	bad := conflictLines(lines)
	lf := &store.LockFile{Version: store.LockFileVersion, Pipelines: map[string]map[string]store.LockEntry{}}
	section, pipeline, pipeOK := "", "", false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if bad[i] || strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		switch ind := indent(l); {
		case ind == 0:
			section, pipeOK = strings.TrimSpace(l), false
		case ind == 2:
			pipeline, pipeOK = mappingKey(l)
		case ind == 4 && section == "pipelines:" && pipeOK:
			end := blockEnd(lines, i)
			if !anyBad(bad, i, end) {
				salvageEntry(lf, pipeline, lines[i:end])
			}
			i = end - 1
		case ind == 4 && section == "replicas:" && pipeOK:
			salvageReplica(lf, pipeline, l)
		}
	}
	return lf
}

// conflictLines marks the lines of merge conflicts: the markers and
// everything between the first and the last.
func conflictLines(lines []string) map[int]bool {
	bad := map[int]bool{}
	in := false
	for i, l := range lines {
		m := conflictMarker().FindStringSubmatch(l)
		switch {
		case m != nil && m[1] == "<<<<<<<":
			in = true
		case m != nil && m[1] == ">>>>>>>":
			bad[i], in = true, false
		}
		if in || m != nil {
			bad[i] = true
		}
	}
	return bad
}

func indent(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

// blockEnd returns the index after the partition block starting at i: the
// next line that is neither blank nor indented more than 4.
func blockEnd(lines []string, i int) int {
	j := i + 1
	for ; j < len(lines); j++ {
		if l := lines[j]; strings.TrimSpace(l) != "" && indent(l) <= 4 {
			break
		}
	}
	return j
}

// anyBad reports whether a line of [i, end) is in a conflict. (A block
// that a marker cuts short is complete or fails salvageEntry's checks.)
func anyBad(bad map[int]bool, i, end int) bool {
	for k := i; k < end; k++ {
		if bad[k] {
			return true
		}
	}
	return false
}

// mappingKey parses a "  name:" (or "  name: {}") line.
func mappingKey(l string) (string, bool) {
	var m map[string]any
	if err := yaml.Unmarshal([]byte(strings.TrimSpace(l)), &m); err != nil || len(m) != 1 {
		return "", false
	}
	for k, v := range m {
		if v != nil {
			if mv, ok := v.(map[string]any); !ok || len(mv) != 0 {
				return "", false
			}
		}
		return k, k != ""
	}
	return "", false
}

func salvageEntry(lf *store.LockFile, pipeline string, block []string) {
	var m map[string]store.LockEntry
	if yaml.Unmarshal([]byte(strings.Join(block, "\n")), &m) != nil || len(m) != 1 {
		return
	}
	for id, e := range m {
		if !isHexDigest(e.Key) || !isHexDigest(e.Output) || e.Produced.IsZero() {
			return
		}
		if lf.Pipelines[pipeline] == nil {
			lf.Pipelines[pipeline] = map[string]store.LockEntry{}
		}
		lf.Pipelines[pipeline][id] = e
	}
}

func salvageReplica(lf *store.LockFile, pipeline, l string) {
	var m map[string]int
	if yaml.Unmarshal([]byte(strings.TrimSpace(l)), &m) != nil || len(m) != 1 {
		return
	}
	for id, n := range m {
		if n >= 0 {
			lf.SetReplica(pipeline, id, n)
		}
	}
}

func isHexDigest(s string) bool {
	_, err := store.ParseDigest(s)
	return err == nil && len(s) == 64
}
