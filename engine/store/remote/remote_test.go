package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sptflow/sptflow/engine/store"
)

func TestCreateOnlyRace(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t, Options{})
			ctx := context.Background()
			const writers = 16
			errs := make([]error, writers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[i] = s.b.create(ctx, "race/key", fmt.Appendf(nil, "writer %d", i))
				}()
			}
			close(start)
			wg.Wait()
			var won []int
			for i, err := range errs {
				switch {
				case err == nil:
					won = append(won, i)
				case !errors.Is(err, ErrExist):
					t.Fatalf("writer %d: got %v, want nil or ErrExist", i, err)
				}
			}
			if len(won) != 1 {
				t.Fatalf("got winners %v, want exactly one", won)
			}
			got, err := s.b.read(ctx, "race/key")
			if want := fmt.Sprintf("writer %d", won[0]); err != nil || string(got) != want {
				t.Errorf("read after the race: got %q, %v; want %q", got, err, want)
			}
		})
	}
}

// raceChildEnv makes the test binary a writer process of
// TestFileCreateOnlyAcrossProcesses.
const raceChildEnv = "SPTFLOW_REMOTE_RACE_CHILD"

// raceChild creates the race key in the store named by the environment and
// prints "won" or "lost".
func raceChild() int {
	ctx := context.Background()
	s, err := Open(ctx, os.Getenv(raceChildEnv), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	err = s.b.create(ctx, "race/key", fmt.Appendf(nil, "process %d", os.Getpid()))
	switch {
	case err == nil:
		fmt.Print("won")
	case errors.Is(err, ErrExist):
		fmt.Print("lost")
	default:
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

// TestFileCreateOnlyAcrossProcesses races 16 processes (not goroutines:
// a per-process mutex would pass the in-process test) for one key of a
// file:// store.
func TestFileCreateOnlyAcrossProcesses(t *testing.T) {
	url := "file://" + t.TempDir()
	const procs = 16
	outs := make([]string, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), raceChildEnv+"="+url)
			out, err := cmd.Output()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	won := 0
	for i := range procs {
		if errs[i] != nil {
			t.Fatalf("process %d: %v", i, errs[i])
		}
		if outs[i] == "won" {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("got %d winners among %d processes (%q), want 1", won, procs, outs)
	}
}

func TestObjects(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			var damaged []string
			s := open(t, Options{OnDamage: func(_ context.Context, key string, err error) { damaged = append(damaged, key) }})
			ctx := context.Background()
			data := []byte("sealed output")
			d, created, err := s.PutObject(ctx, data)
			if err != nil || !created || d != store.DigestOf(data) {
				t.Fatalf("put: got %s, %v, %v; want %s, created", d.Short(), created, err, store.DigestOf(data).Short())
			}
			if _, created, err := s.PutObject(ctx, data); err != nil || created {
				t.Errorf("second put: got created %v, %v; want false, nil", created, err)
			}
			got, err := s.GetObject(ctx, d)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("get: got %q, %v; want %q", got, err, data)
			}
			missing := store.DigestOf([]byte("never put"))
			if _, err := s.GetObject(ctx, missing); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrDamaged) {
				t.Errorf("get missing: got %v, want ErrNotFound", err)
			}
			if len(damaged) != 0 {
				t.Errorf("damage reported for intact entries: %q", damaged)
			}
		})
	}
}

func TestPoisonedObjectIsAMiss(t *testing.T) {
	cases := map[string][]byte{
		"other bytes": []byte("poison"),
		"truncated":   []byte("sealed outp"),
		"empty":       {},
	}
	for name, open := range backends(t) {
		for cname, poison := range cases {
			t.Run(name+"/"+cname, func(t *testing.T) {
				var damaged []string
				s := open(t, Options{OnDamage: func(_ context.Context, key string, err error) { damaged = append(damaged, key) }})
				ctx := context.Background()
				good := []byte("sealed output")
				d := store.DigestOf(good)
				if err := s.b.create(ctx, ObjectKey(d), poison); err != nil {
					t.Fatal(err)
				}
				got, err := s.GetObject(ctx, d)
				if !errors.Is(err, ErrDamaged) || !errors.Is(err, ErrNotFound) || got != nil {
					t.Fatalf("get poisoned: got %q, %v; want nil, ErrDamaged (a miss)", got, err)
				}
				if strings.Contains(err.Error(), "not found") {
					t.Errorf("get poisoned: %q says the entry was not found; it was there, damaged", err)
				}
				if want := []string{ObjectKey(d)}; !slices.Equal(damaged, want) || s.Damaged() != 1 {
					t.Errorf("reported: got %q (count %d), want %q", damaged, s.Damaged(), want)
				}
				// The damaged entry is gone, so a push repairs it.
				if _, created, err := s.PutObject(ctx, good); err != nil || !created {
					t.Fatalf("repair: got created %v, %v; want true", created, err)
				}
				if got, err := s.GetObject(ctx, d); err != nil || !bytes.Equal(got, good) {
					t.Errorf("get repaired: got %q, %v", got, err)
				}
			})
		}
	}
}

func TestRecords(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			var damaged []string
			s := open(t, Options{OnDamage: func(_ context.Context, key string, err error) { damaged = append(damaged, key) }})
			ctx := context.Background()
			key := [32]byte{7}
			if _, ok, err := s.GetRecord(ctx, "requests", key); ok || err != nil {
				t.Fatalf("get before put: got ok %v, %v; want a miss", ok, err)
			}
			if created, err := s.PutRecord(ctx, "requests", key, []byte(`{"v":1}`)); err != nil || !created {
				t.Fatalf("put: got %v, %v", created, err)
			}
			// A second machine that paid for the same request keeps the
			// first record.
			if created, err := s.PutRecord(ctx, "requests", key, []byte(`{"v":2}`)); err != nil || created {
				t.Fatalf("second put: got created %v, %v; want false, nil", created, err)
			}
			data, ok, err := s.GetRecord(ctx, "requests", key)
			if !ok || err != nil || string(data) != `{"v":1}` {
				t.Errorf("get: got %q, %v, %v; want the first record", data, ok, err)
			}
			if _, ok, _ := s.GetRecord(ctx, "other", key); ok {
				t.Error("a record is visible in another namespace")
			}
			if _, err := s.PutRecord(ctx, "../x", key, nil); err == nil {
				t.Error("put with namespace ../x: got nil error")
			}
			if len(damaged) != 0 {
				t.Errorf("damage reported for intact entries: %q", damaged)
			}
		})
	}
}

func TestDamagedRecordIsAMiss(t *testing.T) {
	key := [32]byte{9}
	rk := RecordKey("requests", key)
	good := frame(rk, []byte(`{"ok":true}`))
	flipped := bytes.Clone(good)
	flipped[len(flipped)-2] ^= 1
	cases := map[string][]byte{
		"flipped byte":         flipped,
		"truncated":            good[:len(good)-1],
		"framed for other key": frame(RecordKey("requests", [32]byte{10}), []byte(`{"ok":true}`)),
		"unframed":             []byte(`{"ok":true}`),
	}
	for name, open := range backends(t) {
		for cname, poison := range cases {
			t.Run(name+"/"+cname, func(t *testing.T) {
				s := open(t, Options{})
				ctx := context.Background()
				if err := s.b.create(ctx, rk, poison); err != nil {
					t.Fatal(err)
				}
				if data, ok, err := s.GetRecord(ctx, "requests", key); ok || err != nil {
					t.Fatalf("get damaged: got %q, %v, %v; want a miss", data, ok, err)
				}
				if s.Damaged() != 1 {
					t.Errorf("damaged count: got %d, want 1", s.Damaged())
				}
				if created, err := s.PutRecord(ctx, "requests", key, []byte("paid")); err != nil || !created {
					t.Errorf("put after the damaged record: got %v, %v; want created", created, err)
				}
			})
		}
	}
}

func TestManifestPointer(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t, Options{})
			ctx := context.Background()
			key, m := [32]byte{1, 2}, store.DigestOf([]byte("manifest"))
			if created, err := s.PutManifestPointer(ctx, key, m); err != nil || !created {
				t.Fatalf("put: got %v, %v", created, err)
			}
			got, ok, err := s.GetManifestPointer(ctx, key)
			if !ok || err != nil || got != m {
				t.Errorf("get: got %s, %v, %v; want %s", got.Short(), ok, err, m.Short())
			}
			if _, ok, err := s.GetManifestPointer(ctx, [32]byte{3}); ok || err != nil {
				t.Errorf("get missing: got %v, %v; want a miss", ok, err)
			}
		})
	}
}

func TestList(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t, Options{})
			ctx := context.Background()
			var want []string
			for _, data := range []string{"a", "b", "c"} {
				d, _, err := s.PutObject(ctx, []byte(data))
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, ObjectKey(d))
			}
			if _, err := s.PutRecord(ctx, "requests", [32]byte{1}, []byte("r")); err != nil {
				t.Fatal(err)
			}
			slices.Sort(want)
			var got []string
			if err := s.List(ctx, "objects/", func(k string) bool { got = append(got, k); return true }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("list objects/: got %q, want %q", got, want)
			}
			var first []string
			_ = s.List(ctx, "", func(k string) bool { first = append(first, k); return false })
			if len(first) != 1 {
				t.Errorf("list stopping after one key: got %q", first)
			}
		})
	}
}

func TestSelftest(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t, Options{})
			ctx := context.Background()
			for _, c := range Selftest(ctx, s) {
				if c.Err != nil {
					t.Errorf("%s: %v", c.Name, c.Err)
				}
			}
			var left []string
			_ = s.List(ctx, "", func(k string) bool { left = append(left, k); return true })
			for _, k := range left {
				if strings.HasPrefix(k, "selftest") || strings.Contains(k, "selftest") {
					t.Errorf("selftest left %s behind", k)
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	for _, url := range []string{"ftp://x", "file://relative/path", "s3:///prefix", "::"} {
		if _, err := Open(context.Background(), url, Options{}); err == nil {
			t.Errorf("open %q: got nil error", url)
		}
	}
}

// TestS3ConflictIsRetried: S3 answers 409 ConditionalRequestConflict when
// conditional writes of one key overlap, and asks for a retry; the retry
// sees the winner (here: the first write succeeds on its second try, the
// next create of the key is refused).
func TestS3ConflictIsRetried(t *testing.T) {
	var conflicts atomic.Int32
	url := fakeS3With(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && r.Header.Get("If-None-Match") == "*" && conflicts.Add(1) == 1 {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusConflict)
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ConditionalRequestConflict</Code><Message>A conflicting conditional operation is in progress.</Message></Error>`)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	s := mustOpen(t, url, Options{})
	ctx := context.Background()
	if err := s.b.create(ctx, "k", []byte("first")); err != nil {
		t.Fatalf("create after a conflict: got %v, want nil", err)
	}
	if err := s.b.create(ctx, "k", []byte("second")); !errors.Is(err, ErrExist) {
		t.Errorf("second create: got %v, want ErrExist", err)
	}
	if n := conflicts.Load(); n < 2 {
		t.Errorf("conditional PUTs seen: %d, want the conflict and its retry", n)
	}
}
