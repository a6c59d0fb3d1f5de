package driver

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
)

// DirectClient is one SDK client as a bench plain program uses it: the
// server_version op's SDK call, and Close.
type DirectClient struct {
	Call  func(ctx context.Context) error
	Close func(ctx context.Context) error
}

// BenchDirect is the body of the bench's plain programs (sdk-go/direct,
// client-v2/direct), which only say how their SDK connects and calls:
//
//	direct HOST PORT CALLS
//
// connects one client (connect gets "HOST:PORT"), makes CALLS warm-up calls
// (as the bench warms the driver up), then CALLS timed ones, each timed alone,
// and prints as its last stdout line {"median_ms": ..., "calls": ..., "call": name}.
// None of the driver's protocol code runs: this is the no-harness baseline.
func BenchDirect(name string, connect func(ctx context.Context, address string) (DirectClient, error)) {
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "direct: %v\n", err)
		os.Exit(1)
	}
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
	c, err := connect(connectCtx, net.JoinHostPort(os.Args[1], os.Args[2]))
	if err != nil {
		fail(err)
	}
	for i := 0; i < calls; i++ {
		if err := c.Call(ctx); err != nil {
			fail(err)
		}
	}
	times := make([]float64, calls)
	for i := range times {
		began := time.Now()
		err := c.Call(ctx)
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
	out, _ := json.Marshal(map[string]any{"median_ms": math.Round(median*1e4) / 1e4, "calls": calls, "call": name})
	fmt.Println(string(out))
	if err := c.Close(ctx); err != nil {
		fail(err)
	}
}
