// The "go-client-v2" conformance driver: github.com/milvus-io/milvus/client/v2
// (milvusclient), the successor of milvus-sdk-go. The protocol loop is in
// ../common; this file only says how this SDK connects and round-trips. Its
// errors are gRPC statuses, Milvus (merr) errors and the address checks it
// shares with milvus-sdk-go: the common rules classify them all.
// Needs v2.5.0 or newer. milvusclient has no CheckHealth call (no check_health).
package main

import (
	"context"

	driver "milvus-conformance/drivers/go/common"

	"github.com/milvus-io/milvus/client/v2/milvusclient"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

const sdkModule = "github.com/milvus-io/milvus/client/v2"

type sdkClient struct{ c *milvusclient.Client }

func (s sdkClient) ServerVersion(ctx context.Context) (string, error) {
	return s.c.GetServerVersion(ctx, milvusclient.NewGetServerVersionOption())
}
func (s sdkClient) Close(ctx context.Context) error { return s.c.Close(ctx) }
func (s sdkClient) ListCollections(ctx context.Context) ([]string, error) {
	return s.c.ListCollections(ctx, milvusclient.NewListCollectionOption())
}

// connect is milvusclient.New(ctx, &milvusclient.ClientConfig{...}) with only
// the fields the request names; the timeout is in ctx.
// ../repro.py writes the same calls (its CONFIG_FIELDS: argument -> ClientConfig field).
func connect(ctx context.Context, a *driver.ConnectArgs) (driver.Client, map[string]any, error) {
	cfg := &milvusclient.ClientConfig{Address: a.Address}
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
	info := map[string]any{"api": "milvusclient.New"}
	if a.TLS != nil {
		// EnableTLSAuth alone trusts the system roots only. A custom CA or client certificate
		// goes in as gRPC transport credentials through ClientConfig.DialOptions, which every
		// supported version applies after its own TLS choice (2.6.5 also has WithTLSConfig,
		// 2.5.x does not; one way for all). Versions before 2.6.5 replace their defaults with a
		// non-nil DialOptions, so the defaults are passed too.
		cfg.DialOptions = append(append([]grpc.DialOption{}, milvusclient.DefaultGrpcOpts...),
			grpc.WithTransportCredentials(credentials.NewTLS(a.TLS)))
		info["tls"] = "ClientConfig.DialOptions: grpc.WithTransportCredentials(credentials.NewTLS(<ca_cert, client_cert>))"
	}
	c, err := milvusclient.New(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return sdkClient{c}, info, nil
}

func main() {
	driver.Run(driver.SDK{
		Driver:  "go-client-v2",
		Name:    sdkModule,
		Connect: connect,
	})
}
