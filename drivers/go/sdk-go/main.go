// The "go" conformance driver: github.com/milvus-io/milvus-sdk-go/v2 (the Go
// SDK of the doc's GO tab). The protocol loop is in ../common; this file only
// says how this SDK connects, round-trips and fails. Needs v2.2.3 or newer
// (client.NewClient, client.Config and GetVersion); CheckHealth needs v2.3.2.
package main

import (
	"context"
	"errors"
	"reflect"
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

// ListCollections is client.ListCollections: the collections of the Config's DBName
// (v2.2.3 takes no options, later versions optional ones: none are passed).
func (s sdkClient) ListCollections(ctx context.Context) ([]string, error) {
	collections, err := s.c.ListCollections(ctx)
	names := make([]string, 0, len(collections))
	for _, c := range collections {
		names = append(names, c.Name)
	}
	return names, err
}

// hasCheckHealth: client.Client gained CheckHealth in v2.3.2, with its result type
// entity.MilvusState. Older supported versions can name neither, so this driver,
// built for every version from one source, makes that same call by name (reflection),
// and declares check_health only where the SDK's Client interface has it.
var hasCheckHealth = func() bool {
	_, ok := reflect.TypeOf((*client.Client)(nil)).Elem().MethodByName("CheckHealth")
	return ok
}()

// checkHealth is client.CheckHealth(ctx): entity.MilvusState{IsHealthy, Reasons, QuotaStates}.
func checkHealth(ctx context.Context, dc driver.Client) (map[string]any, error) {
	out := reflect.ValueOf(dc.(sdkClient).c).MethodByName("CheckHealth").Call([]reflect.Value{reflect.ValueOf(ctx)})
	if err, _ := out[1].Interface().(error); err != nil {
		return nil, err
	}
	state := out[0].Elem()
	reasons := append([]string{}, state.FieldByName("Reasons").Interface().([]string)...)
	quota := state.FieldByName("QuotaStates")
	quotaStates := make([]int64, quota.Len()) // entity.QuotaState values (milvuspb.QuotaState numbers)
	for i := range quotaStates {
		quotaStates[i] = quota.Index(i).Int()
	}
	return map[string]any{"healthy": state.FieldByName("IsHealthy").Bool(), "reasons": reasons,
		"quota_states": quotaStates}, nil
}

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
	sdk := driver.SDK{
		Driver:   "go",
		Name:     sdkModule,
		Connect:  connect,
		Classify: classify,
	}
	if hasCheckHealth {
		sdk.CheckHealth = checkHealth
		sdk.Capabilities = append(append([]string{}, driver.Capabilities...), "check_health")
	}
	driver.Run(sdk)
}
