"""The no-harness baseline of `python -m conformance.bench`: the driver's ops made
directly with wire.py, in a plain program.

    bench_direct.py HOST PORT CALLS [server_version|connect_disconnect]

server_version (the default): one channel, opened as the connect op does with host and
port (Connect RPC included), then the GetVersion RPC timed. connect_disconnect: the
connect op (channel + Connect RPC) and the disconnect op (channel.close()) timed.
CALLS warm-up calls, then CALLS timed ones; the last stdout line is
{"median_ms": ..., "calls": ..., "call": ...}."""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402


def main():
    host, port, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    workload = sys.argv[4] if len(sys.argv) > 4 else "server_version"
    target = "%s:%d" % (host, port)

    def connect_disconnect():
        wire.connect("bench-cd", target)
        wire.disconnect("bench-cd")

    call, name = {
        "server_version": (lambda: wire.server_version("bench"), "MilvusService/GetVersion"),
        "connect_disconnect": (connect_disconnect, "insecure_channel + MilvusService/Connect + channel.close"),
    }[workload]
    if workload == "server_version":
        wire.connect("bench", target)
    for _ in range(calls):
        call()
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    print(json.dumps({"median_ms": round(statistics.median(times), 4), "calls": calls, "call": name}))


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:
        print(("bench_direct.py: %s: %s" % (type(exc).__name__, exc)).splitlines()[0], file=sys.stderr)
        sys.exit(1)
