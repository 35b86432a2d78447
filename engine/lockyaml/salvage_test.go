package lockyaml

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sptflow/sptflow/engine/store"
)

// sampleLock is a lock file with two pipelines and a replica record.
func sampleLock(t *testing.T) string {
	t.Helper()
	lf := &store.LockFile{Version: store.LockFileVersion, Pipelines: map[string]map[string]store.LockEntry{
		"demo":  {"load": sampleEntry("1"), "tag": sampleEntry("2")},
		"other": {"a": sampleEntry("3"), "b": sampleEntry("4")},
	}}
	lf.SetReplica("other", "a", 2)
	b, err := Codec{}.Encode(lf)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lineOf returns the 1-based line of the first line containing s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("no line contains %q", s)
	return 0
}

func TestDecodeDamage(t *testing.T) {
	good := sampleLock(t)
	tagLine := lineOf(t, good, "    tag:")
	lines := strings.Split(good, "\n")
	conflicted := strings.Join(slices.Concat(lines[:tagLine-1],
		[]string{"<<<<<<< HEAD"}, lines[tagLine-1:tagLine+2], []string{"======="}, lines[tagLine-1:tagLine+2],
		[]string{">>>>>>> feature"}, lines[tagLine+2:]), "\n")
	truncated := good[:strings.Index(good, "  other:")+12]
	badIndent := strings.Replace(good, "    tag:", "   tag:", 1)
	tests := []struct {
		name     string
		text     string
		line     int
		conflict bool
	}{
		{"merge conflict", conflicted, tagLine, true},
		{"bad indentation", badIndent, tagLine, false},
	}
	for _, tt := range tests {
		_, err := Codec{}.Decode([]byte(tt.text))
		var dmg *store.LockDamage
		if !errors.As(err, &dmg) {
			t.Errorf("%s: got %v, want a *store.LockDamage", tt.name, err)
			continue
		}
		if dmg.Line < 1 || dmg.Line > tt.line || (tt.conflict && dmg.Line != tt.line) || dmg.Conflict != tt.conflict {
			t.Errorf("%s: got line %d conflict %t (%v), want line %d (at most, for YAML) conflict %t", tt.name, dmg.Line, dmg.Conflict, err, tt.line, tt.conflict)
		}
	}
	if _, err := (Codec{}).Decode([]byte(truncated)); err != nil {
		t.Logf("truncated: %v", err) // a cut at a line boundary may still be valid YAML
	}
}

func TestSalvage(t *testing.T) {
	good := sampleLock(t)
	lines := strings.Split(good, "\n")
	tagLine := lineOf(t, good, "    tag:")
	aLine := lineOf(t, good, "    a:")
	conflictInDemo := strings.Join(slices.Concat(lines[:tagLine-1],
		[]string{"<<<<<<< HEAD"}, lines[tagLine-1:tagLine+2], []string{"======="}, lines[tagLine-1:tagLine+2],
		[]string{">>>>>>> feature"}, lines[tagLine+2:]), "\n")
	flipInA := strings.Replace(good, lines[aLine], strings.Replace(lines[aLine], "key: ", "key; ", 1), 1)
	truncatedInB := good[:strings.Index(good, "    b:")+30]
	brokenPipeline := strings.Replace(good, "  other:", "  other: [", 1)
	tests := []struct {
		name string
		text string
		want []string // pipeline/partition entries kept
		reps int
	}{
		{"intact", good, []string{"demo/load", "demo/tag", "other/a", "other/b"}, 1},
		{"merge conflict in demo/tag", conflictInDemo, []string{"demo/load", "other/a", "other/b"}, 1},
		{"damaged key of other/a", flipInA, []string{"demo/load", "demo/tag", "other/b"}, 1},
		{"truncated in other/b", truncatedInB, []string{"demo/load", "demo/tag", "other/a"}, 0},
		{"damaged pipeline line", brokenPipeline, []string{"demo/load", "demo/tag"}, 1},
	}
	for _, tt := range tests {
		lf := Codec{}.Salvage([]byte(tt.text))
		var got []string
		for p, parts := range lf.Pipelines {
			for id, e := range parts {
				got = append(got, p+"/"+id)
				if want := sampleEntryFor(p, id); !e.Produced.Equal(want.Produced) || e.Key != want.Key || e.Output != want.Output {
					t.Errorf("%s: %s/%s: got %+v, want %+v", tt.name, p, id, e, want)
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: kept %v, want %v", tt.name, got, tt.want)
		}
		if n := len(lf.Replicas["other"]); n != tt.reps {
			t.Errorf("%s: kept %d replica records, want %d", tt.name, n, tt.reps)
		}
	}
}

func sampleEntryFor(pipeline, id string) store.LockEntry {
	return map[string]store.LockEntry{"demo/load": sampleEntry("1"), "demo/tag": sampleEntry("2"),
		"other/a": sampleEntry("3"), "other/b": sampleEntry("4")}[pipeline+"/"+id]
}
