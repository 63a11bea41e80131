package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3Options configures the S3 client of a Store. The entry points fill it from the AWS SDK's
// standard variables (AWS_REGION, AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) and KEFU_S3_PATH_STYLE; this package reads no
// environment.
//
// Tencent COS is reached through its S3 API: Endpoint "https://cos.<region>.myqcloud.com",
// Region "<region>", the SecretId and SecretKey as the key pair, and PathStyle false (COS
// refuses path-style requests to buckets created since 2024).
//
// The client asks for checksums only when an operation requires them: GetObject sends no
// x-amz-checksum-mode, and PutObject sends the body as it is rather than in the aws-chunked
// framing that COS and other S3-compatible stores refuse.
type S3Options struct {
	// Region is the region requests are signed for, such as "us-east-1" or, for COS,
	// "ap-guangzhou". When it is empty, the region of a COS endpoint
	// (cos.<region>.myqcloud.com) is taken from its host, any other Endpoint gets "us-east-1"
	// (what MinIO and the local fakes expect), and without an Endpoint (Amazon S3 itself)
	// every s3:// call fails with an error asking for AWS_REGION: guessing would sign for the
	// wrong region.
	Region string
	// Endpoint is the base URL of an S3-compatible service, such as
	// "https://cos.ap-guangzhou.myqcloud.com" or "http://127.0.0.1:9000"; empty means
	// Amazon S3 itself.
	Endpoint string
	// AccessKeyID is the access key (COS: the SecretId). When both it and SecretAccessKey are
	// empty, requests are sent unsigned (anonymous), which reads public objects only.
	AccessKeyID string
	// SecretAccessKey is the secret of AccessKeyID (COS: the SecretKey).
	SecretAccessKey string
	// SessionToken is the token of temporary credentials (an assumed role, such as the
	// credentials AWS Lambda gives a function); empty for long-term keys.
	SessionToken string
	// PathStyle sends requests as https://endpoint/bucket/key instead of the virtual-hosted
	// https://bucket.endpoint/key: for MinIO and similar stores. An Endpoint whose host is an
	// IP address is always path-style.
	PathStyle bool
	// HTTPClient sends the S3 requests. Nil means the Store's own keep-alive client.
	HTTPClient *http.Client
}

// s3Config is an S3Options checked and completed by resolveS3.
type s3Config struct {
	region, endpoint string
	pathStyle        bool
	creds            aws.CredentialsProvider
	regionErr        error // set when no region could be found: reported on first use
}

// resolveS3 checks o and works out the region, the addressing style and the credentials.
func resolveS3(o S3Options) (s3Config, error) {
	c := s3Config{region: o.Region, endpoint: o.Endpoint, pathStyle: o.PathStyle}
	var host string
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return c, fmt.Errorf("S3 endpoint %q: want http(s)://host[:port][/path]", safeSource(o.Endpoint))
		}
		host = u.Hostname()
		if net.ParseIP(host) != nil {
			c.pathStyle = true
		}
	}
	if c.region == "" {
		switch {
		case cosRegion(host) != "":
			c.region = cosRegion(host)
		case o.Endpoint != "":
			c.region = "us-east-1"
		default:
			c.regionErr = errors.New("no S3 region: set AWS_REGION (or an S3 endpoint)")
		}
	}
	switch {
	case o.AccessKeyID == "" && o.SecretAccessKey == "":
		if o.SessionToken != "" {
			return c, errors.New("S3 session token without an access key")
		}
		c.creds = aws.AnonymousCredentials{}
	case o.AccessKeyID == "" || o.SecretAccessKey == "":
		return c, errors.New("S3 credentials: an access key ID needs its secret access key, and the reverse")
	default:
		cred := aws.Credentials{
			AccessKeyID:     o.AccessKeyID,
			SecretAccessKey: o.SecretAccessKey,
			SessionToken:    o.SessionToken,
			Source:          "kefu store options",
		}
		c.creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return cred, nil })
	}
	return c, nil
}

// cosRegion returns the region in a Tencent COS endpoint host (cos.<region>.myqcloud.com),
// or "" (also for the global acceleration endpoint cos.accelerate.myqcloud.com).
func cosRegion(host string) string {
	rest, ok := strings.CutPrefix(strings.ToLower(host), "cos.")
	if !ok {
		return ""
	}
	region, ok := strings.CutSuffix(rest, ".myqcloud.com")
	if !ok || region == "" || region == "accelerate" || strings.Contains(region, ".") {
		return ""
	}
	return region
}

// newS3Client builds the S3 client of c with s3.New (the SDK's config package would add about
// 2 MB to the Lambda binary, and read the environment).
func newS3Client(c s3Config, hc *http.Client) (*s3.Client, error) {
	if c.regionErr != nil {
		return nil, c.regionErr
	}
	o := s3.Options{
		Region:                     c.region,
		Credentials:                c.creds,
		HTTPClient:                 hc,
		UsePathStyle:               c.pathStyle,
		RetryMode:                  aws.RetryModeStandard,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		DisableLogOutputChecksumValidationSkipped: true,
	}
	if c.endpoint != "" {
		o.BaseEndpoint = aws.String(c.endpoint)
	}
	return s3.New(o), nil
}

// getS3 reads loc from S3.
func (s *Store) getS3(ctx context.Context, loc Location, ifNoneMatch string) (*Object, error) {
	c, err := s.s3()
	if err != nil {
		return nil, err
	}
	in := &s3.GetObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)}
	if ifNoneMatch != "" {
		in.IfNoneMatch = aws.String(ifNoneMatch)
	}
	out, err := c.GetObject(ctx, in)
	if err != nil {
		return nil, s.s3Error(err, false)
	}
	defer out.Body.Close()
	etag := aws.ToString(out.ETag)
	if ifNoneMatch != "" && etag == ifNoneMatch { // a store that ignored If-None-Match
		return nil, ErrNotModified
	}
	size := int64(-1)
	if out.ContentLength != nil {
		size = *out.ContentLength
	}
	if size > s.max {
		return nil, tooLarge(s.max)
	}
	body, err := readLimited(out.Body, s.max, size)
	if err != nil {
		return nil, err
	}
	return &Object{Body: body, ETag: etag, ContentType: aws.ToString(out.ContentType), ModTime: aws.ToTime(out.LastModified)}, nil
}

// putS3 writes loc on S3 if no object is there.
func (s *Store) putS3(ctx context.Context, loc Location, body []byte, contentType string) error {
	c, err := s.s3()
	if err != nil {
		return err
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(loc.Bucket),
		Key:           aws.String(loc.Key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		IfNoneMatch:   aws.String("*"),
	}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	// No SDK retries for a claim: if S3 wrote it but the answer was lost, a retry would meet
	// our own claim (412) and read as "another instance has it", and the push would get no
	// reply. A failed claim is an error instead, and dedup falls back to memory.
	_, err = c.PutObject(ctx, in, func(o *s3.Options) { o.RetryMaxAttempts = 1 },
		s3.WithAPIOptions(smithyhttp.AddHeaderValue("x-cos-forbid-overwrite", "true")))
	if err != nil {
		return s.s3Error(err, true)
	}
	return nil
}

// s3Error classifies an S3 error into the package's kinds by HTTP status and error code;
// put says whether it answered a conditional write. The context's errors and the rest are
// returned as they are.
func (s *Store) s3Error(err error, put bool) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	status := 0
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var code, msg string
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
	}
	var kind error
	switch {
	case put && (status == http.StatusPreconditionFailed || status == http.StatusConflict):
		kind = ErrExists
	case status == http.StatusNotModified:
		return ErrNotModified
	case status == http.StatusNotFound, code == "NoSuchKey", code == "NoSuchBucket":
		kind = ErrNotFound
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		kind = ErrDenied
	default:
		return err
	}
	detail := code
	if msg != "" && msg != code {
		detail = strings.TrimPrefix(detail+": "+msg, ": ")
	}
	if status != 0 {
		detail = strings.TrimPrefix(fmt.Sprintf("%s (HTTP %d)", detail, status), " ")
	}
	if code == "NoSuchBucket" && !strings.Contains(strings.ToLower(msg), "bucket") {
		detail += " (the bucket does not exist)"
	}
	if kind == ErrDenied && s.s3anonymous {
		detail += " (the request was unsigned: no S3 credentials are configured)"
	}
	return &kindError{kind: kind, detail: detail, err: err}
}
