package remote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Lease errors.
var (
	// ErrHeld: another holder's lease on the name has not expired. The
	// error is a *HeldError carrying that holder's generation.
	ErrHeld = errors.New("lease held")
	// ErrLost: the lease expired before a heartbeat, or another holder
	// took it over. Whoever had it must stop work under it.
	ErrLost = errors.New("lease lost")
)

// HeldError reports who holds a lease.
type HeldError struct{ Current LeaseState }

func (e *HeldError) Error() string {
	return fmt.Sprintf("lease %q held by %s until %s", e.Current.Name, e.Current.Holder, e.Current.Expires.UTC().Format(time.RFC3339))
}

// Is makes a *HeldError match ErrHeld.
func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// LeaseConfig says who takes a lease and for how long.
type LeaseConfig struct {
	// Holder names the taker for others to see; "" is host:pid.
	Holder string
	// TTL is how long a generation stays valid: a holder heartbeats well
	// within it (every TTL/3, say).
	TTL time.Duration
	// Skew is the clock difference between machines that is tolerated: a
	// taker waits until Expires+Skew before it takes an expired lease over.
	Skew time.Duration
}

// LeaseState is the content of one lease generation.
type LeaseState struct {
	Name   string `json:"name"`
	Gen    uint64 `json:"gen"`
	Holder string `json:"holder"`
	// Token is random per acquisition: a heartbeat carries it on, a
	// takeover starts a new one.
	Token    string    `json:"token"`
	Written  time.Time `json:"written"` // when this generation was created
	Expires  time.Time `json:"expires"`
	Released bool      `json:"released,omitempty"`
}

// Lease is a lease across machines on a name (a partition, say), built
// only from create-only writes: generation n of the lease is the object
// leases/<name>/<n>, and whoever creates generation n+1 holds the lease
// from then on. The holder heartbeats by creating n+1 before generation n
// expires; a taker creates n+1 only once n has expired (by its own clock,
// plus Skew) or was released. Since a create of n+1 succeeds for exactly
// one writer, and a holder stops at its own expiry, two holders never hold
// one name at once as long as clocks differ by less than Skew. A dead
// holder stops heartbeating; its lease expires and is taken over.
//
// A Lease is safe for concurrent use. Old generations are deleted as new
// ones are written (the last two stay).
type Lease struct {
	s   *Store
	cfg LeaseConfig
	mu  sync.Mutex
	cur LeaseState
	bad error // ErrLost once lost
}

// leasePrefix is the key prefix of name's generations.
func leasePrefix(name string) string { return "leases/" + url.PathEscape(name) + "/" }

func genKey(name string, gen uint64) string { return leasePrefix(name) + fmt.Sprintf("%020d", gen) }

func checkLeaseName(name string) error {
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("invalid lease name %q", name)
	}
	return nil
}

// TryLease takes the lease on name if nobody holds it: when no generation
// exists, the latest one expired (plus Skew) or was released. Otherwise it
// returns a *HeldError (errors.Is ErrHeld), also when another taker's
// create won the race.
func (s *Store) TryLease(ctx context.Context, name string, cfg LeaseConfig) (*Lease, error) {
	if err := checkLeaseName(name); err != nil {
		return nil, err
	}
	if cfg.TTL <= 0 {
		return nil, fmt.Errorf("lease %q: want a positive TTL", name)
	}
	if cfg.Holder == "" {
		cfg.Holder = defaultHolder()
	}
	latest, cur, err := s.latestGen(ctx, name)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if cur != nil && !cur.Released && now.Before(cur.Expires.Add(cfg.Skew)) {
		return nil, &HeldError{Current: *cur}
	}
	st := LeaseState{Name: name, Gen: latest + 1, Holder: cfg.Holder, Token: randomToken(), Written: now, Expires: now.Add(cfg.TTL)}
	if err := s.writeGen(ctx, st); err != nil {
		if errors.Is(err, ErrExist) {
			return nil, s.heldBy(ctx, name, latest+1)
		}
		return nil, err
	}
	s.pruneGens(ctx, name, latest)
	return &Lease{s: s, cfg: cfg, cur: st}, nil
}

// heldBy returns the HeldError for generation gen, which another taker
// created first.
func (s *Store) heldBy(ctx context.Context, name string, gen uint64) error {
	st, err := s.readGen(ctx, name, gen)
	if err != nil {
		return err
	}
	if st == nil {
		st = &LeaseState{Name: name, Gen: gen, Holder: "(unreadable)"}
	}
	return &HeldError{Current: *st}
}

// LeaseHolder returns the latest generation of name's lease (ok false if
// there is none). Whether it is still held is Expires and Released.
func (s *Store) LeaseHolder(ctx context.Context, name string) (LeaseState, bool, error) {
	if err := checkLeaseName(name); err != nil {
		return LeaseState{}, false, err
	}
	_, cur, err := s.latestGen(ctx, name)
	if err != nil || cur == nil {
		return LeaseState{}, false, err
	}
	return *cur, true, nil
}

// latestGen returns the highest generation of name and its state. A
// damaged latest generation is reported and taken as expired (it is not
// deleted: deleting it would let its number be created twice); cur is then
// a state with the zero Expires.
func (s *Store) latestGen(ctx context.Context, name string) (gen uint64, cur *LeaseState, err error) {
	prefix := leasePrefix(name)
	err = s.List(ctx, prefix, func(key string) bool {
		if g, perr := strconv.ParseUint(strings.TrimPrefix(key, prefix), 10, 64); perr == nil && g > gen {
			gen = g
		}
		return true
	})
	if err != nil || gen == 0 {
		return gen, nil, err
	}
	cur, err = s.readGen(ctx, name, gen)
	if err == nil && cur == nil {
		cur = &LeaseState{Name: name, Gen: gen, Holder: "(damaged)"}
	}
	return gen, cur, err
}

// readGen reads generation gen of name; nil if missing or damaged.
func (s *Store) readGen(ctx context.Context, name string, gen uint64) (*LeaseState, error) {
	key := genKey(name, gen)
	b, ok, err := s.getFramed(ctx, key, false)
	if err != nil || !ok {
		return nil, err
	}
	var st LeaseState
	if err := json.Unmarshal(b, &st); err != nil || st.Gen != gen || st.Name != name {
		_ = s.damage(ctx, key, "invalid lease generation", false)
		return nil, nil
	}
	return &st, nil
}

func (s *Store) writeGen(ctx context.Context, st LeaseState) error {
	key := genKey(st.Name, st.Gen)
	b, _ := json.Marshal(st)
	if err := s.b.create(ctx, key, frame(key, b)); err != nil {
		if errors.Is(err, ErrExist) {
			return err
		}
		return fmt.Errorf("write lease %q generation %d to %s: %w", st.Name, st.Gen, s.url, err)
	}
	return nil
}

// pruneGens deletes the generations before keep, best effort.
func (s *Store) pruneGens(ctx context.Context, name string, keep uint64) {
	prefix := leasePrefix(name)
	var old []string
	_ = s.List(ctx, prefix, func(key string) bool {
		if g, err := strconv.ParseUint(strings.TrimPrefix(key, prefix), 10, 64); err == nil && g < keep {
			old = append(old, key)
		}
		return true
	})
	for _, k := range old {
		_ = s.b.remove(ctx, k)
	}
}

// Name returns the leased name.
func (l *Lease) Name() string { return l.cur.Name }

// State returns the lease's current generation.
func (l *Lease) State() LeaseState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur
}

// Valid reports whether the lease is still held by this holder's clock:
// not lost, not released, and not expired. Work under the lease must stop
// when it is not.
func (l *Lease) Valid() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bad == nil && !l.cur.Released && l.s.now().Before(l.cur.Expires)
}

// Heartbeat extends the lease by TTL from now, by creating the next
// generation. It returns ErrLost if the lease already expired by this
// holder's clock, or if someone else created the next generation.
func (l *Lease) Heartbeat(ctx context.Context) error {
	return l.advance(ctx, false)
}

// Release ends the lease now (a released generation is free for any
// taker). Releasing a lost lease returns ErrLost; releasing twice is a
// no-op.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	released := l.cur.Released
	l.mu.Unlock()
	if released {
		return nil
	}
	return l.advance(ctx, true)
}

func (l *Lease) advance(ctx context.Context, release bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bad != nil {
		return l.bad
	}
	now := l.s.now()
	if !now.Before(l.cur.Expires) || l.cur.Released {
		l.bad = fmt.Errorf("lease %q generation %d expired at %s: %w", l.cur.Name, l.cur.Gen, l.cur.Expires.UTC().Format(time.RFC3339Nano), ErrLost)
		return l.bad
	}
	next := l.cur
	next.Gen++
	next.Written = now
	next.Expires = now.Add(l.cfg.TTL)
	if release {
		next.Expires = now
		next.Released = true
	}
	if err := l.s.writeGen(ctx, next); err != nil {
		if errors.Is(err, ErrExist) {
			l.bad = fmt.Errorf("lease %q generation %d taken by another holder: %w", next.Name, next.Gen, ErrLost)
			return l.bad
		}
		return err // transient: the lease stays valid until its expiry
	}
	prev := l.cur.Gen
	l.cur = next
	if prev > 1 {
		_ = l.s.b.remove(ctx, genKey(next.Name, prev-1))
	}
	return nil
}

func defaultHolder() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

func randomToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
