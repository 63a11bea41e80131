// Package gatewaytest provides what tests of kefu's platform hosts need to play the
// platforms: the platforms' own sample events rewritten to carry a request (Rewrite), a fake
// of the Lambda Runtime API (RuntimeAPI) and a client of the SCF Go1 runtime protocol
// (SCFClient). Nothing in it talks to anything but loopback.
package gatewaytest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kefuhq/kefu/pkg/gateway"
)

// ModuleDir returns the directory of a module in the module cache, as `go list -m` reports
// it for the module of the current directory.
func ModuleDir(module string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		return "", fmt.Errorf("gatewaytest: go list -m %s: %w", module, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", fmt.Errorf("gatewaytest: module %s is not downloaded", module)
	}
	return dir, nil
}

// AWSLambdaGo is the module whose sample events the tests rewrite.
const AWSLambdaGo = "github.com/aws/aws-lambda-go"

// AWSSample reads one of aws-lambda-go's sample events, by its path in the module
// ("events/testdata/apigw-request.json", "lambdaurl/testdata/...").
func AWSSample(path string) ([]byte, error) {
	dir, err := ModuleDir(AWSLambdaGo)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	if err != nil {
		return nil, fmt.Errorf("gatewaytest: %w", err)
	}
	return b, nil
}

// Samples returns the paths of aws-lambda-go's sample events of one shape (real captures or
// AWS's documentation samples), for AWSSample.
func Samples(kind gateway.Kind) []string {
	switch kind {
	case gateway.APIGatewayV1:
		return []string{
			"events/testdata/apigw-request.json",
			"events/testdata/apigw-restapi-openapi-request.json",
		}
	case gateway.APIGatewayV2:
		return []string{
			"events/testdata/apigw-v2-request-no-authorizer.json",
			"events/testdata/apigw-v2-request-iam.json",
			"events/testdata/apigw-v2-request-jwt-authorizer.json",
			"events/testdata/apigw-v2-request-lambda-authorizer.json",
		}
	case gateway.LambdaFunctionURL:
		return []string{
			"events/testdata/lambda-urls-request.json",
			"lambdaurl/testdata/function-url-domain-only-get-request.json",
			"lambdaurl/testdata/function-url-domain-only-get-request-trailing-slash.json",
			"lambdaurl/testdata/function-url-domain-only-request-with-base64-encoded-body.json",
			"lambdaurl/testdata/function-url-request-with-headers-and-cookies-and-text-body.json",
		}
	case gateway.ALB:
		return []string{
			"events/testdata/alb-lambda-target-request-headers-only.json",
			"events/testdata/alb-lambda-target-request-multivalue-headers.json",
		}
	}
	return nil
}

// Request is what Rewrite puts into an event.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Query is the URL query, as a client sends it.
	Query url.Values
	// Body is the request body.
	Body []byte
	// Base64 sends the body base64-encoded with isBase64Encoded true, as Function URLs do
	// for content types that are not text.
	Base64 bool
	// Time is the event's time stamp, where the shape has one; zero means now.
	Time time.Time
	// ID is the request id, where the shape has one; empty means a random one.
	ID string
}

// Rewrite returns the sample event of the given shape rewritten to carry req, each field in
// the form that platform uses: the payload 2.0 shapes get rawQueryString and comma-joined
// queryStringParameters; payload 1.0 both maps, decoded; ALB the map its sample uses, with
// names and values percent-encoded as the client sent them (ALB does not decode them);
// Tencent's shapes queryString with a string for one value and an array for more.
func Rewrite(kind gateway.Kind, sample []byte, req Request) ([]byte, error) {
	var e map[string]any
	d := json.NewDecoder(bytes.NewReader(sample))
	d.UseNumber()
	if err := d.Decode(&e); err != nil {
		return nil, fmt.Errorf("gatewaytest: the sample: %w", err)
	}
	if req.Time.IsZero() {
		req.Time = time.Now()
	}
	if req.ID == "" {
		req.ID = randomID()
	}
	body := string(req.Body)
	if req.Base64 {
		body = base64.StdEncoding.EncodeToString(req.Body)
	}
	e["body"] = body
	e["isBase64Encoded"] = req.Base64
	rc, _ := e["requestContext"].(map[string]any)
	switch kind {
	case gateway.APIGatewayV1:
		if rc == nil {
			return nil, fmt.Errorf("gatewaytest: the sample has no requestContext")
		}
		e["httpMethod"] = req.Method
		e["queryStringParameters"] = lastValues(req.Query)
		e["multiValueQueryStringParameters"] = allValues(req.Query, nil)
		rc["httpMethod"] = req.Method
		rc["requestTimeEpoch"] = req.Time.UnixMilli()
		rc["requestId"] = req.ID
	case gateway.APIGatewayV2, gateway.LambdaFunctionURL:
		if rc == nil {
			return nil, fmt.Errorf("gatewaytest: the sample has no requestContext")
		}
		e["rawQueryString"] = req.Query.Encode()
		joined := map[string]string{}
		for k, vs := range req.Query {
			joined[k] = strings.Join(vs, ",")
		}
		e["queryStringParameters"] = joined
		http, _ := rc["http"].(map[string]any)
		if http == nil {
			http = map[string]any{}
			rc["http"] = http
		}
		http["method"] = req.Method
		rc["timeEpoch"] = req.Time.UnixMilli()
		rc["requestId"] = req.ID
	case gateway.ALB:
		e["httpMethod"] = req.Method
		if _, multi := e["multiValueQueryStringParameters"]; multi {
			e["multiValueQueryStringParameters"] = allValues(req.Query, url.QueryEscape)
		} else {
			single := map[string]string{}
			for k, v := range lastValues(req.Query) {
				single[url.QueryEscape(k)] = url.QueryEscape(v)
			}
			e["queryStringParameters"] = single
		}
	case gateway.SCFAPIGateway, gateway.SCFFunctionURL:
		e["httpMethod"] = req.Method
		e["queryString"] = scfQuery(req.Query)
		if kind == gateway.SCFAPIGateway {
			if rc == nil {
				return nil, fmt.Errorf("gatewaytest: the sample has no requestContext")
			}
			rc["requestId"] = req.ID
		} else {
			delete(e, "isBase64Encoded") // Function URL events do not document it
			if req.Base64 {
				return nil, fmt.Errorf("gatewaytest: SCF Function URL events carry no base64 bodies")
			}
			h, _ := e["headers"].(map[string]any)
			if h != nil {
				h["x-scf-request-id"] = req.ID
			}
		}
	default:
		return nil, fmt.Errorf("gatewaytest: cannot rewrite an event of kind %s", kind)
	}
	out, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("gatewaytest: %w", err)
	}
	return out, nil
}

// lastValues is payload 1.0's queryStringParameters: the last value of each name.
func lastValues(q url.Values) map[string]string {
	m := make(map[string]string, len(q))
	for k, vs := range q {
		if len(vs) > 0 {
			m[k] = vs[len(vs)-1]
		}
	}
	return m
}

func allValues(q url.Values, escape func(string) string) map[string][]string {
	m := make(map[string][]string, len(q))
	for k, vs := range q {
		if escape != nil {
			k = escape(k)
		}
		for _, v := range vs {
			if escape != nil {
				v = escape(v)
			}
			m[k] = append(m[k], v)
		}
	}
	return m
}

// scfQuery is Tencent's queryString: a string for one value, an array for more.
func scfQuery(q url.Values) map[string]any {
	m := make(map[string]any, len(q))
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := q[k]
		switch len(vs) {
		case 0:
			m[k] = true
		case 1:
			m[k] = vs[0]
		default:
			m[k] = vs
		}
	}
	return m
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
