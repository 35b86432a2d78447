package remote

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sptflow/sptflow/engine/store"
)

// poison replaces the remote entry key with other bytes.
func poison(t *testing.T, s *Store, key string) {
	t.Helper()
	ctx := context.Background()
	if err := s.b.remove(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := s.b.create(ctx, key, []byte("poison")); err != nil {
		t.Fatal(err)
	}
}

func TestTierPublishPeekFetch(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rs := open(t, Options{})
			a, pin := sealed(t)
			b := emptyStore(t)
			ta, tb := NewTier(a, rs, TierOptions{}), NewTier(b, rs, TierOptions{})

			if _, _, ok, err := tb.Peek(ctx, pin.Key); ok || err != nil {
				t.Fatalf("peek before publish: got ok %v, %v; want a miss", ok, err)
			}
			if ok, err := tb.Fetch(ctx, pin.Key); ok || err != nil {
				t.Fatalf("fetch before publish: got ok %v, %v; want a miss", ok, err)
			}
			if err := ta.Publish(ctx, pin.Key, pin.Manifest); err != nil {
				t.Fatal(err)
			}
			m, d, ok, err := tb.Peek(ctx, pin.Key)
			if !ok || err != nil || d != pin.Manifest || len(m.Files) != 2 {
				t.Fatalf("peek: got %v %s %v; want %s with 2 files", ok, d.Short(), err, pin.Manifest.Short())
			}
			if b.HasObject(m.Files[0].Digest) {
				t.Errorf("peek brought a file into the local store")
			}
			if ok, err := tb.Fetch(ctx, pin.Key); !ok || err != nil {
				t.Fatalf("fetch: got ok %v, %v; want the output", ok, err)
			}
			if _, got, err := b.GetManifest(pin.Key); err != nil || got != pin.Manifest {
				t.Errorf("fetched manifest: got %s, %v; want %s sealed locally", got.Short(), err, pin.Manifest.Short())
			}
			if err := ta.Publish(ctx, [32]byte{7}, store.DigestOf([]byte("none"))); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("publish of an output the local store lacks: got %v, want ErrNotFound", err)
			}
		})
	}
}

// TestTierDamageIsAMissAndRepaired: a poisoned file object or manifest is
// refused (Fetch misses, reports it), and publishing the output again
// repairs the remote copy, so the next Fetch succeeds.
func TestTierDamageIsAMissAndRepaired(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			a, pin := sealed(t)
			m, _, err := a.GetManifest(pin.Key)
			if err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				what string
				key  string
			}{
				{"file object", ObjectKey(m.Files[1].Digest)},
				{"manifest object", ObjectKey(pin.Manifest)},
				{"manifest pointer", ManifestKey(pin.Key)},
			} {
				t.Run(tt.what, func(t *testing.T) {
					ctx := context.Background()
					var damaged []string
					rs := open(t, Options{OnDamage: func(_ context.Context, key string, err error) { damaged = append(damaged, key) }})
					ta := NewTier(a, rs, TierOptions{})
					if err := ta.Publish(ctx, pin.Key, pin.Manifest); err != nil {
						t.Fatal(err)
					}
					poison(t, rs, tt.key)
					b := emptyStore(t)
					tb := NewTier(b, rs, TierOptions{})
					if ok, err := tb.Fetch(ctx, pin.Key); ok || err != nil {
						t.Fatalf("fetch with a poisoned %s: got ok %v, %v; want a miss", tt.what, ok, err)
					}
					if len(damaged) != 1 || damaged[0] != tt.key {
						t.Errorf("damage reported: got %q, want [%s]", damaged, tt.key)
					}
					if _, _, err := b.GetManifest(pin.Key); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("local store after a refused fetch: got %v, want ErrNotFound", err)
					}
					if err := ta.Publish(ctx, pin.Key, pin.Manifest); err != nil {
						t.Fatal(err)
					}
					if ok, err := NewTier(emptyStore(t), rs, TierOptions{}).Fetch(ctx, pin.Key); !ok || err != nil {
						t.Errorf("fetch after publishing again: got ok %v, %v; want the repaired output", ok, err)
					}
				})
			}
		})
	}
}

// TestEnsureObjectReplacesDamage: EnsureObject keeps an intact object and
// replaces a damaged one.
func TestEnsureObjectReplacesDamage(t *testing.T) {
	ctx := context.Background()
	rs := mustOpen(t, "file://"+t.TempDir(), Options{})
	data := []byte(`{"x":1}`)
	d, created, err := rs.EnsureObject(ctx, data)
	if err != nil || !created {
		t.Fatalf("first: got created %v, %v; want created", created, err)
	}
	if _, created, err = rs.EnsureObject(ctx, data); err != nil || created {
		t.Errorf("intact: got created %v, %v; want kept", created, err)
	}
	poison(t, rs, ObjectKey(d))
	if _, created, err = rs.EnsureObject(ctx, data); err != nil || !created {
		t.Errorf("damaged: got created %v, %v; want replaced", created, err)
	}
	if got, err := rs.GetObject(ctx, d); err != nil || string(got) != string(data) {
		t.Errorf("after replacing: got %q, %v", got, err)
	}
}

// TestTierLeaseWaitsForHolder: a second taker waits (told who holds it)
// until the first releases.
func TestTierLeaseWaitsForHolder(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rs := open(t, Options{})
			tier := NewTier(emptyStore(t), rs, TierOptions{Lease: LeaseConfig{Holder: "first", TTL: time.Minute}})
			other := NewTier(emptyStore(t), rs, TierOptions{Lease: LeaseConfig{Holder: "second", TTL: time.Minute}})
			_, release, err := tier.Lease(ctx, "partition-x", nil)
			if err != nil {
				t.Fatal(err)
			}
			waiting := make(chan string, 1)
			got := make(chan error, 1)
			go func() {
				_, rel, err := other.Lease(ctx, "partition-x", func(h string) { waiting <- h })
				if err == nil {
					rel()
				}
				got <- err
			}()
			if h := <-waiting; h != "first" {
				t.Errorf("waiting for holder %q, want first", h)
			}
			select {
			case err := <-got:
				t.Fatalf("second taker got the lease (%v) while the first held it", err)
			default:
			}
			release()
			if err := <-got; err != nil {
				t.Errorf("second taker after release: %v", err)
			}
		})
	}
}

// TestTierLeaseLostCancels: when the holder's clock passes its expiry
// before a renewal, the renewal reports the lease lost and the context of
// the work under it ends with ErrLost; a dead holder's lease is taken over
// once it expired (plus the skew).
func TestTierLeaseLostCancels(t *testing.T) {
	clk := newFakeClock()
	rs := mustOpen(t, "file://"+t.TempDir(), Options{Now: clk.Now})
	ttl := 30 * time.Millisecond // renewals every 10ms of real time, against the fake clock
	tier := NewTier(emptyStore(t), rs, TierOptions{Lease: LeaseConfig{TTL: ttl}})
	lctx, release, err := tier.Lease(context.Background(), "partition-y", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	clk.Advance(time.Hour)
	<-lctx.Done()
	if cause := context.Cause(lctx); !errors.Is(cause, ErrLost) {
		t.Errorf("cause: got %v, want ErrLost", cause)
	}

	// A holder that died (took the lease and never renewed it).
	if _, err := rs.TryLease(context.Background(), "partition-z", LeaseConfig{Holder: "dead", TTL: ttl}); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan string, 1)
	got := make(chan error, 1)
	go func() {
		_, rel, err := tier.Lease(context.Background(), "partition-z", func(h string) { waiting <- h })
		if err == nil {
			rel()
		}
		got <- err
	}()
	if h := <-waiting; h != "dead" {
		t.Errorf("waiting for holder %q, want dead", h)
	}
	clk.Advance(ttl + ttl/6 + time.Millisecond)
	if err := <-got; err != nil {
		t.Errorf("takeover after expiry: %v", err)
	}
}

func TestCheckConfigURL(t *testing.T) {
	tests := []struct {
		url  string
		want string // "" for accepted
	}{
		{"s3://team/spt?region=eu-west-1", ""},
		{"s3://team/spt?region=x&endpoint=http://minio:9000&use_path_style=true", ""},
		{"gs://team/spt", ""},
		{"file:///mnt/shared/spt", ""},
		{"ftp://team/spt", `unknown scheme "ftp"`},
		{"file://relative/path", "want file:///absolute/path"},
		{"s3://AKIA:secret@team/spt", "credentials in the URL"},
		{"s3://team/spt?aws_secret_access_key=x", `query parameter "aws_secret_access_key" looks like a credential`},
		{"s3://team/spt?X-Amz-Security-Token=x", `query parameter "X-Amz-Security-Token" looks like a credential`},
	}
	for _, tt := range tests {
		err := CheckConfigURL(tt.url)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: got %v, want accepted", tt.url, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want an error with %q", tt.url, err, tt.want)
		case err != nil && strings.Contains(err.Error(), "secret@"):
			t.Errorf("%s: the error repeats the credentials: %v", tt.url, err)
		}
	}
}

// TestTierGoesOffline: after maxFailures failures in a row (an S3 endpoint
// that refuses every request) the tier says so once, then leaves the
// remote store alone: Fetch and Peek miss, Publish does nothing.
func TestTierGoesOffline(t *testing.T) {
	rs := mustOpen(t, refusingS3(t), Options{})
	a, pin := sealed(t)
	tier := NewTier(a, rs, TierOptions{})
	ctx := context.Background()
	for i := 1; i <= maxFailures; i++ {
		_, err := tier.Fetch(ctx, pin.Key)
		if err == nil || errors.Is(err, ErrOffline) != (i == maxFailures) {
			t.Fatalf("failure %d: got %v; want an error, ErrOffline only at the %dth", i, err, maxFailures)
		}
	}
	if ok, err := tier.Fetch(ctx, pin.Key); ok || err != nil {
		t.Errorf("fetch offline: got %v, %v; want a quiet miss", ok, err)
	}
	if _, _, ok, err := tier.Peek(ctx, pin.Key); ok || err != nil {
		t.Errorf("peek offline: got %v, %v; want a quiet miss", ok, err)
	}
	if err := tier.Publish(ctx, pin.Key, pin.Manifest); err != nil {
		t.Errorf("publish offline: got %v, want nothing done", err)
	}
}

// refusingS3 returns an s3:// URL whose endpoint refuses every request
// with 403 AccessDenied (which the client does not retry).
func refusingS3(t *testing.T) string {
	t.Helper()
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<Error><Code>AccessDenied</Code><Message>no</Message></Error>`))
	}))
	t.Cleanup(refuse.Close)
	fakeS3(t) // the AWS environment
	return "s3://team/spt?region=us-east-1&use_path_style=true&endpoint=" + refuse.URL
}
