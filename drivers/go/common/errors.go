package driver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorInfo is the protocol's error object. Type, Code and Message are the
// SDK's own; Detail adds evidence (the Go types along the wrap chain, the
// gRPC status code name) without rewriting them.
type ErrorInfo struct {
	Category string         `json:"category"`
	Type     string         `json:"type"`
	Code     any            `json:"code"`
	Message  string         `json:"message"`
	Detail   map[string]any `json:"detail,omitempty"`
	byDriver bool           // the driver answered, not the SDK (answered_by)
}

// driverError is an answer the driver gives itself, without the SDK deciding (answered_by: driver).
func driverError(category, typ, message string) *ErrorInfo {
	return &ErrorInfo{Category: category, Type: typ, Code: nil, Message: message, byDriver: true}
}

// sdkPanic is a panic recovered from inside an SDK call (sdkCall): the SDK's behaviour, an
// error answered_by sdk, type GoPanic (as the reproducer's step helper reports it too).
type sdkPanic struct{ value any }

func (p sdkPanic) Error() string { return fmt.Sprint(p.value) }

// sdkCall runs one SDK call, turning a panic inside it into an sdkPanic error.
func sdkCall(call func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = sdkPanic{r}
		}
	}()
	return call()
}

// Code is the error code the driver reports, and the reproducers print with the same few
// lines: the gRPC status code anywhere along the wrap chain, else the code of a Milvus
// (merr) error along it, else nil.
func Code(err error) any {
	if st, ok := grpcStatus(err); ok {
		return int(st.Code())
	}
	if code, ok := MilvusCode(err); ok {
		return int(code)
	}
	return nil
}

// classify maps an SDK error to the protocol's error object: the SDK's own
// rules first, then what the Go SDKs share (gRPC status codes, Milvus error
// codes, their common address checks, context and URL errors).
func (d *driverState) classify(err error) *ErrorInfo {
	if p, ok := err.(sdkPanic); ok {
		return &ErrorInfo{Category: "unknown", Type: "GoPanic", Code: nil, Message: p.Error()}
	}
	info := &ErrorInfo{Type: fmt.Sprintf("%T", err), Code: Code(err), Message: err.Error(), Category: "unknown",
		Detail: map[string]any{"chain": typeChain(err)}}
	if st, ok := grpcStatus(err); ok {
		info.Detail["grpc_code"] = st.Code().String()
		info.Detail["grpc_message"] = st.Message()
	}
	if d.sdk.Classify != nil {
		if cat, ok := d.sdk.Classify(err); ok {
			info.Category = cat
			return info
		}
	}
	info.Category = GenericCategory(err)
	return info
}

// GenericCategory classifies by what the Go SDKs share.
func GenericCategory(err error) string {
	if st, ok := grpcStatus(err); ok {
		msg := strings.ToLower(st.Message())
		switch st.Code() {
		case codes.Unavailable:
			return "unavailable"
		case codes.DeadlineExceeded:
			return "timeout"
		case codes.Unauthenticated, codes.PermissionDenied:
			return "auth_failed"
		case codes.Canceled:
			// grpc.ErrClientConnClosing: a call on a Close()d client.
			if strings.Contains(msg, "client connection is closing") {
				return "not_connected"
			}
			return "unknown"
		case codes.InvalidArgument, codes.OutOfRange:
			return "param_error"
		case codes.Unimplemented, codes.Internal, codes.Unknown, codes.FailedPrecondition,
			codes.ResourceExhausted, codes.Aborted, codes.NotFound, codes.AlreadyExists, codes.DataLoss:
			if isTLSMessage(msg) {
				return "tls_error"
			}
			return "internal"
		}
	}
	if code, ok := MilvusCode(err); ok {
		return milvusCodeCategory(code, err.Error())
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "empty remote host of milvus address"),
		strings.Contains(msg, "milvus address parse fail"),
		strings.HasPrefix(msg, "address is empty"):
		// Both SDKs' Config.parse / connect reject the address with these
		// plain (cockroachdb) errors.
		return "param_error"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "unknown"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return "param_error"
	}
	if isTLSMessage(strings.ToLower(msg)) {
		return "tls_error"
	}
	return "unknown"
}

// MilvusCode finds a Milvus error (the merr package's milvusError, which the
// SDKs share with the server) along the wrap chain and returns its code. It
// reads the unexported field by reflection, so that no driver has to import
// a version-specific merr package.
func MilvusCode(err error) (int32, bool) {
	for e, n := err, 0; e != nil && n < 32; e, n = errors.Unwrap(e), n+1 {
		v := reflect.ValueOf(e)
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct || v.Type().Name() != "milvusError" || !strings.HasSuffix(v.Type().PkgPath(), "/merr") {
			continue
		}
		if f := v.FieldByName("errCode"); f.IsValid() && f.CanInt() {
			return int32(f.Int()), true
		}
	}
	return 0, false
}

// milvusCodeCategory: merr codes (pkg/util/merr/errors.go).
func milvusCodeCategory(code int32, msg string) string {
	switch {
	case code == 1 && strings.Contains(msg, "not connected"):
		// The SDK's own "service not ready[SDK=0]: not connected" (closed client).
		return "not_connected"
	case code == 1, code == 2: // ErrServiceNotReady, ErrServiceUnavailable
		return "unavailable"
	case code >= 1100 && code < 1200: // ErrParameter*
		return "param_error"
	case code == 1400, code == 1401: // ErrPrivilegeNotAuthenticated, ErrPrivilegeNotPermitted
		return "auth_failed"
	case code == 10001: // TimeoutCode
		return "timeout"
	case code == 10000: // CanceledCode
		return "unknown"
	case IsAuthMessage(msg):
		return "auth_failed"
	}
	return "internal"
}

// IsAuthMessage: the words Milvus uses when it refuses credentials (for SDK
// errors that carry only the server's reason, without a gRPC status code).
func IsAuthMessage(msg string) bool {
	m := strings.ToLower(msg)
	for _, w := range []string{"auth", "credential", "password", "username", "unauthenticated"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

func isTLSMessage(msg string) bool {
	return strings.Contains(msg, "tls:") || strings.Contains(msg, "x509:") ||
		strings.Contains(msg, "first record does not look like a tls handshake")
}

// grpcStatus finds a gRPC status anywhere along the wrap chain (old gRPC
// versions' status.FromError only looks at the outermost error).
func grpcStatus(err error) (*status.Status, bool) {
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		if st := se.GRPCStatus(); st != nil {
			return st, true
		}
	}
	return nil, false
}

// GRPCStatus is grpcStatus for the SDK-specific classifiers.
func GRPCStatus(err error) (*status.Status, bool) { return grpcStatus(err) }

func typeChain(err error) []string {
	var chain []string
	for e := err; e != nil && len(chain) < 12; e = errors.Unwrap(e) {
		chain = append(chain, fmt.Sprintf("%T", e))
	}
	return chain
}
