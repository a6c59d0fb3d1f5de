// The no-harness baseline of `python -m conformance.bench` for the
// "go-client-v2" driver: its server_version op, Client.GetServerVersion (and its
// connect and disconnect ops), made directly in a plain program (the loop and
// timing are common.BenchDirect). The client connects as the driver's connect op
// does with only host and port: milvusclient.New with an Address.
package main

import (
	"context"

	driver "milvus-conformance/drivers/go/common"

	"github.com/milvus-io/milvus/client/v2/milvusclient"
)

func main() {
	driver.BenchDirect("milvusclient.Client.GetServerVersion", "milvusclient.New", func(ctx context.Context, address string) (driver.DirectClient, error) {
		c, err := milvusclient.New(ctx, &milvusclient.ClientConfig{Address: address})
		if err != nil {
			return driver.DirectClient{}, err
		}
		return driver.DirectClient{
			Call: func(ctx context.Context) error {
				_, err := c.GetServerVersion(ctx, milvusclient.NewGetServerVersionOption())
				return err
			},
			Close: func(ctx context.Context) error { return c.Close(ctx) },
		}, nil
	})
}
