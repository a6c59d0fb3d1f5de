"""The no-harness baseline of `python -m conformance.bench`: the driver's
server_version op (utility.get_server_version) made directly, in a plain program.

    bench_direct.py HOST PORT CALLS

Connects one client as the driver's connect op does with only host and port,
makes CALLS warm-up calls (as the bench warms the driver up), then CALLS timed ones, and prints as its last stdout
line {"median_ms": ..., "calls": ..., "call": "utility.get_server_version"}."""

import json
import statistics
import sys
import time
import warnings

from pymilvus import connections, utility

warnings.simplefilter("ignore")  # the ORM API's deprecation warnings (stderr noise)


def main():
    host, port, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    connections.connect("bench", host=host, port=port)
    try:
        for _ in range(calls):
            utility.get_server_version(using="bench")
        times = []
        for _ in range(calls):
            began = time.perf_counter()
            utility.get_server_version(using="bench")
            times.append((time.perf_counter() - began) * 1000)
        print(json.dumps({"median_ms": round(statistics.median(times), 4), "calls": calls,
                          "call": "utility.get_server_version"}))
    finally:
        connections.disconnect("bench")


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:
        print(f"bench_direct.py: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        sys.exit(1)
