"""Benchmarks of the suite itself (a command, not timed tests):

    python -m conformance.bench [--drivers python,go] [--calls 200] [--suites]

- harness overhead per step, per driver: a scenario of server_version steps
  run by the suite's own runner (steps pipelined, as in the suite), against
  the SDK call as the driver timed it and against the same call in a plain
  program with no harness (the manifest's bench.direct), in the same run
  (ratios: machines are noisy); one-request-at-a-time round trips are shown too,
  and the cost of a no-op step (`reset` with nothing open) through the harness:
  the harness's own share, apart from CPU contention during a real step;
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

from .drivers.build import DriverUnavailable, expand, prepare
from .drivers.process import DriverProcess
from .drivers.registry import load_registry
from .execution import run_scenario
from .paths import DEFAULT_REPORTS_DIR, REPO_ROOT
from .run import write_json
from .scenario.model import Requirements, Scenario, Step
from .servers.embedded import EmbeddedServer
from .servers.profiles import PROFILES

def _median(values):
    return round(statistics.median(values), 4) if values else None


def _scenario(steps) -> Scenario:
    return Scenario(id="bench", title="harness overhead", spec=(), group="bench", tags=(),
                    requires=Requirements(), steps=tuple(steps), path="<bench>", line=0)


def _calls_scenario(endpoint, calls: int) -> Scenario:
    """connect, then `calls` server_version steps: run by the suite's own runner (pipelined)."""
    steps = [Step("connect", {"alias": "bench", "host": endpoint.host, "port": endpoint.grpc_port}, {"ok": True}, 0)]
    return _scenario(steps + [Step("server_version", {"alias": "bench"}, {"ok": True}, i + 1) for i in range(calls)])


def _noop_scenario(calls: int) -> Scenario:
    """`calls` reset steps with nothing open: the cost of a step through the harness with (almost) no
    SDK work in it: the runner, the protocol, the pipes and the driver's loop."""
    return _scenario(Step("reset", {}, {"ok": True}, i) for i in range(calls))


def direct_program(manifest, build, endpoint, calls: int):
    """The manifest's plain program (bench.direct): the same SDK call, no harness. Its median, or why not."""
    if not manifest.direct_bench_command:
        return None, "the manifest has no bench.direct program"
    command = expand(manifest.direct_bench_command, manifest, build_dir=build.build_dir, sdk=build.request,
                     sdk_version=build.version, host=endpoint.host, port=endpoint.grpc_port, calls=calls)
    try:
        done = subprocess.run(command, cwd=manifest.driver_dir, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{' '.join(command)}: {exc}"
    if done.returncode != 0:
        return None, f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-300:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])["median_ms"], None


def driver_overhead(name, manifest, endpoint, calls: int, scratch: Path) -> dict:
    """Per step: the harness's time (pipelined, as the suite runs steps; and one request at a time),
    the SDK call as the driver timed it, and the same call in a plain program, in one run."""
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
        noop = _noop_scenario(calls)
        run_scenario(noop, proc, endpoint)  # warm-up
        noop_steps = [s["wall_ms"] for s in run_scenario(noop, proc, endpoint).transcript]
        scenario = _calls_scenario(endpoint, calls)
        run_scenario(scenario, proc, endpoint)  # warm-up: JIT, connection, caches
        run = run_scenario(scenario, proc, endpoint)
        if run.failure:
            return {"startup_s": round(startup, 3), "skipped": f"the calls failed: {run.failure}"}
        steps = [s for s in run.transcript if s["op"] == "server_version"]
        pipelined = [s["wall_ms"] for s in steps]
        sdk = [float(s["response"].get("elapsed_ms") or 0) for s in steps]
        one_at_a_time = []
        for _ in range(calls):
            began = time.perf_counter()
            proc.request("server_version", {"alias": "bench"}, 30)
            one_at_a_time.append((time.perf_counter() - began) * 1000)
    finally:
        proc.stop()
    result = {"sdk": hello.get("sdk"), "startup_s": round(startup, 3), "calls": calls,
              "harness_median_ms": _median(pipelined), "sdk_median_ms": _median(sdk),
              "one_at_a_time_median_ms": _median(one_at_a_time), "noop_step_median_ms": _median(noop_steps)}
    result["overhead_ratio"] = round(result["harness_median_ms"] / result["sdk_median_ms"], 3) \
        if result["sdk_median_ms"] else None
    direct, why_not = direct_program(manifest, build, endpoint, calls)
    if direct:
        result["direct_script_median_ms"] = round(direct, 4)
        result["overhead_vs_direct_script"] = round(result["harness_median_ms"] / direct, 3)
        # the harness's own cost per step (a no-op step) over the plain call: what the harness adds by itself,
        # apart from how three busy processes (server, driver, harness) share two cores during a real step
        result["noop_step_share_of_direct"] = round(result["noop_step_median_ms"] / direct, 3)
    else:
        result["direct_script"] = f"not measured: {why_not}"
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
    parser.add_argument("--out", default=str(DEFAULT_REPORTS_DIR / "bench"),
                        help="folder for <time>.json and latest.json (the report shows reports/bench/latest.json)")
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
    out = Path(args.out)
    write_json(out / f"{time.strftime('%Y%m%d-%H%M%S')}.json", data)
    write_json(out / "latest.json", data)
    print(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
