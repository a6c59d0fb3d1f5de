"""Benchmarks of the suite itself (a command, not timed tests):

    python -m conformance.bench [--drivers python,go] [--calls 200] [--suites]

- harness overhead per step, per driver: the round trip through the harness
  (JSON lines, a driver process) against the SDK call it wraps, as measured
  inside the driver, in the same run (a ratio: machines are noisy);
- for pymilvus also against the same calls in a plain script, no harness;
- driver start-up (until `hello` answers) and server start-up per provider;
- with --suites: wall time of the quick suite per driver and for all drivers,
  serial and with xdist (-n 2).

Writes reports/bench/<time>.json and reports/bench/latest.json (the HTML
report of later runs shows the latest), with the machine it ran on."""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .drivers.build import DriverUnavailable, prepare
from .drivers.process import DriverProcess
from .drivers.registry import load_registry
from .paths import DEFAULT_REPORTS_DIR, REPO_ROOT
from .run import write_json
from .servers.embedded import EmbeddedServer
from .servers.profiles import PROFILES

DIRECT_PYMILVUS = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
from pymilvus import connections, utility
host, port, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
connections.connect("bench", host=host, port=port)
utility.get_server_version(using="bench")
times = []
for _ in range(calls):
    began = time.perf_counter()
    utility.get_server_version(using="bench")
    times.append((time.perf_counter() - began) * 1000)
print(json.dumps({"median_ms": sorted(times)[len(times) // 2]}))
"""


def _median(values):
    return round(statistics.median(values), 4) if values else None


def driver_overhead(name, manifest, endpoint, calls: int, scratch: Path) -> dict:
    try:
        build = prepare(manifest, "", run_id="bench")
    except DriverUnavailable as exc:
        return {"skipped": str(exc)}
    proc = DriverProcess(manifest, build, scratch / f"{name}.stderr")
    began = time.perf_counter()
    hello = proc.start()
    startup = time.perf_counter() - began
    try:
        if "server_version" not in (hello.get("capabilities") or []):
            return {"startup_s": round(startup, 3), "skipped": "no server_version capability"}
        proc.request("connect", {"alias": "bench", "host": endpoint.host, "port": endpoint.grpc_port}, 60)
        proc.request("server_version", {"alias": "bench"}, 30)  # warm-up
        wall, sdk = [], []
        for _ in range(calls):
            began = time.perf_counter()
            response = proc.request("server_version", {"alias": "bench"}, 30)
            wall.append((time.perf_counter() - began) * 1000)
            sdk.append(float(response.get("elapsed_ms") or 0))
    finally:
        proc.stop()
    result = {"sdk": hello.get("sdk"), "startup_s": round(startup, 3), "calls": calls,
              "harness_median_ms": _median(wall), "sdk_median_ms": _median(sdk)}
    result["overhead_ratio"] = round(result["harness_median_ms"] / result["sdk_median_ms"], 3) \
        if result["sdk_median_ms"] else None
    if name == "python":
        direct = subprocess.run([str(Path(build.build_dir) / "venv" / "bin" / "python"), "-c", DIRECT_PYMILVUS,
                                 endpoint.host, str(endpoint.grpc_port), str(calls)],
                                capture_output=True, text=True, timeout=600)
        if direct.returncode == 0:
            result["direct_script_median_ms"] = json.loads(direct.stdout.strip().splitlines()[-1])["median_ms"]
            result["overhead_vs_direct_script"] = round(
                result["harness_median_ms"] / result["direct_script_median_ms"], 3)
    return result


def server_startup(scratch: Path) -> dict:
    found = {}
    server = EmbeddedServer(PROFILES["plain"], scratch / "bench-embedded", scratch / "embedded.log", os.getpid())
    began = time.perf_counter()
    endpoint = server.start()
    found["embedded_s"] = round(time.perf_counter() - began, 2)
    try:
        from .servers.container import ContainerServer, engine_unavailable_reason

        reason = engine_unavailable_reason()
        if reason:
            found["container"] = f"skipped: {reason}"
        else:
            box = ContainerServer(PROFILES["plain"], scratch / "bench-container", scratch / "container.log",
                                  os.getpid())
            began = time.perf_counter()
            box.start()
            found["container_s"] = round(time.perf_counter() - began, 2)
            box.stop()
    except Exception as exc:  # the embedded numbers still count
        found["container"] = f"failed: {exc}"
    return found, server, endpoint


def suite_times(drivers) -> dict:
    found = {}

    def timed(*args):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "conformance", "-q", "--suite", "quick",
                        "--report-dir", tempfile.mkdtemp(prefix="bench-reports-"), *args],
                       cwd=REPO_ROOT, capture_output=True, timeout=3600)
        return round(time.perf_counter() - began, 1)

    for name in drivers:
        found[f"{name}_serial_s"] = timed("--driver", name)
    found["all_serial_s"] = timed("--driver", ",".join(drivers))
    found["all_xdist2_s"] = timed("--driver", ",".join(drivers), "-n", "2")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m conformance.bench")
    parser.add_argument("--drivers", default="", help="comma-separated (default: all with server_version)")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--suites", action="store_true", help="also time the quick suite (minutes)")
    args = parser.parse_args()
    registry = load_registry()
    names = [n for n in (args.drivers.split(",") if args.drivers else registry) if n]
    scratch = Path(tempfile.mkdtemp(prefix="milvus-conformance-bench-"))
    servers, server, endpoint = server_startup(scratch)
    try:
        overhead = {name: driver_overhead(name, registry[name], endpoint, args.calls, scratch) for name in names}
    finally:
        server.stop()
    data = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "servers": servers, "drivers": overhead}
    if args.suites:
        data["quick_suite"] = suite_times([n for n in names if "skipped" not in overhead[n]])
    out = DEFAULT_REPORTS_DIR / "bench"
    write_json(out / f"{time.strftime('%Y%m%d-%H%M%S')}.json", data)
    write_json(out / "latest.json", data)
    print(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
