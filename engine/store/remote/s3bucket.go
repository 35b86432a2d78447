package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// s3Bucket is a bucket on Amazon S3 or an S3-compatible server (MinIO,
// Ceph, Cloud Storage's XML API), through the AWS SDK's S3 client.
// Create-only writes are PUTs with If-None-Match: *, which S3 checks
// atomically: of two writers of one key, one gets 412 PreconditionFailed.
//
// The SDK is used directly rather than through gocloud.dev/blob, whose
// package initialisation (OpenCensus, OpenTelemetry, gRPC) cost every
// sptflow command 3-4 ms of CPU and 5 MB at its start, no-op runs
// included, for the four calls the store makes.
type s3Bucket struct {
	client *s3.Client
	name   string
	prefix string // the URL's path with a trailing slash, or ""
	sse    types.ServerSideEncryption
	kmsKey string
}

// s3Params are the query parameters an s3:// URL may carry; credentials
// never come from the URL (ParseURL's callers refuse those), but from the
// SDK's usual chain: AWS_* variables, shared config and credentials files
// (profiles, SSO, assumed roles), web identity (Kubernetes service
// accounts), instance metadata.
var s3Params = []string{"region", "endpoint", "use_path_style", "profile", "anonymous",
	"ssetype", "kmskeyid", "request_checksum_calculation", "response_checksum_validation"}

// openS3 opens the s3:// bucket u names; its path is a key prefix.
func openS3(ctx context.Context, u *url.URL) (*s3Bucket, error) {
	b := &s3Bucket{name: u.Host}
	if p := strings.Trim(u.Path, "/"); p != "" {
		b.prefix = p + "/"
	}
	loadOpts, clientOpts, err := b.params(u.Query())
	if err != nil {
		return nil, err
	}
	// No client-side retry quota: the store's requests are few and each
	// must complete; the SDK's default token bucket fails retries outright
	// once a burst of errors has drained it.
	loadOpts = append(loadOpts, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None })
	}))
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, err
	}
	b.client = s3.NewFromConfig(cfg, clientOpts...)
	return b, nil
}

// params turns the URL's query into SDK options, refusing a parameter it
// does not know or a value it cannot parse.
func (b *s3Bucket) params(q url.Values) ([]func(*config.LoadOptions) error, []func(*s3.Options), error) {
	var load []func(*config.LoadOptions) error
	var client []func(*s3.Options)
	for _, name := range slices.Sorted(maps.Keys(q)) {
		v := q.Get(name)
		// The value is not repeated: an endpoint may carry user info.
		bad := func(err error) error { return fmt.Errorf("s3:// parameter %s: %w", name, err) }
		switch name {
		case "region":
			load = append(load, config.WithRegion(v))
		case "profile":
			load = append(load, config.WithSharedConfigProfile(v))
		case "endpoint":
			if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
				return nil, nil, bad(errors.New("want an absolute URL, like http://minio:9000"))
			}
			client = append(client, func(o *s3.Options) { o.BaseEndpoint = aws.String(v) })
		case "use_path_style", "anonymous":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return nil, nil, bad(errors.New("want true or false"))
			}
			if name == "use_path_style" {
				client = append(client, func(o *s3.Options) { o.UsePathStyle = on })
			} else if on {
				load = append(load, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
			}
		case "ssetype":
			b.sse = types.ServerSideEncryption(v)
			if !slices.Contains(b.sse.Values(), b.sse) {
				return nil, nil, bad(fmt.Errorf("want one of %v", b.sse.Values()))
			}
		case "kmskeyid":
			b.kmsKey = v
		case "request_checksum_calculation", "response_checksum_validation":
			if v != "when_supported" && v != "when_required" {
				return nil, nil, bad(errors.New("want when_supported or when_required"))
			}
			always := v == "when_supported"
			if name == "request_checksum_calculation" {
				c := aws.RequestChecksumCalculationWhenRequired
				if always {
					c = aws.RequestChecksumCalculationWhenSupported
				}
				load = append(load, config.WithRequestChecksumCalculation(c))
			} else {
				c := aws.ResponseChecksumValidationWhenRequired
				if always {
					c = aws.ResponseChecksumValidationWhenSupported
				}
				load = append(load, config.WithResponseChecksumValidation(c))
			}
		default:
			return nil, nil, fmt.Errorf("s3:// parameter %q is unknown (known: %s)", name, strings.Join(s3Params, ", "))
		}
	}
	if b.kmsKey != "" && b.sse == "" {
		b.sse = types.ServerSideEncryptionAwsKms
	}
	return load, client, nil
}

// maxConflictRetries bounds the retries of an S3 409
// ConditionalRequestConflict: a concurrent conditional write of the same
// key was in flight; AWS asks to retry, and the retry sees the winner.
const maxConflictRetries = 5

func (b *s3Bucket) create(ctx context.Context, key string, data []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(b.name),
		Key:           aws.String(b.prefix + key),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String("application/octet-stream"),
		IfNoneMatch:   aws.String("*"),
	}
	if b.sse != "" {
		in.ServerSideEncryption = b.sse
	}
	if b.kmsKey != "" {
		in.SSEKMSKeyId = aws.String(b.kmsKey)
	}
	for i := 0; ; i++ {
		in.Body = bytes.NewReader(data)
		_, err := b.client.PutObject(ctx, in)
		switch code, _ := s3Code(err); {
		case err == nil:
			return nil
		case code == "PreconditionFailed":
			return ErrExist
		case code == "ConditionalRequestConflict" && i < maxConflictRetries:
			continue
		}
		return err
	}
}

func (b *s3Bucket) read(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(b.prefix + key)})
	if s3NotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	if n := aws.ToInt64(out.ContentLength); n > 0 {
		buf.Grow(int(n))
	}
	if _, err := buf.ReadFrom(out.Body); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (b *s3Bucket) list(ctx context.Context, prefix string, fn func(Entry) bool) error {
	pages := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(b.name),
		Prefix: aws.String(b.prefix + prefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, o := range page.Contents {
			key, ok := strings.CutPrefix(aws.ToString(o.Key), b.prefix)
			if !ok || strings.HasSuffix(key, "/") {
				continue // a directory marker some tools create
			}
			if !fn(Entry{Key: key, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)}) {
				return nil
			}
		}
	}
	return nil
}

func (b *s3Bucket) remove(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.name), Key: aws.String(b.prefix + key)})
	if s3NotFound(err) {
		return nil
	}
	return err
}

func (b *s3Bucket) close() error { return nil }

// s3Code returns the S3 error code of err ("NoSuchKey",
// "PreconditionFailed", ...) and its HTTP status, when it has them.
func s3Code(err error) (string, int) {
	if err == nil {
		return "", 0
	}
	var code string
	var status int
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// s3NotFound reports whether err says the key is absent. A missing bucket
// is not a miss: it is a misconfiguration, and says so.
func s3NotFound(err error) bool {
	code, status := s3Code(err)
	return code == "NoSuchKey" || code == "NotFound" || (status == http.StatusNotFound && code != "NoSuchBucket")
}

// checkKey refuses keys that S3 would store under another name or that
// could climb out of the prefix: empty, control characters, "." or ".."
// segments. The store's own keys (hex digests, lease names) never are.
func checkKey(key string) error {
	if key == "" || strings.IndexFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return fmt.Errorf("invalid remote key %q", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("invalid remote key %q", key)
		}
	}
	return nil
}
