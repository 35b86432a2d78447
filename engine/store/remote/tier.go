package remote

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// Tier is a remote store behind a local one, as a run uses it (it
// implements engine.SharedStore): reads go to the local store first and
// then here (Fetch pulls a sealed output and seals it locally, verified);
// what the local store seals is pushed (Publish); partition leases are
// taken here too (Lease), so that processes on different machines never
// produce one partition at once. Safe for concurrent use.
type Tier struct {
	local  *store.Store
	remote *Store
	lease  LeaseConfig

	mu     sync.Mutex
	peeked map[[32]byte]peeked // positive Peek results (remote entries are never replaced)
	fails  int                 // consecutive failures of Fetch, Peek and Publish
}

// ErrOffline is returned, once, when Fetch, Peek and Publish have failed
// maxFailures times in a row; from then on they leave the remote store
// alone for the rest of the process (each failure may cost the client's
// retries): Fetch and Peek miss, Publish does nothing. Leases are still
// taken (their failure fails the partition: exclusion is not given up).
var ErrOffline = errors.New("remote store unreachable: outputs are no longer pulled or pushed by this process")

// offline reports whether failures turned Fetch, Peek and Publish off.
func (t *Tier) offline() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fails >= maxFailures
}

// outcome counts a remote operation's failure (or resets the count) and
// returns err, joined with ErrOffline when it is the failure that turns
// sharing off. A failure because ctx ended is not the store's.
func (t *Tier) outcome(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err == nil {
		t.fails = 0
		return nil
	}
	if t.fails++; t.fails == maxFailures {
		return errors.Join(err, ErrOffline)
	}
	return err
}

type peeked struct {
	m *store.Manifest
	d store.Digest
}

// DefaultLeaseTTL is how long a partition lease generation stays valid
// when TierOptions sets none; the holder renews it every third of that.
const DefaultLeaseTTL = time.Minute

// TierOptions configures a Tier.
type TierOptions struct {
	// Lease configures the partition leases; a zero TTL is
	// DefaultLeaseTTL and a zero Skew a sixth of the TTL.
	Lease LeaseConfig
}

// NewTier puts rs behind local.
func NewTier(local *store.Store, rs *Store, opt TierOptions) *Tier {
	lc := opt.Lease
	if lc.TTL <= 0 {
		lc.TTL = DefaultLeaseTTL
	}
	if lc.Skew <= 0 {
		lc.Skew = lc.TTL / 6
	}
	return &Tier{local: local, remote: rs, lease: lc, peeked: map[[32]byte]peeked{}}
}

// Remote returns the remote store.
func (t *Tier) Remote() *Store { return t.remote }

// Fetch brings the output sealed remotely for node key into the local
// store: the manifest pointer, the manifest and every file object, each
// verified against its address, then sealed locally. ok is false when the
// remote store has no output for key, or a damaged or incomplete one (a
// miss: the caller produces it, and its push repairs the remote entry).
func (t *Tier) Fetch(ctx context.Context, key [32]byte) (ok bool, err error) {
	if t.offline() {
		return false, nil
	}
	ok, err = t.fetch(ctx, key)
	return ok, t.outcome(ctx, err)
}

func (t *Tier) fetch(ctx context.Context, key [32]byte) (ok bool, err error) {
	d, ok, err := t.remote.GetManifestPointer(ctx, key)
	if err != nil || !ok {
		return false, err
	}
	if _, err := t.remote.GetObject(ctx, d); errors.Is(err, ErrNotFound) {
		// A pointer is pushed after its manifest, so one whose manifest is
		// gone (damaged, hence deleted) points nowhere: drop it, so that
		// the output the caller now produces can be pushed in its place.
		_ = t.remote.b.remove(ctx, ManifestKey(key))
		return false, nil
	} else if err != nil {
		return false, err
	}
	st, err := Pull(ctx, t.local, t.remote, []Pin{{Name: store.Digest(key).Short(), Key: key, Manifest: d}})
	if err != nil {
		return false, fmt.Errorf("fetch %s: %w", store.Digest(key).Short(), err)
	}
	return len(st.Missing) == 0 && len(st.Damaged) == 0, nil
}

// Peek returns the manifest sealed remotely for node key and its digest,
// verified, without bringing its files (what `status` needs). ok is false
// when there is none (or a damaged one).
func (t *Tier) Peek(ctx context.Context, key [32]byte) (*store.Manifest, store.Digest, bool, error) {
	t.mu.Lock()
	p, hit := t.peeked[key]
	t.mu.Unlock()
	if hit {
		return p.m, p.d, true, nil
	}
	if t.offline() {
		return nil, store.Digest{}, false, nil
	}
	m, d, ok, err := t.peek(ctx, key)
	return m, d, ok, t.outcome(ctx, err)
}

func (t *Tier) peek(ctx context.Context, key [32]byte) (*store.Manifest, store.Digest, bool, error) {
	d, ok, err := t.remote.GetManifestPointer(ctx, key)
	if err != nil || !ok {
		return nil, d, false, err
	}
	raw, err := t.remote.GetObject(ctx, d)
	if errors.Is(err, ErrNotFound) {
		return nil, d, false, nil
	}
	if err != nil {
		return nil, d, false, err
	}
	m, err := decodeManifest(raw)
	if err != nil {
		return nil, d, false, nil // verified bytes that are no manifest: not an output
	}
	t.mu.Lock()
	t.peeked[key] = peeked{m, d}
	t.mu.Unlock()
	return m, d, true, nil
}

// Publish pushes the output sealed locally for node key (manifest digest
// d): its file objects, the manifest, the pointer and the key
// description, each create-only, so what is already there is kept. An
// object already there is read back and verified, and replaced if it is
// damaged, so that producing an output again repairs its remote copy.
func (t *Tier) Publish(ctx context.Context, key [32]byte, d store.Digest) error {
	if t.offline() {
		return nil
	}
	err := t.publish(ctx, key, d)
	if errors.Is(err, store.ErrNotFound) {
		return err // the local store lacks it: no failure of the remote store
	}
	return t.outcome(ctx, err)
}

func (t *Tier) publish(ctx context.Context, key [32]byte, d store.Digest) error {
	st, err := push(ctx, t.local, t.remote, []Pin{{Name: store.Digest(key).Short(), Key: key, Manifest: d}}, true)
	if err != nil {
		return err
	}
	if len(st.Missing) > 0 {
		return fmt.Errorf("publish %s: manifest %s: %w", store.Digest(key).Short(), d.Short(), store.ErrNotFound)
	}
	return nil
}

// leasePoll bounds the polling of a held lease.
const (
	leasePollMin = 50 * time.Millisecond
	leasePollMax = 2 * time.Second
)

// Lease takes the lease on name in the remote store, waiting while
// another holder has it (waiting is called once, with the holder, when it
// starts to wait). The lease is renewed every third of its TTL until
// release; the returned context is cancelled, with a cause matching
// ErrLost, if a renewal finds it lost, so that the work under it stops.
func (t *Tier) Lease(ctx context.Context, name string, waiting func(holder string)) (context.Context, func(), error) {
	l, err := t.takeLease(ctx, name, waiting)
	if err != nil {
		return nil, nil, err
	}
	lctx, cancel := context.WithCancelCause(ctx)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.heartbeat(lctx, l, stop, cancel)
	}()
	var once sync.Once
	release := func() {
		once.Do(func() {
			close(stop)
			<-done
			cancel(nil)
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer rcancel()
			_ = l.Release(rctx) // a lease not released expires
		})
	}
	return lctx, release, nil
}

// takeLease polls TryLease until it succeeds or ctx ends.
func (t *Tier) takeLease(ctx context.Context, name string, waiting func(string)) (*Lease, error) {
	wait, told := leasePollMin, false
	for {
		l, err := t.remote.TryLease(ctx, name, t.lease)
		var held *HeldError
		if !errors.As(err, &held) {
			if err != nil {
				return nil, err // the engine says "take remote lease"
			}
			return l, nil
		}
		if !told && waiting != nil {
			waiting(held.Current.Holder)
			told = true
		}
		tm := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			tm.Stop()
			return nil, fmt.Errorf("wait for %s: %w", name, context.Cause(ctx))
		case <-tm.C:
		}
		wait = min(wait*2, leasePollMax, t.lease.TTL/4)
	}
}

// heartbeat renews l every TTL/3 until stop closes; a lost lease cancels
// the work under it. A failed renewal that is not a loss (the store
// unreachable) is retried at the next tick; the lease stays valid until
// its expiry, when the next renewal reports it lost.
func (t *Tier) heartbeat(ctx context.Context, l *Lease, stop <-chan struct{}, cancel context.CancelCauseFunc) {
	tk := time.NewTicker(max(t.lease.TTL/3, time.Millisecond))
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		if err := l.Heartbeat(ctx); errors.Is(err, ErrLost) {
			cancel(fmt.Errorf("remote %w", err))
			return
		}
	}
}

// secretParams are query parameters a store URL written in a file must
// not carry (credentials come from the environment).
var secretParams = []string{"secret", "token", "password", "passwd", "credential", "access_key", "accesskey", "signature"}

// CheckConfigURL checks a store URL written in a pipeline file: that it
// carries no credentials (user info, or a query parameter that names a
// secret, key or token), then its form (ParseURL).
func CheckConfigURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("remote store URL: %w", err)
	}
	if u.User != nil {
		return fmt.Errorf("remote store %s: credentials in the URL; they come from the environment (AWS_* variables, profiles, application default credentials)", Redact(rawURL))
	}
	q, _ := url.ParseQuery(u.RawQuery)
	for name := range q {
		low := strings.ToLower(name)
		for _, s := range secretParams {
			if strings.Contains(low, s) {
				return fmt.Errorf("remote store %s: query parameter %q looks like a credential; credentials come from the environment, never from a file", Redact(rawURL), name)
			}
		}
	}
	_, err = ParseURL(rawURL) // the form, once no credential can show in its message
	return err
}
