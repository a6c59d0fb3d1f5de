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
// server_version op's SDK call, and Close (the disconnect op's).
type DirectClient struct {
	Call  func(ctx context.Context) error
	Close func(ctx context.Context) error
}

// BenchDirect is the body of the bench's plain programs (sdk-go/direct,
// client-v2/direct), which only say how their SDK connects and calls:
//
//	direct HOST PORT CALLS [server_version|connect_disconnect]
//
// server_version (the default): connects one client (connect gets "HOST:PORT")
// and times its Call (named callName). connect_disconnect: times connect and
// Close, the driver's connect and disconnect ops (named connectName + " + Close").
// Makes CALLS warm-up calls (as the bench warms the driver up), then CALLS
// timed ones, each timed alone, and prints as its last stdout line
// {"median_ms": ..., "calls": ..., "call": name}.
// None of the driver's protocol code runs: this is the no-harness baseline.
func BenchDirect(callName, connectName string, connect func(ctx context.Context, address string) (DirectClient, error)) {
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "direct: %v\n", err)
		os.Exit(1)
	}
	if len(os.Args) != 4 && len(os.Args) != 5 {
		fail(fmt.Errorf("usage: direct HOST PORT CALLS [server_version|connect_disconnect]"))
	}
	calls, err := strconv.Atoi(os.Args[3])
	if err != nil || calls < 1 {
		fail(fmt.Errorf("CALLS must be a positive integer, not %q", os.Args[3]))
	}
	address := net.JoinHostPort(os.Args[1], os.Args[2])
	// Bounded like the bench's connect request to a driver (60 s); the calls share one 10-minute deadline.
	connectCtx, cancelConnect := context.WithTimeout(context.Background(), time.Minute)
	defer cancelConnect()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	workload := "server_version"
	if len(os.Args) == 5 {
		workload = os.Args[4]
	}
	var name string
	var call func(ctx context.Context) error
	closeAll := func(context.Context) error { return nil }
	switch workload {
	case "server_version":
		// only this workload keeps a client open, as the driver's connect steps run with no other open
		c, err := connect(connectCtx, address)
		if err != nil {
			fail(err)
		}
		name, call, closeAll = callName, c.Call, c.Close
	case "connect_disconnect":
		name = connectName + " + Close"
		call = func(ctx context.Context) error {
			c, err := connect(ctx, address)
			if err != nil {
				return err
			}
			return c.Close(ctx)
		}
	default:
		fail(fmt.Errorf("unknown workload %q", workload))
	}
	for i := 0; i < calls; i++ {
		if err := call(ctx); err != nil {
			fail(err)
		}
	}
	times := make([]float64, calls)
	for i := range times {
		began := time.Now()
		err := call(ctx)
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
	if err := closeAll(ctx); err != nil {
		fail(err)
	}
}
