package gatewaytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"time"
)

// The messages of the SCF Go1 runtime protocol: net/rpc with gob encoding on
// _LAMBDA_SERVER_PORT, service "Function", methods Ping and Invoke. gob matches struct
// fields by name, so these carry the field names of SCF's own InvokeRequest (the runtime's
// side, which scf-go-lib's messages mirror) rather than importing scf-go-lib's types: a
// binary that answers them speaks SCF's protocol, not merely the library's.

// SCFPingRequest is the argument of Function.Ping.
type SCFPingRequest struct{}

// SCFPingResponse is the reply of Function.Ping.
type SCFPingResponse struct{}

// SCFTimestamp is an invocation's deadline.
type SCFTimestamp struct {
	Seconds int64
	Nanos   int64
}

// SCFInvokeRequest is the argument of Function.Invoke, with SCF's field names.
type SCFInvokeRequest struct {
	Payload               []byte
	RequestId             string
	TraceId               string
	Deadline              SCFTimestamp
	InvokedFunctionUnique string
	ClientContext         []byte
	Namespace             string
	FunctionName          string
	FunctionVersion       string
	MemoryLimitInMb       int32
	TimeLimitInMs         int32
	// Environment is the function's environment variables as a JSON object; the Go1 runtime
	// sends it with every invocation.
	Environment        string
	TencentcloudRegion string
	TencentcloudAppID  string
	TencentcloudUin    string
	FunctionTrace      string
}

// SCFInvokeResponse is the reply of Function.Invoke.
type SCFInvokeResponse struct {
	Payload []byte
	Error   *SCFInvokeError
}

// SCFInvokeError is a failed invocation.
type SCFInvokeError struct {
	Message    string
	Type       string
	StackTrace []*SCFStackFrame
	ShouldExit bool
}

// SCFStackFrame is one frame of a failed invocation's stack.
type SCFStackFrame struct {
	Path  string
	Line  int32
	Label string
}

// Error returns the failure's message.
func (e *SCFInvokeError) Error() string { return e.Type + ": " + e.Message }

// SCFClient plays the SCF Go1 runtime: it calls a function process over net/rpc.
type SCFClient struct {
	c *rpc.Client
}

// DialSCF connects to a Go1 function listening on addr, retrying until it accepts or ctx
// ends (the process may still be starting), and pings it.
func DialSCF(ctx context.Context, addr string) (*SCFClient, error) {
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c := &SCFClient{c: rpc.NewClient(conn)}
			if err := c.Ping(ctx); err != nil {
				c.Close()
				return nil, err
			}
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("gatewaytest: dialing the Go1 function at %s: %w", addr, errors.Join(err, ctx.Err()))
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Close closes the connection.
func (c *SCFClient) Close() error { return c.c.Close() }

// Ping calls Function.Ping.
func (c *SCFClient) Ping(ctx context.Context) error {
	return c.call(ctx, "Function.Ping", &SCFPingRequest{}, &SCFPingResponse{})
}

// Invoke calls Function.Invoke with event as the payload, env as the Environment and a
// deadline timeout from now. The returned *SCFInvokeError, when not nil, is a failed
// invocation; the error is a failure of the call itself.
func (c *SCFClient) Invoke(ctx context.Context, event []byte, env map[string]string, timeout time.Duration) ([]byte, *SCFInvokeError, error) {
	envJSON, err := json.Marshal(env)
	if err != nil {
		return nil, nil, fmt.Errorf("gatewaytest: %w", err)
	}
	deadline := time.Now().Add(timeout)
	req := &SCFInvokeRequest{
		Payload:               event,
		RequestId:             randomID(),
		Deadline:              SCFTimestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		InvokedFunctionUnique: "qcs::scf:ap-guangzhou:uin/100000000001:lam/lam-kefu",
		Namespace:             "default",
		FunctionName:          "kefu",
		FunctionVersion:       "$LATEST",
		MemoryLimitInMb:       256,
		TimeLimitInMs:         int32(timeout / time.Millisecond),
		Environment:           string(envJSON),
		TencentcloudRegion:    "ap-guangzhou",
		TencentcloudAppID:     "1250000000",
		TencentcloudUin:       "100000000001",
	}
	var resp SCFInvokeResponse
	if err := c.call(ctx, "Function.Invoke", req, &resp); err != nil {
		return nil, nil, err
	}
	return resp.Payload, resp.Error, nil
}

func (c *SCFClient) call(ctx context.Context, method string, args, reply any) error {
	call := c.c.Go(method, args, reply, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		if call.Error != nil {
			return fmt.Errorf("gatewaytest: %s: %w", method, call.Error)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("gatewaytest: %s: %w", method, ctx.Err())
	}
}
