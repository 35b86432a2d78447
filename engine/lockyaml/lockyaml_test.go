package lockyaml

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

func sampleEntry(n string) store.LockEntry {
	return store.LockEntry{
		Key:          store.DigestOf([]byte("key" + n)).String(),
		Output:       store.DigestOf([]byte("out" + n)).String(),
		Produced:     time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600)),
		ServedModels: []string{"claude-sonnet-4-5-20250929"},
		Usage:        map[string]any{"input_tokens": 1200, "cost_usd": 0.25},
	}
}

func TestLockFileFormat(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sptflow.lock")
	err := store.UpdateLockFile(p, Codec{}, func(lf *store.LockFile) error {
		lf.Pipelines["spt-full"] = map[string]store.LockEntry{
			"tag@sycophancy":                      sampleEntry("2"),
			"infer@topic=sycophancy,model=qwen32": sampleEntry("1"),
		}
		lf.Pipelines["demo"] = map[string]store.LockEntry{"load": {Key: store.DigestOf([]byte("k")).String(), Output: store.DigestOf([]byte("o")).String(), Produced: time.Unix(0, 0)}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	text := string(b)
	wantInOrder := []string{
		"version: 1\n", "pipelines:\n", "  demo:\n", "    load:\n", "      key: 8254c329a928",
		"  spt-full:\n", "    infer@topic=sycophancy,model=qwen32:\n",
		"      produced: 2025-01-02T02:04:05Z\n", "      served_models: [claude-sonnet-4-5-20250929]\n",
		"      usage:\n        cost_usd: 0.25\n        input_tokens: 1200\n",
		"\n    tag@sycophancy:\n",
	}
	rest := text
	for _, w := range wantInOrder {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("lock file lacks %q (in order); got:\n%s", w, text)
		}
		rest = rest[i+len(w):]
	}
	lf, err := store.ReadLockFile(p, Codec{})
	if err != nil {
		t.Fatal(err)
	}
	got := lf.Pipelines["spt-full"]["tag@sycophancy"]
	want := sampleEntry("2")
	if got.Key != want.Key || got.Output != want.Output || !got.Produced.Equal(want.Produced) || !reflect.DeepEqual(got.ServedModels, want.ServedModels) {
		t.Errorf("round trip: got %+v, want %+v", got, want)
	}
	// Re-encoding what was read gives the same bytes.
	again, _ := (Codec{}).Encode(lf)
	if string(again) != text {
		t.Errorf("encoding is not stable:\n%s\nvs\n%s", again, text)
	}
}

// TestLockFileReplicas: the replicas section comes after the pipelines,
// sorted, one line per partition; it round-trips; removing the last record
// gives back the bytes of a lock file that never had one.
func TestLockFileReplicas(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sptflow.lock")
	entries := func(lf *store.LockFile) error {
		lf.Pipelines["spt-demo"] = map[string]store.LockEntry{"intervene@sycophancy": sampleEntry("1")}
		return nil
	}
	if err := store.UpdateLockFile(p, Codec{}, entries); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	err := store.UpdateLockFile(p, Codec{}, func(lf *store.LockFile) error {
		lf.SetReplica("spt-demo", "intervene@sycophancy", 2)
		lf.SetReplica("spt-demo", "generate@reward_hacks", 1)
		lf.SetReplica("exp: one", "infer@topic=a,model=b", 0)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	want := string(before) + "\n# Model samples other than the pipeline file's (`sptflow run --resample N TARGET`).\n" +
		"replicas:\n" +
		"  'exp: one':\n" +
		"    infer@topic=a,model=b: 0\n" +
		"  spt-demo:\n" +
		"    generate@reward_hacks: 1\n" +
		"    intervene@sycophancy: 2\n"
	if string(got) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	lf, err := store.ReadLockFile(p, Codec{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pipeline, partition string
		n                   int
		ok                  bool
	}{
		{"spt-demo", "intervene@sycophancy", 2, true},
		{"exp: one", "infer@topic=a,model=b", 0, true},
		{"spt-demo", "tag@sycophancy", 0, false},
	} {
		if n, ok := lf.Replica(c.pipeline, c.partition); n != c.n || ok != c.ok {
			t.Errorf("Replica(%q, %q): got %d %t, want %d %t", c.pipeline, c.partition, n, ok, c.n, c.ok)
		}
	}
	if again, _ := (Codec{}).Encode(lf); string(again) != want {
		t.Errorf("re-encoding what was read: got:\n%s\nwant:\n%s", again, want)
	}
	err = store.UpdateLockFile(p, Codec{}, func(lf *store.LockFile) error {
		lf.DeleteReplica("spt-demo", "intervene@sycophancy")
		lf.DeleteReplica("spt-demo", "generate@reward_hacks")
		lf.DeleteReplica("exp: one", "infer@topic=a,model=b")
		lf.DeleteReplica("nowhere", "x")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(p); string(after) != string(before) {
		t.Errorf("after removing every record: got:\n%s\nwant:\n%s", after, before)
	}
}

// FuzzLockFile checks that any lock file that parses re-encodes to a
// fixed point: encode(parse(encode(parse(x)))) == encode(parse(x)).
func FuzzLockFile(f *testing.F) {
	lf := &store.LockFile{Version: 1, Pipelines: map[string]map[string]store.LockEntry{"p": {"tag@a": sampleEntry("1")}}}
	b, _ := (Codec{}).Encode(lf)
	f.Add(b)
	f.Add([]byte("version: 1\npipelines: {}\n"))
	f.Add([]byte("pipelines:\n  'x: y':\n    \"a@b=c,d\":\n      key: k\n      usage: {n: [1, 2]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := (Codec{}).Decode(data)
		if err != nil {
			return
		}
		first, err := (Codec{}).Encode(lf)
		if err != nil {
			return // names a lock file cannot hold (newlines)
		}
		lf2, err := (Codec{}).Decode(first)
		if err != nil {
			t.Fatalf("encoded lock file does not parse: %v\n%s", err, first)
		}
		second, err := (Codec{}).Encode(lf2)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("encoding is not a fixed point (%v):\n%s\nvs\n%s", err, first, second)
		}
	})
}

// TestGoldenBytes: lock files written by sptflow before the format moved out
// of engine/store (a demo run's, and one exercising YAML quoting, nested
// usage and replicas) decode and encode to the same bytes, and an update
// through the store that changes nothing leaves them untouched.
func TestGoldenBytes(t *testing.T) {
	for _, name := range []string{"demo.lock", "quoting.lock"} {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			lf, err := (Codec{}).Decode(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := (Codec{}).Encode(lf)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("re-encoded:\n%s\nwant:\n%s", got, want)
			}
			p := filepath.Join(t.TempDir(), "sptflow.lock")
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := store.UpdateLockFile(p, Codec{}, func(*store.LockFile) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if after, _ := os.ReadFile(p); !bytes.Equal(after, want) {
				t.Errorf("after a no-op update:\n%s\nwant:\n%s", after, want)
			}
		})
	}
}

func TestEncodeRejectsNames(t *testing.T) {
	for _, tt := range []struct {
		name string
		lf   *store.LockFile
	}{
		{"partition with a newline", &store.LockFile{Version: 1, Pipelines: map[string]map[string]store.LockEntry{"p": {"bad\nid": {}}}}},
		{"empty pipeline name", &store.LockFile{Version: 1, Pipelines: map[string]map[string]store.LockEntry{"": {}}}},
		{"replica pipeline with a newline", &store.LockFile{Version: 1, Replicas: map[string]map[string]int{"a\rb": {"x": 1}}}},
	} {
		if b, err := (Codec{}).Encode(tt.lf); err == nil {
			t.Errorf("%s: got no error, encoded:\n%s", tt.name, b)
		}
	}
	p := filepath.Join(t.TempDir(), "x.lock")
	err := store.UpdateLockFile(p, Codec{}, func(lf *store.LockFile) error {
		lf.Pipelines["p"] = map[string]store.LockEntry{"bad\nid": {}}
		return nil
	})
	if err == nil {
		t.Fatal("a partition id with a newline was written")
	}
	if _, err := os.Stat(p); err == nil {
		t.Error("a failed update wrote the file")
	}
	if err := os.WriteFile(p, []byte("version: 99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ReadLockFile(p, Codec{}); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("newer version: got %v, want an error naming version 99", err)
	}
}
