// The no-harness baseline of `python -m conformance.bench` for the "go" driver:
// its server_version op, client.GetVersion, made directly in a plain program.
//
//	direct HOST PORT CALLS
//
// Connects one client as the driver's connect op does with only host and port
// (client.NewGrpcClient(connectCtx, "HOST:PORT")), makes CALLS warm-up calls (as the bench warms the driver up), then CALLS
// timed ones, and prints as its last stdout line
// {"median_ms": ..., "calls": ..., "call": "client.GetVersion"}.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/milvus-io/milvus-sdk-go/v2/client"
)


func fail(err error) {
	fmt.Fprintf(os.Stderr, "direct: %v\n", err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fail(fmt.Errorf("usage: direct HOST PORT CALLS"))
	}
	calls, err := strconv.Atoi(os.Args[3])
	if err != nil || calls < 1 {
		fail(fmt.Errorf("CALLS must be a positive integer, not %q", os.Args[3]))
	}
	// Bounded like the bench's connect request to a driver (60 s); the calls share one 10-minute deadline.
	connectCtx, cancelConnect := context.WithTimeout(context.Background(), time.Minute)
	defer cancelConnect()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := client.NewGrpcClient(connectCtx, net.JoinHostPort(os.Args[1], os.Args[2]))
	if err != nil {
		fail(err)
	}
	for i := 0; i < calls; i++ {
		if _, err := c.GetVersion(ctx); err != nil {
			fail(err)
		}
	}
	times := make([]float64, calls)
	for i := range times {
		began := time.Now()
		_, err := c.GetVersion(ctx)
		times[i] = float64(time.Since(began).Nanoseconds()) / 1e6
		if err != nil {
			fail(err)
		}
	}
	sort.Float64s(times)
	median := times[calls/2]
	if calls%2 == 0 {
		median = (times[calls/2-1] + times[calls/2]) / 2
	}
	out, _ := json.Marshal(map[string]any{"median_ms": math.Round(median*1e4) / 1e4, "calls": calls, "call": "client.GetVersion"})
	fmt.Println(string(out))
	if err := c.Close(); err != nil {
		fail(err)
	}
}
