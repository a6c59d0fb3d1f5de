"""The no-harness baseline of `python -m conformance.bench`: the driver's ops made
directly, in a plain program.

    bench_direct.py HOST PORT CALLS [server_version|connect_disconnect]

server_version (the default): connects one client as the driver's connect op
does with only host and port, then times utility.get_server_version.
connect_disconnect: times connections.connect(alias, host=..., port=...) and
connections.disconnect(alias), the driver's connect and disconnect ops.
Makes CALLS warm-up calls (as the bench warms the driver up), then CALLS timed
ones, and prints as its last stdout line {"median_ms": ..., "calls": ..., "call": ...}."""

import json
import statistics
import sys
import time
import warnings

from pymilvus import connections, utility

warnings.simplefilter("ignore")  # the ORM API's deprecation warnings (stderr noise)


def main():
    host, port, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    workload = sys.argv[4] if len(sys.argv) > 4 else "server_version"

    def connect_disconnect():
        connections.connect("bench-cd", host=host, port=port)
        connections.disconnect("bench-cd")

    call, name = {
        "server_version": (lambda: utility.get_server_version(using="bench"), "utility.get_server_version"),
        "connect_disconnect": (connect_disconnect, "connections.connect + connections.disconnect"),
    }[workload]
    # only server_version keeps a client open: gRPC shares a transport among channels to the same
    # address, and the driver's connect steps run with no other connection open
    if workload == "server_version":
        connections.connect("bench", host=host, port=port)
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
        print(f"bench_direct.py: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        sys.exit(1)
