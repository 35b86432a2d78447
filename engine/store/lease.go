package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sptflow/sptflow/regfile"
)

// Lease is a held cross-process exclusion on a name (one partition, say).
// The OS releases it if the holding process dies, kill -9 included.
type Lease struct {
	name string
	f    *os.File
	once sync.Once
	err  error
}

// leasePoll bounds the polling interval of Store.Lease.
const (
	leasePollMin = 10 * time.Millisecond
	leasePollMax = 250 * time.Millisecond
)

func (s *Store) leasePath(name string) string {
	sum := sha256.Sum256([]byte(name))
	return filepath.Join(s.dir, "leases", hex.EncodeToString(sum[:])+".lock")
}

// TryLease takes the lease on name if it is free. It returns ok == false,
// without error, when another holder (in this or another process) has it.
func (s *Store) TryLease(name string) (*Lease, bool, error) {
	p := s.leasePath(name)
	for {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, false, fmt.Errorf("lease %q: %w", name, err)
		}
		ok, err := tryLock(f)
		if err != nil || !ok {
			f.Close()
			if err != nil {
				return nil, false, fmt.Errorf("lease %q: %w", name, err)
			}
			return nil, false, nil
		}
		// GC may have unlinked the file between our open and our lock: then
		// we hold a lock on an orphan and must retry on the new file.
		if sameFile(f, p) {
			writeHolder(f, name)
			return &Lease{name: name, f: f}, true, nil
		}
		f.Close()
	}
}

// Lease waits until the lease on name is free and takes it. It polls, and
// returns the context's cause if ctx ends first.
func (s *Store) Lease(ctx context.Context, name string) (*Lease, error) {
	wait := leasePollMin
	for {
		l, ok, err := s.TryLease(name)
		if err != nil || ok {
			return l, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("lease %q: %w", name, context.Cause(ctx))
		case <-t.C:
		}
		wait = min(wait*2, leasePollMax)
	}
}

// Name returns the leased name.
func (l *Lease) Name() string { return l.name }

// Release gives the lease up. Calling it again is a no-op.
func (l *Lease) Release() error {
	l.once.Do(func() {
		err := unlock(l.f)
		if cerr := l.f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			l.err = fmt.Errorf("release lease %q: %w", l.name, err)
		}
	})
	return l.err
}

// maxLeaseHolder bounds what LeaseHolder reads (writeHolder writes a line).
const maxLeaseHolder = 64 << 10

// LeaseHolder returns the description the current or last holder of name
// wrote into the lease file ("pid=… host=… since=…"), or "" if none.
func (s *Store) LeaseHolder(name string) string {
	b, err := regfile.Read(s.leasePath(name), maxLeaseHolder)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// writeHolder records who holds the lease, for diagnostics only.
func writeHolder(f *os.File, name string) {
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid=%d host=%s since=%s name=%q\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339), name)
	if f.Truncate(0) == nil {
		_, _ = f.WriteAt([]byte(info), 0)
	}
}

// sameFile reports whether the open file f is still the file at path p.
func sameFile(f *os.File, p string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(p)
	return err == nil && os.SameFile(a, b)
}
