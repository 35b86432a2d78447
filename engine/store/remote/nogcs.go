//go:build !gcs

package remote

import (
	"context"
	"errors"
	"net/url"
)

// openGCS refuses gs:// in the default build: Google's client library (and
// gocloud.dev/blob around it) adds about 50 MB to the binary and 17 MB to
// the memory of every command at start (its package initialisation), which
// sptflow's offline steps should not pay. Cloud Storage is reachable
// without it through its S3-compatible XML API (HMAC keys), or with a build
// that has -tags gcs.
func openGCS(context.Context, *url.URL) (bucket, error) {
	return nil, errors.New("this sptflow is built without the gs:// driver: use " +
		"s3://BUCKET/PREFIX?endpoint=https://storage.googleapis.com with HMAC keys (Cloud Storage's " +
		"S3-compatible API), or build with `go build -tags gcs ./cmd/sptflow`")
}
