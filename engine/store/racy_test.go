package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSettled(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	ns := func(d time.Duration) int64 { return at.Add(-d).UnixNano() }
	whole := func(d time.Duration) int64 { return at.Add(-d).Truncate(time.Second).UnixNano() }
	tests := []struct {
		name   string
		window time.Duration
		sig    fileSig
		want   bool
	}{
		{"both well before", defaultRacyWindow, fileSig{Mtime: ns(time.Hour), Ctime: ns(time.Second)}, true},
		{"ctime within the window", defaultRacyWindow, fileSig{Mtime: ns(time.Hour), Ctime: ns(50 * time.Millisecond)}, false},
		{"mtime within the window", defaultRacyWindow, fileSig{Mtime: ns(time.Millisecond), Ctime: ns(time.Hour)}, false},
		{"ctime just past the window", defaultRacyWindow, fileSig{Mtime: ns(time.Hour), Ctime: ns(defaultRacyWindow + time.Millisecond)}, true},
		{"ctime at the window's edge", defaultRacyWindow, fileSig{Mtime: ns(time.Hour), Ctime: ns(defaultRacyWindow)}, false},
		{"ctime after the time", defaultRacyWindow, fileSig{Mtime: ns(time.Hour), Ctime: ns(-time.Second)}, false},
		{"whole seconds, 1 s before", defaultRacyWindow, fileSig{Mtime: whole(time.Hour), Ctime: whole(time.Second)}, false},
		{"whole seconds, 3 s before", defaultRacyWindow, fileSig{Mtime: whole(time.Hour), Ctime: whole(3 * time.Second)}, true},
		{"no window (tests)", 0, fileSig{Mtime: ns(time.Nanosecond), Ctime: ns(time.Nanosecond)}, true},
	}
	for _, tt := range tests {
		s := &Store{racyWindow: tt.window}
		if got := s.settled(tt.sig, at); got != tt.want {
			t.Errorf("%s: settled(mtime %s, ctime %s) at %s: got %v, want %v", tt.name,
				time.Unix(0, tt.sig.Mtime).UTC().Format(time.StampNano), time.Unix(0, tt.sig.Ctime).UTC().Format(time.StampNano),
				at.Format(time.StampNano), got, tt.want)
		}
	}
}

func TestStampSettledBy(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	dev, ok := devOf(fi)
	if !ok {
		t.Skip("no device numbers on this platform")
	}
	const at = int64(1_000_000_000_000)
	tests := []struct {
		name string
		st   stamp
		sig  fileSig
		want bool
	}{
		{"both older", stamp{at: at, dev: dev, ok: true}, fileSig{Mtime: at - 2, Ctime: at - 1}, true},
		{"ctime in the probe's tick", stamp{at: at, dev: dev, ok: true}, fileSig{Mtime: at - 2, Ctime: at}, false},
		{"mtime later", stamp{at: at, dev: dev, ok: true}, fileSig{Mtime: at + 1, Ctime: at - 1}, false},
		{"another file system", stamp{at: at, dev: dev + 1, ok: true}, fileSig{Mtime: at - 2, Ctime: at - 1}, false},
		{"no probe", stamp{}, fileSig{Mtime: at - 2, Ctime: at - 1}, false},
	}
	for _, tt := range tests {
		if got := tt.st.settledBy(tt.sig, fi); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second).UnixNano()
	if st := s.stampNow(); !st.ok || st.at < before {
		t.Errorf("stampNow: got %+v, want a stamp after %d", st, before)
	}
}

// ctimeOf returns the ctime of p in UnixNano (0 where the platform has none).
func ctimeOf(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return sigOf(fi).Ctime
}

// passTick returns once a file changed now gets a ctime later than c: it
// changes a probe file in dir until its ctime passes c (the file system's
// clock ticks on; no sleep).
func passTick(t *testing.T, dir string, c int64) {
	t.Helper()
	probe := filepath.Join(dir, "probe")
	for i := 0; ; i++ {
		if err := os.WriteFile(probe, []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
		if ctimeOf(t, probe) > c {
			return
		}
		if i > 50_000_000 {
			t.Fatal("the file system's ctime does not advance")
		}
	}
}

// TestWrittenObjectsTrustedByTheNextProcess: an object a process wrote
// enters the saved stat cache, so the next process reads it without
// hashing it, unless it was racy when saved or changed since (in any way
// that changes its stat signature, mtime restored or not); a changed object
// is detected as damaged.
func TestWrittenObjectsTrustedByTheNextProcess(t *testing.T) {
	probe := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(probe, nil, 0o644); err != nil || ctimeOf(t, probe) == 0 {
		t.Skip("no ctime on this platform")
	}
	data := bytes.Repeat([]byte("a tagged record\n"), 1000)
	other := bytes.Repeat([]byte("A TAGGED RECORD\n"), 1000) // same size
	tests := []struct {
		name        string
		racy        bool // the object's times are later than the save's probe
		change      func(t *testing.T, p string)
		wantTrusted bool
		wantErr     bool
	}{
		{"settled when saved", false, nil, true, false},
		{"racy when saved", true, nil, false, false},
		{"rewritten, mtime restored", false, func(t *testing.T, p string) {
			fi, _ := os.Lstat(p)
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, other, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		}, false, true},
		{"chmod", false, func(t *testing.T, p string) {
			if err := os.Chmod(p, 0o444); err != nil {
				t.Fatal(err)
			}
		}, false, false},
		{"replaced by a same-size file", false, func(t *testing.T, p string) {
			tmp := p + ".new"
			if err := os.WriteFile(tmp, other, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, p); err != nil {
				t.Fatal(err)
			}
		}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s1, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			d, err := s1.PutObject(data)
			if err != nil {
				t.Fatal(err)
			}
			p := s1.objectPath(d)
			if tt.racy { // as if written in the tick of the save's probe: its mtime is later
				later := time.Now().Add(time.Hour)
				if err := os.Chtimes(p, later, later); err != nil {
					t.Fatal(err)
				}
				s1.rememberWritten(p, d)
			}
			passTick(t, t.TempDir(), ctimeOf(t, p)) // a change from now on gets another ctime
			if err := s1.SaveStatCache(); err != nil {
				t.Fatal(err)
			}
			if tt.change != nil {
				tt.change(t, p)
			}
			s2, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			got, trusted, err := readObject(t, s2, d)
			if trusted != tt.wantTrusted {
				t.Errorf("read without hashing: got %v, want %v", trusted, tt.wantTrusted)
			}
			if tt.wantErr {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("read: got %v, want ErrNotFound", err)
				}
				if s2.CheckObject(d) == nil {
					t.Error("CheckObject after the damage: got nil, want an error")
				}
				return
			}
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("read: got %d bytes, %v; want %d bytes", len(got), err, len(data))
			}
		})
	}
}

// TestVerifiedReadEntersTheStatCache: an object a process verified by
// hashing it on read is trusted by the next one, if settled.
func TestVerifiedReadEntersTheStatCache(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 5000)
	for _, tt := range []struct {
		window      time.Duration
		wantTrusted bool
	}{{0, true}, {time.Hour, false}} {
		dir := t.TempDir()
		s1, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		d, err := s1.PutObject(data) // its writer does not save its stat cache
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := Open(dir)
		s2.racyWindow = tt.window
		if _, trusted, err := readObject(t, s2, d); trusted || err != nil {
			t.Fatalf("window %s: first read by another process: trusted %v, %v; want a verified read", tt.window, trusted, err)
		}
		if err := s2.SaveStatCache(); err != nil {
			t.Fatal(err)
		}
		s3, _ := Open(dir)
		if _, trusted, err := readObject(t, s3, d); trusted != tt.wantTrusted || err != nil {
			t.Errorf("window %s: read after a verified read: trusted %v, %v; want %v", tt.window, trusted, err, tt.wantTrusted)
		}
	}
}

// TestTouchedObjectStaysTrusted: putting an object again refreshes a stale
// mtime (for GC), which changes its signature; the object was just
// verified, so reading it does not hash it again.
func TestTouchedObjectStaysTrusted(t *testing.T) {
	data := bytes.Repeat([]byte("tagged\n"), 100)
	s, d := putInNewStore(t, data)
	p := s.objectPath(d)
	old := time.Now().Add(-2 * touchAfter)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	s.rememberWritten(p, d) // as if written two minutes ago
	if _, err := s.PutObject(data); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(p)
	if err != nil || !fi.ModTime().After(old) {
		t.Fatalf("the second Put did not refresh the mtime: %v, %v", fi.ModTime(), err)
	}
	if got, trusted, err := readObject(t, s, d); !trusted || err != nil || !bytes.Equal(got, data) {
		t.Errorf("read after the touch: trusted %v, %v; want trusted and intact", trusted, err)
	}
}

// TestDigestPlaced: a data file hard-linked to an object the store vouches
// for has the object's digest without being read, even after the object's
// signature changed (a GC touch); once written to, it is hashed.
func TestDigestPlaced(t *testing.T) {
	data := bytes.Repeat([]byte("tagged\n"), 100)
	s, d := putInNewStore(t, data)
	p := s.objectPath(d)
	dst := filepath.Join(t.TempDir(), "out.json")
	if err := os.Link(p, dst); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	now := time.Now()
	if err := os.Chtimes(p, now, now); err != nil { // the touch
		t.Fatal(err)
	}
	s.rememberWritten(p, d)
	hashed := s.hashes.Load()
	if got, n, err := s.DigestPlaced(dst, d); got != d || n != int64(len(data)) || err != nil || s.hashes.Load() != hashed {
		t.Fatalf("linked file: got %s, %d, %v, hashed %d; want %s unread", got.Short(), n, err, s.hashes.Load()-hashed, d.Short())
	}
	if err := os.WriteFile(dst, bytes.ToUpper(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s.DigestPlaced(dst, d); got == d || err != nil || s.hashes.Load() != hashed+1 {
		t.Errorf("written to: got %s, %v, hashed %d; want its new digest, hashed once", got.Short(), err, s.hashes.Load()-hashed)
	}
}
