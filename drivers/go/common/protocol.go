// Package driver is the SDK-independent half of the Go conformance drivers:
// the JSON-lines loop of drivers/PROTOCOL.md, the driver-side alias map, the
// deadline guard, open_many/close_many and the error classification the Go
// SDKs share (gRPC status codes, Milvus error codes, context, URL parsing).
// Each driver's main.go supplies an SDK value: how to connect with the SDK,
// and how to recognise the SDK's own error values. ../repro.py writes the
// same SDK calls as a standalone program.
package driver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"
)

// ProtocolVersion is the drivers/PROTOCOL.md version this package speaks.
const ProtocolVersion = 2

// Client is one SDK client object, as the driver keeps it under an alias.
type Client interface {
	// ServerVersion makes a real server round trip through the client.
	ServerVersion(ctx context.Context) (string, error)
	// ListCollections is the SDK's call listing the collections of the client's database.
	ListCollections(ctx context.Context) ([]string, error)
	// Close is the SDK's Close (it may be called twice: that is a scenario).
	Close(ctx context.Context) error
}

// SDK describes one Go SDK to the protocol loop.
type SDK struct {
	Driver  string // the registry name, e.g. "go"
	Name    string // the SDK's module path
	Version string // the SDK version built in; "" = as build.py stamped it
	// Capabilities (PROTOCOL.md section 7); nil = Capabilities below.
	Capabilities []string
	// Connect opens one client with the SDK. It must pass to the SDK only the
	// arguments present in a, and ctx (which carries the timeout, if any) as is.
	// info is merged into the connect result (e.g. which SDK function was used).
	Connect func(ctx context.Context, a *ConnectArgs) (c Client, info map[string]any, err error)
	// Classify recognises the SDK's own error values; it returns ok=false to
	// leave err to the generic rules (gRPC status, context, URL parsing).
	Classify func(err error) (category string, ok bool)
	// CheckHealth is the SDK's gRPC CheckHealth call on c, as the protocol's result
	// (healthy, reasons, ...); nil when the SDK has none (no check_health capability).
	CheckHealth func(ctx context.Context, c Client) (map[string]any, error)
}

// Capabilities are what this package implements for a Go SDK that takes one
// address string plus a config of credentials, database and TLS flag, and
// whose calls take a context: host/port are joined into the address
// (PROTOCOL.md section 5), a timeout is a context deadline. No defaults,
// handler, pool or alias registry; check_health only where SDK.CheckHealth is set.
var Capabilities = []string{
	"connect.host_port", "connect.address", "connect.uri", "connect.user_password",
	"connect.token", "connect.db_name", "connect.timeout", "connect.secure", "connect.tls_certs",
	"disconnect", "server_version", "server_version.timeout", "list_collections",
	"disconnect_during_call", "open_many",
}

// stampedSDKVersion is set by build.py:
// -ldflags "-X milvus-conformance/drivers/go/common.stampedSDKVersion=2.4.2".
var stampedSDKVersion string

// SDKVersionFromBuild returns the version of module path that was linked into
// this binary, without the leading "v" (as build.py reports versions), or ""
// if unknown. build.py sets the version explicitly; this is the fallback.
func SDKVersionFromBuild(path string) string {
	return strings.TrimPrefix(sdkVersionFromBuild(path), "v")
}

func sdkVersionFromBuild(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range info.Deps {
		if m.Path == path {
			if m.Replace != nil && m.Replace.Version != "" {
				return m.Replace.Version
			}
			return m.Version
		}
	}
	return ""
}

type request struct {
	ID         json.RawMessage            `json:"id"`
	Op         string                     `json:"op"`
	Args       map[string]json.RawMessage `json:"args"`
	DeadlineMS *float64                   `json:"deadline_ms"`
}

type response struct {
	ID         json.RawMessage `json:"id"`
	OK         bool            `json:"ok"`
	AnsweredBy string          `json:"answered_by"`
	Result     any             `json:"result,omitempty"`
	ElapsedMS  float64         `json:"elapsed_ms"`
	Warnings   []string        `json:"warnings"`
	Error      *ErrorInfo      `json:"error,omitempty"`
}

// opResult is what an op handler hands back to the loop.
type opResult struct {
	result   map[string]any
	err      *ErrorInfo
	elapsed  time.Duration // the SDK calls alone
	byDriver bool          // a success no SDK call produced (hello, reset, a driver note); errors say it themselves
}

const (
	defaultDeadline = 30 * time.Second
	// guardMargin: how long before deadline_ms the loop stops waiting for an SDK
	// call that has not returned (at most a tenth of the deadline).
	guardMargin = time.Second
)

// Run serves the protocol on stdin/stdout until stdin closes. It never returns
// normally: it exits the process.
func Run(sdk SDK) {
	if sdk.Version == "" {
		sdk.Version = stampedSDKVersion
	}
	if sdk.Version == "" {
		sdk.Version = SDKVersionFromBuild(sdk.Name)
	}
	if sdk.Capabilities == nil {
		sdk.Capabilities = Capabilities
	}
	out := protocolStdout()
	d := newDriverState(sdk)
	in := bufio.NewReader(os.Stdin)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 && !isBlank(line) {
			resp := d.serve(line)
			if werr := enc.Encode(resp); werr != nil {
				fmt.Fprintf(os.Stderr, "driver: cannot write a response: %v\n", werr)
				os.Exit(3)
			}
		}
		if err != nil {
			if err != io.EOF {
				fmt.Fprintf(os.Stderr, "driver: reading stdin: %v\n", err)
			}
			d.closeAll(context.Background())
			os.Exit(0)
		}
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// serve answers one request line. The op runs on the worker goroutine with a
// context that has no deadline of its own (only a timeout argument sets one,
// as a program would). If the SDK call has not returned shortly before
// deadline_ms, the request is answered as category hang (the SDK's behaviour,
// observed), the context is cancelled to end the call, and whatever the op
// produces later is discarded (clients it opened are closed).
func (d *driverState) serve(line []byte) response {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return response{ID: json.RawMessage("null"), AnsweredBy: "driver", Warnings: []string{}, Error: driverError(
			"param_error", "BadRequest", fmt.Sprintf("request is not a JSON object with id/op/args: %v", err))}
	}
	if len(req.ID) == 0 {
		req.ID = json.RawMessage("null")
	}
	deadline := defaultDeadline
	if req.DeadlineMS != nil && *req.DeadlineMS > 0 {
		deadline = time.Duration(*req.DeadlineMS * float64(time.Millisecond))
	}
	margin := deadline / 10
	if margin > guardMargin {
		margin = guardMargin
	}
	// Cancelled once answered: it ends an SDK call the loop stopped waiting for.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	call := &opCall{ctx: ctx, args: Args(req.Args), deadline: time.Now().Add(deadline)}
	done := make(chan opResult, 1)
	if d.worker == nil {
		d.worker = newWorker()
	}
	d.worker <- func() { done <- d.dispatch(call, req.Op) }
	guard := time.NewTimer(deadline - margin)
	defer guard.Stop()

	var res opResult
	select {
	case res = <-done:
	case <-guard.C:
		call.abandoned.Store(true)
		close(d.worker) // retire the stuck worker: it ends when the abandoned op returns
		d.worker = nil
		res = opResult{elapsed: deadline - margin, err: &ErrorInfo{Category: "hang", Type: "DriverDeadline", Message: fmt.Sprintf(
			"op %q: the SDK call had not returned %v after it started (deadline_ms=%d); the driver stopped waiting",
			req.Op, deadline-margin, deadline.Milliseconds())}}
	}
	by := "sdk"
	if res.byDriver || (res.err != nil && res.err.byDriver) {
		by = "driver"
	}
	resp := response{ID: req.ID, OK: res.err == nil, AnsweredBy: by, ElapsedMS: ms(res.elapsed), Warnings: []string{}, Error: res.err}
	if res.err == nil {
		if res.result == nil {
			res.result = map[string]any{}
		}
		resp.Result = res.result
	}
	return resp
}

// worker runs ops one at a time on one long-lived goroutine. A new goroutine per
// request would regrow its stack through gRPC's call depth every time, which
// shows on sub-millisecond calls (the bench compares them with a plain program).
type worker chan func()

func newWorker() worker {
	w := make(worker)
	go func() {
		for job := range w {
			job()
		}
	}()
	return w
}

// opCall is one running request.
type opCall struct {
	ctx       context.Context
	args      Args
	deadline  time.Time   // deadline_ms from when the op started: the harness waits no longer
	abandoned atomic.Bool // the loop answered without waiting for this op
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000.0
}

func (d *driverState) hello(c *opCall) opResult {
	if p, ok := c.args.Int("protocol"); ok && p != ProtocolVersion {
		fmt.Fprintf(os.Stderr, "driver: harness speaks protocol %d, this driver speaks %d\n", p, ProtocolVersion)
	}
	return opResult{byDriver: true, result: map[string]any{
		"protocol":     ProtocolVersion,
		"driver":       d.sdk.Driver,
		"language":     "go",
		"runtime":      runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		"sdk":          map[string]any{"name": d.sdk.Name, "version": d.sdk.Version},
		"capabilities": d.sdk.Capabilities,
	}}
}
