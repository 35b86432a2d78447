package lockyaml

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// checkAgrees fails unless decodeCanonical declines b or returns exactly
// what yaml.v3 (decodeYAML) returns for it, without error.
func checkAgrees(t *testing.T, what string, b []byte) (fast bool) {
	t.Helper()
	got, ok := decodeCanonical(b)
	if !ok {
		return false
	}
	want, err := decodeYAML(b)
	if err != nil {
		t.Errorf("%s: the fast decoder read a file yaml.v3 refuses (%v):\n%s", what, err, b)
		return true
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: fast decoder got\n%#v\nyaml.v3 got\n%#v\nfor:\n%s", what, got, want, b)
	}
	return true
}

// randomLock is a lock file of random pipelines and partitions, with
// names plain or needing quotes, times with and without fractions in
// several zones, and (sometimes) served models, usage and replicas.
func randomLock(r *rand.Rand, extras bool) *store.LockFile {
	plain := []string{"reference", "demo", "spt-full", "tag@sycophancy", "load@confidence_assessment",
		"infer@topic=sycophancy,model=qwen32", "analyze", "export", "a.b", "_x", "Y2", "e1"}
	other := []string{"yes", "null", "True", "on", "n", "1abc", "with space", "colon:x", "quote'd", "x#y", "é",
		"-dash", "@at", "a/b", "~", "0x1F", "2026-01-02"}
	name := func() string {
		if r.IntN(8) == 0 {
			return other[r.IntN(len(other))]
		}
		return plain[r.IntN(len(plain))]
	}
	lf := &store.LockFile{Version: 1, Pipelines: map[string]map[string]store.LockEntry{}}
	zones := []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("X", -5*3600-1800)}
	for range r.IntN(3) + 1 {
		parts := map[string]store.LockEntry{}
		for range r.IntN(4) {
			e := store.LockEntry{
				Key:      store.DigestOf([]byte(fmt.Sprint(r.Int()))).String(),
				Output:   store.DigestOf([]byte(fmt.Sprint(r.Int()))).String(),
				Produced: time.Unix(r.Int64N(4e9), []int64{0, 0, 5e8, 123456789, 1000}[r.IntN(5)]).In(zones[r.IntN(len(zones))]),
			}
			if r.IntN(6) == 0 {
				e.Key = strings.Repeat("1", 63) + []string{"0", "e", "f"}[r.IntN(3)] // numbers to YAML, or not
				e.Output = "12345" + strings.Repeat("0", 58) + "e"
			}
			if extras && r.IntN(3) == 0 {
				e.ServedModels = []string{"claude-sonnet-4-5"}
			}
			if extras && r.IntN(3) == 0 {
				e.Usage = map[string]any{"input_tokens": 12, "cost_usd": 0.5}
			}
			parts[name()] = e
		}
		lf.Pipelines[name()] = parts
	}
	if extras && r.IntN(3) == 0 {
		lf.Replicas = map[string]map[string]int{"reference": {"tag@x": 2}}
	}
	return lf
}

// TestDecodeCanonicalAgreesWithYAML: on lock files Encode wrote, and on
// every one-line edit of them (a line removed, doubled, or with one byte
// changed), the fast decoder either declines or reads exactly what yaml.v3
// reads; and it does read the canonical files of the shape it is for.
func TestDecodeCanonicalAgreesWithYAML(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fastOnes := 0
	for i := range 300 {
		lf := randomLock(r, i%4 == 0)
		b, err := Codec{}.Encode(lf)
		if err != nil {
			continue // a name Encode refuses
		}
		if checkAgrees(t, fmt.Sprintf("file %d", i), b) {
			fastOnes++
		}
		lines := bytes.SplitAfter(b, []byte("\n"))
		for j := range lines {
			edits := [][]byte{
				join(lines[:j], lines[j+1:]),                              // removed
				join(lines[:j+1], lines[j:]),                              // doubled
				join(lines[:j], [][]byte{flip(r, lines[j])}, lines[j+1:]), // a byte changed
			}
			for k, e := range edits {
				checkAgrees(t, fmt.Sprintf("file %d, line %d, edit %d", i, j, k), e)
			}
		}
	}
	if fastOnes < 60 {
		t.Errorf("the fast decoder read %d of the generated files; want most of those without extras", fastOnes)
	}
	for _, b := range []string{
		lockHeader + "version: 1\npipelines: {}\n",
		lockHeader + "version: 1\npipelines:\n  demo: {}\n",
		lockHeader + "version: 1\npipelines:\n  demo: {}\n\n  ref:\n    a:\n      key: " + strings.Repeat("ab", 32) +
			"\n      output: " + strings.Repeat("cd", 32) + "\n      produced: 2026-12-04T23:29:59.5Z\n",
	} {
		if !checkAgrees(t, "literal", []byte(b)) {
			t.Errorf("the fast decoder declined:\n%s", b)
		}
	}
}

// TestDecodeCanonicalHandEdited: names and digests that YAML reads as
// something else than their text when written plain, as a hand-edited
// file could hold them, are left to yaml.v3.
func TestDecodeCanonicalHandEdited(t *testing.T) {
	entry := func(id, key string) string {
		return "    " + id + ":\n      key: " + key + "\n      output: " + strings.Repeat("ab", 32) +
			"\n      produced: 2026-12-04T23:29:59Z\n"
	}
	hex := strings.Repeat("cd", 32)
	for _, c := range []struct{ id, key string }{
		{"yes", hex}, {"null", hex}, {"True", hex}, {"on", hex}, {"N", hex}, {"Off", hex}, {"ok", hex},
		{"a", strings.Repeat("1", 64)}, {"a", "1" + strings.Repeat("0", 62) + "e"}, {"a", "12e" + strings.Repeat("4", 61)},
		{"a", strings.Repeat("9", 63) + "f"},
	} {
		b := lockHeader + "version: 1\npipelines:\n  p:\n" + entry(c.id, c.key)
		fast := checkAgrees(t, fmt.Sprintf("id %q key %q", c.id, c.key), []byte(b))
		if wantFast := c.id == "ok" || c.key == strings.Repeat("9", 63)+"f"; fast != wantFast {
			t.Errorf("id %q key %q: fast decoder read it: %v, want %v", c.id, c.key, fast, wantFast)
		}
	}
}

func join(parts ...[][]byte) []byte {
	var out []byte
	for _, p := range parts {
		for _, l := range p {
			out = append(out, l...)
		}
	}
	return out
}

// flip returns l with one byte replaced by a character that matters to
// YAML or to the decoder.
func flip(r *rand.Rand, l []byte) []byte {
	if len(l) == 0 {
		return []byte(":")
	}
	c := slicesClone(l)
	const chars = " :#{}[]-'\"\t0aeZ.\n"
	c[r.IntN(len(c))] = chars[r.IntN(len(chars))]
	return c
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

// BenchmarkDecode: a lock file of 17 partitions, as the reference
// pipeline's, by the fast decoder and by yaml.v3.
func BenchmarkDecode(b *testing.B) {
	lf := &store.LockFile{Version: 1, Pipelines: map[string]map[string]store.LockEntry{"reference": {}}}
	for i := range 17 {
		lf.Pipelines["reference"][fmt.Sprintf("tag@topic_%d", i)] = store.LockEntry{Key: store.DigestOf([]byte{byte(i)}).String(),
			Output: store.DigestOf([]byte{byte(i), 1}).String(), Produced: time.Unix(1796400000, 0)}
	}
	data, err := Codec{}.Encode(lf)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeCanonical(data); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("yaml", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeYAML(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
