// The no-harness baseline of `python -m conformance.bench` for the "go" driver:
// its server_version op, client.GetVersion (and its connect and disconnect ops),
// made directly in a plain program (the loop and timing are common.BenchDirect).
// The client connects as the driver's connect op does with only host and port:
// client.NewGrpcClient.
package main

import (
	"context"

	driver "milvus-conformance/drivers/go/common"

	"github.com/milvus-io/milvus-sdk-go/v2/client"
)

func main() {
	driver.BenchDirect("client.GetVersion", "client.NewGrpcClient", func(ctx context.Context, address string) (driver.DirectClient, error) {
		c, err := client.NewGrpcClient(ctx, address)
		if err != nil {
			return driver.DirectClient{}, err
		}
		return driver.DirectClient{
			Call:  func(ctx context.Context) error { _, err := c.GetVersion(ctx); return err },
			Close: func(context.Context) error { return c.Close() },
		}, nil
	})
}
