package remote

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// backends opens one fresh remote store per implementation: a directory
// (file://), the memory bucket (mem://) and S3 through the
// in-process S3 server gofakes3, whose memory backend checks
// If-None-Match: * under its lock (so the S3 create-only path is the one a
// real bucket takes: a conditional PUT).
func backends(t *testing.T) map[string]func(t *testing.T, opt Options) *Store {
	t.Helper()
	return map[string]func(t *testing.T, opt Options) *Store{
		"file": func(t *testing.T, opt Options) *Store {
			return mustOpen(t, "file://"+t.TempDir(), opt)
		},
		"mem": func(t *testing.T, opt Options) *Store { return mustOpen(t, "mem://", opt) },
		"s3":  func(t *testing.T, opt Options) *Store { return mustOpen(t, fakeS3(t), opt) },
	}
}

func mustOpen(t *testing.T, url string, opt Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fakeS3 starts a gofakes3 server with a bucket and returns an s3:// URL
// for it, with a key prefix. Credentials are dummies from the environment.
func fakeS3(t *testing.T) string {
	t.Helper()
	return fakeS3With(t, func(h http.Handler) http.Handler { return h })
}

// fakeS3With is fakeS3 with wrap around the server's handler.
func fakeS3With(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("team"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wrap(gofakes3.New(backend).Server()))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return "s3://team/sptflow/shared?region=us-east-1&use_path_style=true&endpoint=" + srv.URL
}

// fakeClock is a settable clock for leases.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// offset returns a clock that reads c shifted by d (another machine's).
func (c *fakeClock) offset(d time.Duration) func() time.Time {
	return func() time.Time { return c.Now().Add(d) }
}

func TestMain(m *testing.M) {
	if os.Getenv(raceChildEnv) != "" {
		os.Exit(raceChild())
	}
	os.Exit(m.Run())
}
