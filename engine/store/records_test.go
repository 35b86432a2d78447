package store

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordStore mirrors llm.RecordStore (not imported: the store is a leaf).
type recordStore interface {
	Get(key [32]byte) (data []byte, ok bool, err error)
	Put(key [32]byte, data []byte) error
}

var _ recordStore = (*Records)(nil)

func TestRecordsRoundTrip(t *testing.T) {
	s := openTest(t)
	r := s.Records("requests")
	if _, ok, err := r.Get(key("a")); ok || err != nil {
		t.Fatalf("Get of missing record: ok=%v err=%v", ok, err)
	}
	for _, v := range []string{"first", "", "replaced"} {
		if err := r.Put(key("a"), []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, ok, err := r.Get(key("a"))
		if err != nil || !ok || string(got) != v {
			t.Fatalf("Get: got %q ok=%v err=%v, want %q", got, ok, err, v)
		}
	}
	if got, ok, _ := s.Records("other").Get(key("a")); ok {
		t.Fatalf("namespaces leak: got %q", got)
	}
	if err := r.Delete(key("a")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := r.Get(key("a")); ok {
		t.Fatal("record still present after Delete")
	}
	if err := r.Delete(key("a")); err != nil {
		t.Fatalf("Delete of missing record: %v", err)
	}
}

func TestRecordsDamagedIsMiss(t *testing.T) {
	for name, damage := range damages {
		t.Run(name, func(t *testing.T) {
			r := openTest(t).Records("requests")
			r.Put(key("a"), []byte("a validated response body"))
			damage(t, r.path(key("a")))
			if got, ok, err := r.Get(key("a")); ok || err != nil {
				t.Fatalf("Get of damaged record: got %q ok=%v err=%v, want a miss", got, ok, err)
			}
			if _, err := os.Stat(r.path(key("a"))); !os.IsNotExist(err) {
				t.Fatalf("damaged record not removed: %v", err)
			}
		})
	}
}

func TestRecordsBadNamespace(t *testing.T) {
	s := openTest(t)
	for _, ns := range []string{"", "..", "a/b", ".hidden", "a b"} {
		r := s.Records(ns)
		if err := r.Put(key("a"), nil); err == nil {
			t.Errorf("Put in namespace %q succeeded", ns)
		}
		if _, _, err := r.Get(key("a")); err == nil {
			t.Errorf("Get in namespace %q succeeded", ns)
		}
	}
}

func TestRecordsRange(t *testing.T) {
	s := openTest(t)
	r := s.Records("ns")
	want := map[[32]byte]bool{}
	for i := range 20 {
		k := key(fmt.Sprint(i))
		want[k] = true
		if err := r.Put(k, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Temp leftovers and foreign files are skipped.
	os.WriteFile(r.path(key("0"))+".tmp", nil, 0o644)
	os.WriteFile(r.dir+"/README", nil, 0o644)
	got := map[[32]byte]bool{}
	var prev [32]byte
	err := r.Range(func(k [32]byte, mod time.Time) bool {
		if bytes.Compare(k[:], prev[:]) <= 0 {
			t.Errorf("Range out of key order")
		}
		if time.Since(mod) > time.Minute {
			t.Errorf("modTime %v", mod)
		}
		prev, got[k] = k, true
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Range saw %d records, want %d", len(got), len(want))
	}
	n := 0
	r.Range(func([32]byte, time.Time) bool { n++; return n < 5 })
	if n != 5 {
		t.Fatalf("Range did not stop: %d calls, want 5", n)
	}
	if err := s.Records("empty").Range(func([32]byte, time.Time) bool { t.Error("called"); return true }); err != nil {
		t.Fatal(err)
	}
}

func TestRecordsConcurrentPutSameKey(t *testing.T) {
	r := openTest(t).Records("ns")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			if err := r.Put(key("same"), bytes.Repeat([]byte{byte('a' + i)}, 4096)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, ok, err := r.Get(key("same"))
	if err != nil || !ok || len(got) != 4096 || !bytes.Equal(got, bytes.Repeat(got[:1], 4096)) {
		t.Fatalf("got a mixed or missing record: ok=%v err=%v len=%d", ok, err, len(got))
	}
}

func TestRecordNamespaces(t *testing.T) {
	s := openTest(t)
	if got, err := s.RecordNamespaces(); err != nil || len(got) != 0 {
		t.Fatalf("empty store: got %v, %v", got, err)
	}
	s.Records("b").Put(key("x"), nil)
	s.Records("a").Put(key("x"), nil)
	got, err := s.RecordNamespaces()
	if err != nil || strings.Join(got, ",") != "a,b" {
		t.Fatalf("got %v, %v; want [a b]", got, err)
	}
}

// TestValidNamespace: the namespace rule, which the local and the remote
// store share, is the pattern ^[A-Za-z0-9_][A-Za-z0-9_.-]*$.
func TestValidNamespace(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	for _, ns := range []string{"requests", "req-1.v2", "_x", "A9", "", ".hidden", "-x", "a/b", "a b", "é", "ok.", "a\x00"} {
		if got, want := ValidNamespace(ns), re.MatchString(ns); got != want {
			t.Errorf("ValidNamespace(%q) = %v, want %v", ns, got, want)
		}
	}
}
