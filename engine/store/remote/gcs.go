//go:build gcs

package remote

import (
	"gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
)

// gcsOpener opens gs:// buckets through Google's client library, which a
// build with -tags gcs links (see nogcs.go for its price).
func gcsOpener() (blob.BucketURLOpener, error) { return &gcsblob.URLOpener{}, nil }
