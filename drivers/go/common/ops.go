package driver

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"
)

// entry is one alias of the driver-side map: the variable a program would
// hold the client in. A disconnected client stays in the map (closed=true) so
// that server_version or a second disconnect on that alias still goes through
// the SDK and shows what the SDK does with a closed client; reset forgets it.
type entry struct {
	client Client
	closed bool
}

type driverState struct {
	sdk     SDK
	mu      sync.Mutex // the loop and abandoned ops both touch the state
	aliases map[string]*entry
	many    []Client // open_many's clients, until close_many or reset
	worker  worker   // runs the ops (protocol.go); nil until the first request or after one was abandoned
}

func newDriverState(sdk SDK) *driverState {
	return &driverState{sdk: sdk, aliases: map[string]*entry{}}
}

func (d *driverState) dispatch(c *opCall, op string) (res opResult) {
	defer func() { // a panic in the driver's own code (SDK calls recover theirs: sdkCall)
		if r := recover(); r != nil {
			res = opResult{err: driverError("unknown", "DriverPanic", fmt.Sprintf("panic in op %q: %v", op, r))}
		}
	}()
	switch op {
	case "hello":
		return d.hello(c)
	case "reset":
		return d.reset(c)
	case "connect":
		return d.connect(c)
	case "disconnect":
		return d.disconnect(c)
	case "server_version":
		return d.serverVersion(c)
	case "list_collections":
		return d.listCollections(c)
	case "check_health":
		return d.checkHealth(c)
	case "disconnect_during_call":
		return d.disconnectDuringCall(c)
	case "open_many":
		return d.openMany(c)
	case "close_many":
		return d.closeMany(c)
	}
	return opResult{err: driverError("unsupported_op", "UnsupportedOp", fmt.Sprintf(
		"op %q is not implemented by the %s driver (its SDK has no alias registry)", op, d.sdk.Driver))}
}

// lookup is the client a program would hold in the alias's variable; a driver answer
// when the alias was never connected (no SDK call can be made: the SDK has no aliases).
func (d *driverState) lookup(c *opCall) (string, *entry, *ErrorInfo) {
	alias, err := c.args.Alias()
	if err != nil {
		return "", nil, err
	}
	d.mu.Lock()
	e, ok := d.aliases[alias]
	d.mu.Unlock()
	if !ok {
		return alias, nil, driverError("not_connected", "AliasNotFound", fmt.Sprintf(
			"no client was ever made under alias %q: the SDK has no aliases, so there is no SDK call "+
				"to make; the driver answered without the SDK", alias))
	}
	return alias, e, nil
}

// withTimeout narrows ctx by the timeout argument, when given.
func withTimeout(ctx context.Context, t *time.Duration) (context.Context, context.CancelFunc) {
	if t == nil {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, *t)
}

func (d *driverState) connect(c *opCall) opResult {
	a, perr := ParseConnectArgs(c.args)
	if perr != nil {
		return opResult{err: perr}
	}
	ctx, cancel := withTimeout(c.ctx, a.Timeout)
	defer cancel()
	var client Client
	var info map[string]any
	start := time.Now()
	err := sdkCall(func() (err error) { client, info, err = d.sdk.Connect(ctx, a); return err })
	elapsed := time.Since(start)
	if err != nil {
		return opResult{err: d.classify(err), elapsed: elapsed}
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if c.abandoned.Load() {
		_ = client.Close(context.Background())
		return opResult{}
	}
	result := map[string]any{"alias": a.Alias, "address": a.Address}
	for k, v := range info {
		result[k] = v
	}
	// No alias registry in the SDK: connecting an alias again makes a new
	// client (the SDK call above) and closes the one it replaces, as a program
	// assigning the variable again would.
	if old, ok := d.aliases[a.Alias]; ok {
		result["replaced"] = map[string]any{"was_closed": old.closed}
		if !old.closed {
			closeStart := time.Now()
			_ = sdkCall(func() error { return old.client.Close(c.ctx) })
			elapsed += time.Since(closeStart)
		}
	}
	d.aliases[a.Alias] = &entry{client: client}
	return opResult{result: result, elapsed: elapsed}
}

func (d *driverState) disconnect(c *opCall) opResult {
	alias, e, lerr := d.lookup(c)
	if lerr != nil && lerr.Type == "AliasNotFound" {
		// Nothing to hand to the SDK, and nothing a program could write: a success
		// no SDK call produced (as disconnecting an unknown alias is in pymilvus).
		return opResult{byDriver: true, result: map[string]any{"alias": alias, "driver_note": lerr.Message}}
	}
	if lerr != nil {
		return opResult{err: lerr}
	}
	start := time.Now()
	err := sdkCall(func() error { return e.client.Close(c.ctx) })
	elapsed := time.Since(start)
	d.mu.Lock()
	wasClosed := e.closed
	e.closed = true
	d.mu.Unlock()
	if err != nil {
		return opResult{err: d.classify(err), elapsed: elapsed}
	}
	return opResult{result: map[string]any{"alias": alias, "was_closed": wasClosed}, elapsed: elapsed}
}

// lookupWithTimeout: the alias's client and the call's own timeout argument (nil: none).
func (d *driverState) lookupWithTimeout(c *opCall) (string, *entry, *time.Duration, *ErrorInfo) {
	alias, e, err := d.lookup(c)
	if err != nil {
		return "", nil, nil, err
	}
	timeout, err := c.args.Timeout("timeout")
	if err != nil {
		return "", nil, nil, err
	}
	return alias, e, timeout, nil
}

// callOn makes one SDK call on the alias's client; a timeout argument is its context's
// deadline (the Go SDKs' per-call timeout). result gets the alias and client_closed.
func (d *driverState) callOn(c *opCall, call func(ctx context.Context, cl Client) (map[string]any, error)) opResult {
	alias, e, timeout, lerr := d.lookupWithTimeout(c)
	if lerr != nil {
		return opResult{err: lerr}
	}
	ctx, cancel := withTimeout(c.ctx, timeout)
	defer cancel()
	var result map[string]any
	start := time.Now()
	err := sdkCall(func() (err error) { result, err = call(ctx, e.client); return err })
	elapsed := time.Since(start)
	if err != nil {
		return opResult{err: d.classify(err), elapsed: elapsed}
	}
	result["alias"], result["client_closed"] = alias, e.closed
	return opResult{result: result, elapsed: elapsed}
}

func (d *driverState) serverVersion(c *opCall) opResult {
	return d.callOn(c, func(ctx context.Context, cl Client) (map[string]any, error) {
		v, err := cl.ServerVersion(ctx)
		return map[string]any{"version": v}, err
	})
}

func (d *driverState) listCollections(c *opCall) opResult {
	return d.callOn(c, func(ctx context.Context, cl Client) (map[string]any, error) {
		names, err := cl.ListCollections(ctx)
		if names == nil {
			names = []string{} // a JSON list, also when the database has none
		}
		return map[string]any{"collections": names}, err
	})
}

func (d *driverState) checkHealth(c *opCall) opResult {
	if d.sdk.CheckHealth == nil {
		return opResult{err: driverError("unsupported_op", "UnsupportedOp", fmt.Sprintf(
			"this version of %s has no CheckHealth call (capability check_health is not declared)", d.sdk.Name))}
	}
	return d.callOn(c, d.sdk.CheckHealth)
}

// disconnectDuringCall starts the server_version call on a goroutine, closes the client
// with the SDK's Close after after_ms, and reports how the call ended (or that it had not).
func (d *driverState) disconnectDuringCall(c *opCall) opResult {
	_, e, timeout, lerr := d.lookupWithTimeout(c)
	if lerr != nil {
		return opResult{err: lerr}
	}
	after := 500 * time.Millisecond
	if c.args.Has("after_ms") {
		f, ok := c.args.Float("after_ms")
		if !ok || f < 0 {
			return opResult{err: refused("after_ms", c.args["after_ms"], "a wait is a number of milliseconds >= 0")}
		}
		after = time.Duration(f * float64(time.Millisecond))
	}
	ctx, cancel := withTimeout(c.ctx, timeout)
	defer cancel()
	type ended struct {
		version string
		err     error
		at      time.Time
	}
	done := make(chan ended, 1) // buffered: a call still running when we answer must not block
	start := time.Now()
	go func() {
		var v string
		err := sdkCall(func() (err error) { v, err = e.client.ServerVersion(ctx); return err })
		done <- ended{v, err, time.Now()}
	}()
	time.Sleep(after)
	disconnect := map[string]any{"ok": true}
	if err := sdkCall(func() error { return e.client.Close(c.ctx) }); err != nil {
		disconnect = map[string]any{"ok": false, "error": d.classify(err)}
	}
	closed := time.Now()
	d.mu.Lock()
	e.closed = true
	d.mu.Unlock()

	// Wait for the call up to its timeout + 5 s (15 s without one), and answer well
	// before deadline_ms, where the loop would stop waiting for the whole op.
	patience := 15 * time.Second
	if timeout != nil {
		patience = *timeout + 5*time.Second
	}
	if limit := time.Until(c.deadline) - 1500*time.Millisecond; limit < patience {
		patience = max(limit, 100*time.Millisecond)
	}
	result := map[string]any{"disconnect": disconnect, "call": map[string]any{"pending": true}, "call_ended_ms": nil}
	wait := time.NewTimer(patience)
	defer wait.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			result["call"] = map[string]any{"ok": false, "error": d.classify(r.err)}
		} else {
			result["call"] = map[string]any{"ok": true, "result": map[string]any{"version": r.version}}
		}
		result["call_ended_ms"] = ms(r.at.Sub(closed))
	case <-wait.C:
	}
	return opResult{result: result, elapsed: time.Since(start)}
}

// openMany connects count clients from a pool of goroutines (the Go idiom for
// concurrency) limited by a semaphore, and verifies each by a round trip.
func (d *driverState) openMany(c *opCall) opResult {
	count, ok := c.args.Int("count")
	if !ok || count < 0 {
		return opResult{err: driverError("param_error", "DriverArgError", "open_many needs count, a whole number >= 0")}
	}
	a, perr := ParseConnectArgs(c.args)
	if perr != nil {
		return opResult{err: perr}
	}
	concurrency := 32
	if n, ok := c.args.Int("concurrency"); ok && n > 0 {
		concurrency = n
	}
	if concurrency > count && count > 0 {
		concurrency = count
	}

	// time_budget_seconds: past it, no new connection starts (the rest are not_attempted)
	budget, _ := c.args.Float("time_budget_seconds")

	type outcome struct {
		client    Client
		attempted bool
		opened    bool
		verified  bool
		err       error
		errAt     time.Duration // since start: the first error is the earliest in time, not in index
		connect   time.Duration
		latency   time.Duration // connect + verification round trip
	}
	outcomes := make([]outcome, count)
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < count; i++ {
		sem <- struct{}{}
		if budget != 0 && time.Since(start).Seconds() > budget {
			<-sem
			break
		}
		wg.Add(1)
		outcomes[i].attempted = true
		go func(o *outcome) {
			defer wg.Done()
			defer func() { <-sem }()
			defer func() {
				if o.err != nil {
					o.errAt = time.Since(start)
				}
			}()
			ctx, cancel := withTimeout(c.ctx, a.Timeout)
			defer cancel()
			var cl Client
			t0 := time.Now()
			err := sdkCall(func() (err error) { cl, _, err = d.sdk.Connect(ctx, a); return err })
			o.connect = time.Since(t0)
			if err != nil {
				o.err = err
				return
			}
			o.client, o.opened = cl, true
			if err := sdkCall(func() error { _, err := cl.ServerVersion(c.ctx); return err }); err != nil {
				o.err = err
				return
			}
			o.latency = time.Since(t0)
			o.verified = true
		}(&outcomes[i])
	}
	wg.Wait()
	elapsed := time.Since(start)

	attempted, opened, verified := 0, 0, 0
	var first *outcome
	var connectTimes, latencies []float64
	var clients []Client
	for i := range outcomes {
		o := &outcomes[i]
		if o.attempted {
			attempted++
		}
		if o.opened {
			opened++
			clients = append(clients, o.client)
			connectTimes = append(connectTimes, ms(o.connect))
		}
		if o.verified {
			verified++
			latencies = append(latencies, ms(o.latency))
		}
		if o.err != nil && (first == nil || o.errAt < first.errAt) {
			first = o
		}
	}
	d.mu.Lock()
	if c.abandoned.Load() {
		d.mu.Unlock()
		closeClients(clients)
		return opResult{}
	}
	d.many = append(d.many, clients...)
	d.mu.Unlock()
	result := map[string]any{
		"requested": count, "opened": opened, "verified": verified, "failed": attempted - verified,
		"not_attempted": count - attempted, "first_error": nil, "first_error_after_s": nil,
		"latency_p50_ms": nil, "latency_p99_ms": nil, "concurrency": concurrency, "address": a.Address,
	}
	if first != nil {
		result["first_error"] = d.classify(first.err)
		result["first_error_after_s"] = math.Round(first.errAt.Seconds()*1000) / 1000
	}
	if len(connectTimes) > 0 {
		sort.Float64s(connectTimes)
		result["connect_ms"] = map[string]any{
			"p50": connectTimes[len(connectTimes)/2], "max": connectTimes[len(connectTimes)-1]}
	}
	// nearest-rank quantiles, as the Python driver computes them
	if n := len(latencies); n > 0 {
		sort.Float64s(latencies)
		result["latency_p50_ms"], result["latency_p99_ms"] = latencies[n/2], latencies[int(float64(n)*0.99)]
	}
	return opResult{result: result, elapsed: elapsed, byDriver: attempted == 0} // no SDK call ran
}

func (d *driverState) closeMany(c *opCall) opResult {
	d.mu.Lock()
	clients := d.many
	d.many = nil
	d.mu.Unlock()
	start := time.Now()
	closeClients(clients)
	// with nothing open, no SDK call ran
	return opResult{result: map[string]any{"closed": len(clients)}, elapsed: time.Since(start), byDriver: len(clients) == 0}
}

func closeClients(clients []Client) {
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Add(1)
		go func(cl Client) {
			defer wg.Done()
			_ = sdkCall(func() error { return cl.Close(context.Background()) })
		}(cl)
	}
	wg.Wait()
}

func (d *driverState) reset(c *opCall) opResult {
	start := time.Now()
	n := d.closeAll(c.ctx)
	return opResult{result: map[string]any{"closed": n}, elapsed: time.Since(start), byDriver: true}
}

// closeAll closes every open client (alias map and open_many) and forgets
// every alias; it returns how many were open.
func (d *driverState) closeAll(ctx context.Context) int {
	d.mu.Lock()
	clients := d.many
	d.many = nil
	for _, e := range d.aliases {
		if !e.closed {
			clients = append(clients, e.client)
		}
	}
	d.aliases = map[string]*entry{}
	d.mu.Unlock()
	closeClients(clients)
	return len(clients)
}
