package remote

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestS3URLParameters: an s3:// URL's query is checked when the store is
// opened; a parameter sptflow does not know, or a value it cannot use, is
// refused with the parameter's name (never silently ignored).
func TestS3URLParameters(t *testing.T) {
	base := fakeS3(t) // sets dummy credentials; its URL's query is replaced below
	for _, tc := range []struct{ query, want string }{
		{"fips=true", `parameter "fips" is unknown`},
		{"use_path_style=yes", "use_path_style"},
		{"anonymous=maybe", "anonymous"},
		{"ssetype=rot13", "ssetype"},
		{"endpoint=minio:9000", "endpoint"},
		{"request_checksum_calculation=always", "request_checksum_calculation"},
	} {
		url := base[:strings.Index(base, "?")] + "?region=us-east-1&" + tc.query
		_, err := Open(context.Background(), url, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("open ?%s: got %v, want an error naming %q", tc.query, err, tc.want)
		}
	}
}

// TestS3RequestsCarryOptions: the URL's options reach the wire. Every
// object write is a conditional PUT (If-None-Match: *) with the server-side
// encryption asked for, under the URL's key prefix, and reads, lists and
// deletes stay under that prefix.
func TestS3RequestsCarryOptions(t *testing.T) {
	var mu sync.Mutex
	var seen []*http.Request
	url := fakeS3With(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Clone(context.Background()))
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	})
	s := mustOpen(t, url+"&ssetype=aws:kms&kmskeyid=team-key", Options{})
	ctx := context.Background()
	d, created, err := s.PutObject(ctx, []byte("object bytes"))
	if err != nil || !created {
		t.Fatalf("put: created=%v err=%v", created, err)
	}
	if got, err := s.GetObject(ctx, d); err != nil || string(got) != "object bytes" {
		t.Fatalf("get: %q, %v", got, err)
	}
	if err := s.b.remove(ctx, "objects/00/missing"); err != nil {
		t.Errorf("remove of a missing key: got %v, want nil", err)
	}
	if _, err := s.b.read(ctx, "objects/00/missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("read of a missing key: got %v, want ErrNotFound", err)
	}
	mu.Lock()
	defer mu.Unlock()
	puts := 0
	for _, r := range seen {
		if !strings.HasPrefix(r.URL.Path, "/team/sptflow/shared/") && r.URL.Query().Get("prefix") == "" {
			t.Errorf("%s %s: outside the URL's prefix sptflow/shared/", r.Method, r.URL.Path)
		}
		if r.Method != http.MethodPut {
			continue
		}
		puts++
		for h, want := range map[string]string{
			"If-None-Match":                               "*",
			"X-Amz-Server-Side-Encryption":                "aws:kms",
			"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "team-key",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("PUT %s: %s = %q, want %q", r.URL.Path, h, got, want)
			}
		}
	}
	if puts == 0 {
		t.Error("no PUT seen")
	}
}

// TestS3MissingBucketIsNotAMiss: a bucket that does not exist is a
// misconfiguration, reported as an error, not a miss that would make every
// run pay again for what the team already stored.
func TestS3MissingBucketIsNotAMiss(t *testing.T) {
	url := strings.Replace(fakeS3(t), "s3://team/", "s3://no-such-team/", 1)
	s := mustOpen(t, url, Options{})
	_, err := s.b.read(context.Background(), "objects/00/x")
	if err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("read from a missing bucket: got %v, want an error that is not ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Errorf("error %q does not name NoSuchBucket", err)
	}
}

// TestParseURLChecksS3Parameters: the form check that a pipeline file's
// remote: and SPTFLOW_REMOTE go through refuses an unknown s3://
// parameter or a bad value before anything opens the store.
func TestParseURLChecksS3Parameters(t *testing.T) {
	for url, want := range map[string]string{
		"s3://team/spt?region=eu-west-1&fips=true":      `"fips" is unknown`,
		"s3://team/spt?use_path_style=1&anonymous=nope": "anonymous",
	} {
		if _, err := ParseURL(url); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseURL(%q): got %v, want an error naming %s", url, err, want)
		}
	}
	ok := "s3://team/spt?region=eu-west-1&endpoint=http://minio:9000&use_path_style=true&ssetype=AES256"
	if _, err := ParseURL(ok); err != nil {
		t.Errorf("ParseURL(%q): %v", ok, err)
	}
}
