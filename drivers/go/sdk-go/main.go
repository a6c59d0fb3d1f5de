// The "go" conformance driver: github.com/milvus-io/milvus-sdk-go/v2 (the Go
// SDK of the doc's GO tab). The protocol loop is in ../common; this file only
// says how this SDK connects, round-trips and fails. Needs v2.2.3 or newer
// (client.NewClient, client.Config and GetVersion).
package main

import (
	"context"
	"errors"
	"strings"

	driver "milvus-conformance/drivers/go/common"

	"github.com/milvus-io/milvus-sdk-go/v2/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

const sdkModule = "github.com/milvus-io/milvus-sdk-go/v2"

type sdkClient struct{ c client.Client }

func (s sdkClient) ServerVersion(ctx context.Context) (string, error) { return s.c.GetVersion(ctx) }
func (s sdkClient) Close(context.Context) error                       { return s.c.Close() }

// connect uses the doc's call, client.NewGrpcClient(ctx, addr), when only an
// address is given, and client.NewClient(ctx, client.Config{...}) (the SDK's
// way to pass credentials, database and TLS) otherwise. The timeout is in ctx.
// ../repro.py writes the same calls (its CONFIG_FIELDS: argument -> Config field).
func connect(ctx context.Context, a *driver.ConnectArgs) (driver.Client, map[string]any, error) {
	if a.OnlyAddress() {
		c, err := client.NewGrpcClient(ctx, a.Address)
		if err != nil {
			return nil, nil, err
		}
		return sdkClient{c}, map[string]any{"api": "client.NewGrpcClient"}, nil
	}
	cfg := client.Config{Address: a.Address}
	if a.User != nil {
		cfg.Username = *a.User
	}
	if a.Password != nil {
		cfg.Password = *a.Password
	}
	if a.Token != nil {
		cfg.APIKey = *a.Token
	}
	if a.DBName != nil {
		cfg.DBName = *a.DBName
	}
	if a.Secure != nil {
		cfg.EnableTLSAuth = *a.Secure
	}
	if a.TLS != nil {
		// The SDK's TLS switch trusts the system roots only (credentials.NewTLS(&tls.Config{}));
		// its documented way to use another CA or a client certificate is Config.DialOptions.
		// A non-nil DialOptions replaces the SDK's defaults, so they are passed too; the
		// transport credentials given there override the ones EnableTLSAuth set.
		cfg.DialOptions = append(append([]grpc.DialOption{}, client.DefaultGrpcOpts...),
			grpc.WithTransportCredentials(credentials.NewTLS(a.TLS)))
	}
	c, err := client.NewClient(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	info := map[string]any{"api": "client.NewClient"}
	if a.TLS != nil {
		info["tls"] = "Config.DialOptions: grpc.WithTransportCredentials(credentials.NewTLS(<ca_cert, client_cert>))"
	}
	return sdkClient{c}, info, nil
}

// classify knows this SDK's own error values; gRPC statuses, Milvus error
// codes, address checks, context and URL errors are left to the common rules.
func classify(err error) (string, bool) {
	msg := err.Error()
	switch {
	case errors.Is(err, client.ErrClientNotReady):
		return "not_connected", true
	case strings.HasPrefix(msg, "connect fail, "):
		// The Connect RPC answered with a non-success status (plain error).
		if _, ok := driver.GRPCStatus(err); !ok {
			if driver.IsAuthMessage(msg) {
				return "auth_failed", true
			}
			return "internal", true
		}
	}
	return "", false
}

func main() {
	driver.Run(driver.SDK{
		Driver:   "go",
		Name:     sdkModule,
		Connect:  connect,
		Classify: classify,
	})
}
