package driver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
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
}

// driverError is an error the driver itself raises (not the SDK): Type says so.
func driverError(category, typ, message string) *ErrorInfo {
	return &ErrorInfo{Category: category, Type: typ, Code: nil, Message: message,
		Detail: map[string]any{"source": "driver"}}
}

// ClassifyError maps an SDK error to the protocol's error object.
func (d *driverState) classify(err error) *ErrorInfo {
	info := &ErrorInfo{Type: fmt.Sprintf("%T", err), Message: err.Error(), Category: "unknown",
		Detail: map[string]any{"chain": typeChain(err)}}
	st, hasStatus := grpcStatus(err)
	if hasStatus {
		info.Code = int(st.Code())
		info.Detail["grpc_code"] = st.Code().String()
		info.Detail["grpc_message"] = st.Message()
	}
	if d.sdk.Classify != nil {
		if cat, code, ok := d.sdk.Classify(err); ok {
			info.Category = cat
			if code != nil {
				info.Code = code
			}
			return info
		}
	}
	info.Category = GenericCategory(err)
	return info
}

// GenericCategory classifies by what every Go SDK built on gRPC shares:
// gRPC status codes, context errors and URL parsing errors.
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
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "unknown"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return "param_error"
	}
	if isTLSMessage(strings.ToLower(err.Error())) {
		return "tls_error"
	}
	return "unknown"
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
