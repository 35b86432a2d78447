package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
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
// The URL path of s3:// and gs:// is a key prefix inside the bucket; the
// remaining query parameters are gocloud.dev's (credentials come from the
// usual environment: AWS_* variables or profiles, Google application
// default credentials).
func openBucket(ctx context.Context, rawURL string) (bucket, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "file" {
		return openFileBucket(u.Path)
	}
	b, err := openBlob(ctx, u)
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
	case "mem":
	default:
		return nil, fmt.Errorf("remote store %s: unknown scheme %q (want s3, gs or file)", Redact(rawURL), u.Scheme)
	}
	return u, nil
}

// openBlob opens a gocloud.dev bucket; the URL path becomes a key prefix.
func openBlob(ctx context.Context, u *url.URL) (*blobBucket, error) {
	prefix := strings.Trim(u.Path, "/")
	bu := *u
	bu.Path = ""
	var opener blob.BucketURLOpener
	switch u.Scheme {
	case "s3":
		opener = &s3blob.URLOpener{}
	case "gs":
		var err error
		if opener, err = gcsOpener(); err != nil {
			return nil, err
		}
	default:
		opener = &memblob.URLOpener{}
	}
	b, err := opener.OpenBucketURL(ctx, &bu)
	if err != nil {
		return nil, err
	}
	if prefix != "" {
		b = blob.PrefixedBucket(b, prefix+"/")
	}
	return &blobBucket{b: b}, nil
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

// blobBucket is a bucket on gocloud.dev/blob: S3 (create-only through
// If-None-Match: *), GCS (a does-not-exist precondition) and memory.
type blobBucket struct{ b *blob.Bucket }

// errorCoder is the part of smithy.APIError (S3's errors) that create
// needs, declared here to keep the AWS SDK out of this package's API.
type errorCoder interface{ ErrorCode() string }

// maxConflictRetries bounds the retries of an S3 409
// ConditionalRequestConflict: a concurrent conditional write of the same
// key was in flight; AWS asks to retry, and the retry sees the winner.
const maxConflictRetries = 5

func (b *blobBucket) create(ctx context.Context, key string, data []byte) error {
	for i := 0; ; i++ {
		err := b.b.WriteAll(ctx, key, data, &blob.WriterOptions{IfNotExist: true, ContentType: "application/octet-stream"})
		switch {
		case err == nil:
			return nil
		case gcerrors.Code(err) == gcerrors.FailedPrecondition:
			return ErrExist
		}
		var ec errorCoder
		if errors.As(err, &ec) && ec.ErrorCode() == "ConditionalRequestConflict" && i < maxConflictRetries {
			continue
		}
		return err
	}
}

func (b *blobBucket) read(ctx context.Context, key string) ([]byte, error) {
	data, err := b.b.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, ErrNotFound
	}
	return data, err
}

func (b *blobBucket) list(ctx context.Context, prefix string, fn func(Entry) bool) error {
	it := b.b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !obj.IsDir && !fn(Entry{Key: obj.Key, Size: obj.Size, ModTime: obj.ModTime}) {
			return nil
		}
	}
}

func (b *blobBucket) remove(ctx context.Context, key string) error {
	err := b.b.Delete(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return err
}

func (b *blobBucket) close() error { return b.b.Close() }
