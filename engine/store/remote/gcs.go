//go:build gcs

package remote

import (
	"context"
	"io"
	"net/url"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/gcerrors"
)

// openGCS opens a gs:// bucket through gocloud.dev's driver for Google's
// client library, which a build with -tags gcs links (see nogcs.go for its
// price). Create-only writes use a does-not-exist precondition.
func openGCS(ctx context.Context, u *url.URL) (bucket, error) {
	bu := *u
	bu.Path = ""
	b, err := (&gcsblob.URLOpener{}).OpenBucketURL(ctx, &bu)
	if err != nil {
		return nil, err
	}
	if prefix := strings.Trim(u.Path, "/"); prefix != "" {
		b = blob.PrefixedBucket(b, prefix+"/")
	}
	return &gcsBucket{b: b}, nil
}

// gcsBucket is a bucket on gocloud.dev/blob's Cloud Storage driver.
type gcsBucket struct{ b *blob.Bucket }

func (b *gcsBucket) create(ctx context.Context, key string, data []byte) error {
	err := b.b.WriteAll(ctx, key, data, &blob.WriterOptions{IfNotExist: true, ContentType: "application/octet-stream"})
	if gcerrors.Code(err) == gcerrors.FailedPrecondition {
		return ErrExist
	}
	return err
}

func (b *gcsBucket) read(ctx context.Context, key string) ([]byte, error) {
	data, err := b.b.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, ErrNotFound
	}
	return data, err
}

func (b *gcsBucket) list(ctx context.Context, prefix string, fn func(Entry) bool) error {
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

func (b *gcsBucket) remove(ctx context.Context, key string) error {
	err := b.b.Delete(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return err
}

func (b *gcsBucket) close() error { return b.b.Close() }
