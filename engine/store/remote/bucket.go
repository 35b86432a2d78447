package remote

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
)

// Sentinel conditions of a bucket operation.
var (
	// ErrNotFound: no entry under the key (or a damaged one, see ErrDamaged).
	ErrNotFound = errors.New("not found in remote store")
	// ErrExist: a create-only write found the key taken.
	ErrExist = errors.New("already exists in remote store")
	// ErrDamaged: the entry did not verify against its address. It
	// matches ErrNotFound, so callers that only ask for a miss treat it as
	// one (its text does not say "not found": the entry was there).
	ErrDamaged error = damagedError{}
)

type damagedError struct{}

func (damagedError) Error() string        { return "damaged entry, refused (a miss)" }
func (damagedError) Is(target error) bool { return target == ErrNotFound }

// bucket is what the store needs of object storage: whole-object create-only
// writes, reads, listing by prefix and deletes. Keys are slash-separated.
type bucket interface {
	// create writes data under key if, and only if, nothing is there; it
	// returns ErrExist otherwise. A reader sees the whole object or nothing.
	create(ctx context.Context, key string, data []byte) error
	// read returns the object under key, or ErrNotFound.
	read(ctx context.Context, key string) ([]byte, error)
	// list calls fn with every entry under prefix, in lexical order of
	// keys, until fn returns false.
	list(ctx context.Context, prefix string, fn func(Entry) bool) error
	// remove deletes key; a missing key is not an error.
	remove(ctx context.Context, key string) error
	close() error
}

// openBucket opens the bucket a store URL names:
//
//	s3://bucket/prefix?region=R&endpoint=URL&use_path_style=true
//	gs://bucket/prefix
//	file:///absolute/path
//	mem://          (this process only; for tests)
//
// The URL path of s3:// and gs:// is a key prefix inside the bucket. The
// query parameters of s3:// are listed in s3Params; credentials come from
// the usual environment (AWS_* variables or profiles, Google application
// default credentials), never from the URL.
func openBucket(ctx context.Context, rawURL string) (bucket, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var b bucket
	switch u.Scheme {
	case "file":
		return openFileBucket(u.Path)
	case "mem":
		return newMemBucket(), nil
	case "s3":
		b, err = openS3(ctx, u)
	default:
		b, err = openGCS(ctx, u)
	}
	if err != nil {
		return nil, fmt.Errorf("open remote store %s: %w", Redact(rawURL), err)
	}
	return b, nil
}

// ParseURL checks the form of a store URL (see openBucket) without
// opening the store.
func ParseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("remote store URL: %w", err)
	}
	switch u.Scheme {
	case "file":
		if (u.Host != "" && u.Host != "localhost") || !path.IsAbs(u.Path) {
			return nil, fmt.Errorf("remote store %s: want file:///absolute/path", rawURL)
		}
	case "s3", "gs":
		if u.Host == "" {
			return nil, fmt.Errorf("remote store %s: want %s://bucket/prefix", Redact(rawURL), u.Scheme)
		}
		if u.Scheme == "s3" {
			// The parameters are checked here, where a pipeline file's
			// remote: and SPTFLOW_REMOTE are, not first when opened.
			if _, _, err := (&s3Bucket{}).params(u.Query()); err != nil {
				return nil, fmt.Errorf("remote store %s: %w", Redact(rawURL), err)
			}
		}
	case "mem":
	default:
		return nil, fmt.Errorf("remote store %s: unknown scheme %q (want s3, gs or file)", Redact(rawURL), u.Scheme)
	}
	return u, nil
}

// Redact drops the query of a store URL (it may name a role or profile)
// for messages.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<invalid URL>"
	}
	u.RawQuery = ""
	u.User = nil
	return u.String()
}
