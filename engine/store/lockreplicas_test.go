package store

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLockFileReplicas: the replicas section comes after the pipelines,
// sorted, one line per partition; it round-trips; removing the last record
// gives back the bytes of a lock file that never had one.
func TestLockFileReplicas(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sptflow.lock")
	entries := func(lf *LockFile) error {
		lf.Pipelines["spt-demo"] = map[string]LockEntry{"intervene@sycophancy": sampleEntry("1")}
		return nil
	}
	if err := UpdateLockFile(p, entries); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	err := UpdateLockFile(p, func(lf *LockFile) error {
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
	lf, err := ReadLockFile(p)
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
	if again, _ := lf.Encode(); string(again) != want {
		t.Errorf("re-encoding what was read: got:\n%s\nwant:\n%s", again, want)
	}
	err = UpdateLockFile(p, func(lf *LockFile) error {
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
