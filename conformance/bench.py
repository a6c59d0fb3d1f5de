"""Benchmarks of the suite itself (a command, not timed tests):

    python -m conformance.bench [--drivers python,go] [--calls 500] [--connect-calls 30] [--rounds 5] [--suites]

- harness overhead per step, per driver, for two workloads:
  - server_version: the cheapest SDK call (a fraction of a millisecond), where
    the harness's fixed cost per step shows most;
  - connect_disconnect: a connect step and a disconnect step, the steps most
    scenarios of the suite are made of;
  each run by the suite's own runner (steps pipelined, as in the suite) and, in
  turn, by the same SDK calls in a plain program with no harness (the
  manifest's bench.direct), for several rounds in one run: the ratio is taken
  per round and its median reported with its range (machines are noisy; a
  round's two halves see the same noise, rounds apart may not). Each half is a
  fresh process warmed up with as many calls as it times (a JIT, a connection
  pool: neither side warmer than the other). The SDK call as
  the driver timed it, one-request-at-a-time round trips and the cost of a no-op
  step (`reset` with nothing open) are shown too;
- driver start-up (until `hello` answers) and server start-up per provider;
- with --suites: the quick and the full suite (-n 2, every driver), warm, and
  the full suite without the background (--background 0) in the same bench run,
  for the ratio and the check that outcomes are the same; with --cold also the
  full suite on empty caches (ours and the toolchains': a fresh machine). Each
  with its wall time and the run's own breakdown (conformance/timing.py):
  builds, driver and server starts, server actions, waiting for timeouts, SDK
  work, the harness, idle workers.

Writes reports/bench/<time>.json and reports/bench/latest.json (the HTML
report of later runs shows the latest), with the machine it ran on."""

import argparse
import json
import os
import platform
import resource
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
from .run import new_scratch, remove_scratch, sweep_stale_scratch, write_json
from .scenario.model import Requirements, Scenario, Step
from .servers.embedded import EmbeddedServer
from .servers.profiles import PROFILES

OVERHEAD_TARGET = 1.10  # issue 6: a step through the harness within 10% of the same SDK call made directly
WORKLOADS = {
    "server_version": "the cheapest SDK call: the harness's fixed cost per step shows most",
    "connect_disconnect": "a connect and a disconnect step: what most scenarios are made of",
}


def _median(values):
    return round(statistics.median(values), 4) if values else None


def _scenario(steps) -> Scenario:
    return Scenario(id="bench", title="harness overhead", spec=(), group="bench", tags=(),
                    requires=Requirements(), steps=tuple(steps), path="<bench>", line=0)


def _workload_scenario(workload: str, endpoint, calls: int) -> Scenario:
    """The workload's steps, run by the suite's own runner (pipelined). server_version: connect once,
    then `calls` server_version steps; connect_disconnect: `calls` connect + disconnect pairs."""
    where = {"host": endpoint.host, "port": endpoint.grpc_port}
    if workload == "server_version":
        steps = [Step("connect", {"alias": "bench", **where}, {"ok": True}, 0)]
        steps += [Step("server_version", {"alias": "bench"}, {"ok": True}, i + 1) for i in range(calls)]
    else:
        steps = []
        for i in range(calls):
            steps += [Step("connect", {"alias": "bench-cd", **where}, {"ok": True}, 2 * i),
                      Step("disconnect", {"alias": "bench-cd"}, {"ok": True}, 2 * i + 1)]
    return _scenario(steps)


def _units(transcript, workload: str):
    """Per unit of the workload (a server_version step, or a connect + disconnect pair): the harness's
    wall time and the SDK time the driver reported, in ms."""
    if workload == "server_version":
        steps = [[s] for s in transcript if s["op"] == "server_version"]
    else:
        steps = [transcript[i:i + 2] for i in range(0, len(transcript) - 1, 2)]
    wall = [sum(s["wall_ms"] for s in unit) for unit in steps]
    sdk = [sum(float(s["response"].get("elapsed_ms") or 0) for s in unit) for unit in steps]
    return wall, sdk


def _noop_scenario(calls: int) -> Scenario:
    """`calls` reset steps with nothing open: the cost of a step through the harness with (almost) no
    SDK work in it: the runner, the protocol, the pipes and the driver's loop."""
    return _scenario(Step("reset", {}, {"ok": True}, i) for i in range(calls))


def direct_program(manifest, build, endpoint, calls: int, workload: str = "server_version"):
    """The manifest's plain program (bench.direct): the same SDK calls, no harness. Its median, or why not."""
    command = manifest.direct_bench_command
    if not command:
        return None, "the manifest has no bench.direct program"
    if workload != "server_version" and not any("{workload}" in part for part in command):
        return None, "the manifest's bench.direct program takes no {workload}"
    command = expand(command, manifest, build_dir=build.build_dir, sdk=build.request, sdk_version=build.version,
                     host=endpoint.host, port=endpoint.grpc_port, calls=calls, workload=workload)
    try:
        done = subprocess.run(command, cwd=manifest.driver_dir, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{' '.join(command)}: {exc}"
    if done.returncode != 0:
        return None, f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-300:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])["median_ms"], None


def _harness_half(scenario, workload: str, start_driver, endpoint) -> dict:
    """A fresh driver, warmed up with one run of the scenario, then timed on a second run: as warm as the
    plain program, which warms up with as many calls as it times."""
    proc = start_driver()
    try:
        for _ in range(2):
            cpu_before = _cpu_seconds()
            run = run_scenario(scenario, proc, endpoint)
            if run.failure:
                return {"failed": f"the calls failed: {run.failure}"}
        cpu = _cpu_seconds() - cpu_before
    finally:
        proc.stop()
    wall, sdk = _units(run.transcript, workload)
    # the harness process's own CPU (user + system) per step: on a machine with as many busy processes as
    # cores (server, driver, harness), it is time the server and the SDK wait for a core
    return {"harness_median_ms": _median(wall), "sdk_median_ms": _median(sdk),
            "harness_cpu_us_per_step": round(cpu * 1e6 / len(run.transcript), 1)}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def workload_overhead(workload: str, start_driver, manifest, build, endpoint, calls: int, rounds: int) -> dict:
    """The workload through the harness and in the plain program, in alternating order, `rounds` times
    (once without a plain program: there is no ratio to take)."""
    scenario = _workload_scenario(workload, endpoint, calls)
    per_round, why_not = [], None
    for index in range(rounds if manifest.direct_bench_command else 1):
        # alternate which half goes first, so a drift in the machine's speed does not favour one side
        halves = ["direct", "harness"] if index % 2 == 0 else ["harness", "direct"]
        entry = {}
        for half in halves:
            if half == "harness":
                measured = _harness_half(scenario, workload, start_driver, endpoint)
                if "failed" in measured:
                    return {"calls": calls, "skipped": measured["failed"]}
                entry.update(measured)
            else:
                direct, why_not = direct_program(manifest, build, endpoint, calls, workload)
                if direct:
                    entry["direct_median_ms"] = round(direct, 4)
        if "direct_median_ms" in entry:
            entry["ratio"] = round(entry["harness_median_ms"] / entry["direct_median_ms"], 3)
        per_round.append(entry)
    found = {"calls": calls, "rounds": per_round,
             "harness_median_ms": _median([r["harness_median_ms"] for r in per_round]),
             "sdk_median_ms": _median([r["sdk_median_ms"] for r in per_round]),
             "harness_cpu_us_per_step": _median([r["harness_cpu_us_per_step"] for r in per_round])}
    found["overhead_vs_sdk"] = round(found["harness_median_ms"] / found["sdk_median_ms"], 3) \
        if found["sdk_median_ms"] else None
    ratios = [r["ratio"] for r in per_round if "ratio" in r]
    if ratios:
        found["direct_median_ms"] = _median([r["direct_median_ms"] for r in per_round if "direct_median_ms" in r])
        found["overhead_vs_direct"] = round(statistics.median(ratios), 3)
        found["overhead_vs_direct_range"] = [min(ratios), max(ratios)]
        found["within_target"] = found["overhead_vs_direct"] <= OVERHEAD_TARGET
    else:
        found["direct"] = f"not measured: {why_not}"
    return found


def _one_at_a_time(proc, endpoint, calls: int):
    """server_version requests, each sent once the answer to the one before is in: the round trip
    (its median in ms, or why not)."""
    proc.request("reset", {}, 30)
    answer = proc.request("connect", {"alias": "bench", "host": endpoint.host, "port": endpoint.grpc_port}, 30)
    times = []
    while answer.get("ok") and len(times) < calls:
        began = time.perf_counter()
        answer = proc.request("server_version", {"alias": "bench"}, 30)
        times.append((time.perf_counter() - began) * 1000)
    return _median(times) if answer.get("ok") else f"failed: {answer.get('error')}"


def driver_overhead(name, manifest, endpoint, calls: int, scratch: Path, connect_calls: int = 30,
                    rounds: int = 5) -> dict:
    """Per workload: the harness's time per unit (pipelined, as the suite runs steps), the SDK calls as the
    driver timed them, and the same calls in a plain program, in one run; one-at-a-time and no-op steps."""
    try:
        build = prepare(manifest, "", run_id="bench")
    except DriverUnavailable as exc:
        return {"skipped": str(exc)}
    proc = DriverProcess(manifest, build, scratch / f"{name}.stderr")
    began = time.perf_counter()
    hello = proc.start()
    startup = time.perf_counter() - began
    result = {"sdk": hello.get("sdk"), "startup_s": round(startup, 3)}
    try:
        if "server_version" not in (hello.get("capabilities") or []):
            return {**result, "skipped": "no server_version capability"}
        noop = _noop_scenario(calls)
        run_scenario(noop, proc, endpoint)  # warm-up
        result["noop_step_median_ms"] = _median([s["wall_ms"] for s in run_scenario(noop, proc, endpoint).transcript])

        def start_driver():
            fresh = DriverProcess(manifest, build, scratch / f"{name}.stderr")
            fresh.start()
            return fresh

        result["workloads"] = {
            workload: workload_overhead(workload, start_driver, manifest, build, endpoint,
                                        calls if workload == "server_version" else connect_calls, rounds)
            for workload in WORKLOADS}
        result["one_at_a_time_median_ms"] = _one_at_a_time(proc, endpoint, calls)
    finally:
        proc.stop()
    direct = result["workloads"]["server_version"].get("direct_median_ms")
    if direct:
        # the harness's own cost per step (a no-op step) over the plain call: what the harness adds by itself,
        # apart from how three busy processes (server, driver, harness) share two cores during a real step
        result["noop_step_share_of_direct"] = round(result["noop_step_median_ms"] / direct, 3)
    return result


def server_startup(scratch: Path, found: dict):
    """Start-up time per provider, into `found` as each is measured; the embedded server stays up for the
    driver benchmarks (stopped here if anything, Ctrl-C included, interrupts the rest)."""
    server = EmbeddedServer(PROFILES["plain"], scratch / "bench-embedded", scratch / "embedded.log", os.getpid())
    began = time.perf_counter()
    endpoint = server.start()
    found["embedded_s"] = round(time.perf_counter() - began, 2)
    try:
        from .servers import engine
        from .servers.container import ContainerServer, engine_unavailable_reason

        engine.ensure()  # as the README's setup does: an engine where this machine allows one
        reason = engine_unavailable_reason()
        if reason:
            found["container"] = f"skipped: {reason}"
        else:
            box = ContainerServer(PROFILES["plain"], scratch / "bench-container", scratch / "container.log",
                                  os.getpid())
            try:
                began = time.perf_counter()
                box.start()
                found["container_s"] = round(time.perf_counter() - began, 2)
            finally:
                box.stop()
    except Exception as exc:  # the embedded numbers still count
        found["container"] = f"failed: {exc}"
    except BaseException:
        server.stop()
        raise
    return server, endpoint


# What a fresh machine has not got: every cache a run fills (ours, and the SDK toolchains' own).
COLD_CACHES = {"MILVUS_CONFORMANCE_CACHE": "conformance", "PIP_CACHE_DIR": "pip", "npm_config_cache": "npm",
               "GOMODCACHE": "gomod", "GOCACHE": "gobuild", "GOPATH": "gopath"}
SUITE_RUNS = {  # name -> the run's arguments (besides --driver); each is timed from outside and broken down
    "quick": ("--suite", "quick", "-n", "2"),
    "full": ("-n", "2"),
    "full_one_by_one": ("-n", "2", "--background", "0"),  # the same run without the background: its share
}


def suite_run(drivers, scratch: Path, args, env=None) -> dict:
    """One `pytest conformance` run: its wall time from outside (start-up and shutdown included), the
    outcome counts and the run's own breakdown of where the time went (results.json `timing`)."""
    reports = Path(tempfile.mkdtemp(prefix="reports-", dir=scratch))
    began = time.perf_counter()
    # pytest's own temporary folder inside the bench's too: nothing is left behind
    done = subprocess.run([sys.executable, "-m", "pytest", "conformance", "-q", "--report-dir", str(reports),
                           "--basetemp", str(reports / "pytest-tmp"),
                           "--driver", ",".join(drivers), *args], cwd=REPO_ROOT, capture_output=True,
                          timeout=7200, env={**os.environ, **(env or {})})
    wall = round(time.perf_counter() - began, 1)
    try:
        results = json.loads((reports / "latest" / "results.json").read_text())
    except (OSError, ValueError):
        return {"wall_s": wall, "failed": f"no results.json (exit {done.returncode}): "
                                          f"{done.stderr.decode(errors='replace')[-500:]}"}
    counts = {}
    for entry in results["outcomes"]:
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
    timing = results.get("timing") or {}
    problems = [{"nodeid": e["nodeid"], "outcome": e["outcome"], "message": (e.get("message") or "")[:600]}
                for e in results["outcomes"] if e["outcome"] in ("error", "flaky")]
    return {"args": list(args), "wall_s": wall, "in_run_s": timing.get("wall_s"), "problems": problems,
            "start_and_shutdown_s": round(wall - (timing.get("wall_s") or 0), 1), "cells": len(results["outcomes"]),
            "outcomes": counts, "breakdown": timing,
            "outcome_by_cell": {e["nodeid"]: e["outcome"] for e in results["outcomes"]}}


def suite_times(drivers, scratch: Path, cold: bool, runs=None) -> dict:
    """The quick and the full suite, warm (and, with cold, the full suite on empty caches, as on a fresh
    machine: downloads and builds included), with and without the background, in one bench run."""
    found = {"drivers": list(drivers)}
    runs = list(SUITE_RUNS) if runs is None else runs
    if cold:
        caches = Path(tempfile.mkdtemp(prefix="cold-", dir=scratch))
        env = {name: str(caches / sub) for name, sub in COLD_CACHES.items()}
        env["MAVEN_OPTS"] = f"{os.environ.get('MAVEN_OPTS', '')} -Dmaven.repo.local={caches / 'm2'}".strip()
        found["full_cold"] = suite_run(drivers, scratch, SUITE_RUNS["full"], env)
        found["full_cold"]["emptied"] = sorted(env)
    for name in runs:
        found[name] = suite_run(drivers, scratch, SUITE_RUNS[name])
    full, alone = found.get("full") or {}, found.get("full_one_by_one") or {}
    if "outcome_by_cell" in full and "outcome_by_cell" in alone:
        a, b = full["outcome_by_cell"], alone["outcome_by_cell"]
        found["full_same_outcomes_as_one_by_one"] = {
            "same": sum(1 for k in a if a[k] == b.get(k)),
            "different": {k: [a.get(k), b.get(k)] for k in set(a) | set(b) if a.get(k) != b.get(k)}}
        found["full_speedup_from_background"] = round(alone["wall_s"] / full["wall_s"], 2)
    for run in found.values():
        if isinstance(run, dict):
            run.pop("outcome_by_cell", None)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m conformance.bench")
    parser.add_argument("--drivers", default="", help="comma-separated (default: all with server_version)")
    parser.add_argument("--calls", type=int, default=500, help="server_version steps per round")
    parser.add_argument("--connect-calls", type=int, default=30, help="connect + disconnect pairs per round")
    parser.add_argument("--rounds", type=int, default=5, help="harness and plain program, in turn, this many times")
    parser.add_argument("--suites", action="store_true",
                        help="also run the quick and the full suite, with and without the background, and "
                             "break their time down (about ten minutes)")
    parser.add_argument("--cold", action="store_true",
                        help="with --suites: also the full suite on empty caches, as on a fresh machine")
    parser.add_argument("--only-suites", action="store_true", help="the suites only, no per-step overhead")
    parser.add_argument("--suite-runs", default=",".join(SUITE_RUNS),
                        help=f"which warm suite runs (default all: {','.join(SUITE_RUNS)}; '' for none)")
    parser.add_argument("--out", default=str(DEFAULT_REPORTS_DIR / "bench"),
                        help="folder for <time>.json and latest.json (the report shows reports/bench/latest.json)")
    args = parser.parse_args()
    registry = load_registry()
    names = [n for n in (args.drivers.split(",") if args.drivers else registry) if n]
    unknown = [n for n in names if n not in registry]
    if unknown:
        parser.error(f"--drivers: no driver named {', '.join(unknown)} in drivers/registry.yaml "
                     f"(it has: {', '.join(registry)})")
    runs = [r for r in args.suite_runs.split(",") if r]
    unknown_runs = [r for r in runs if r not in SUITE_RUNS]
    if unknown_runs:
        parser.error(f"--suite-runs: no run named {', '.join(unknown_runs)} (there are {', '.join(SUITE_RUNS)})")
    data = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "servers": {},
            "overhead_target": OVERHEAD_TARGET, "workloads": WORKLOADS, "drivers": {}}
    sweep_stale_scratch()
    scratch = new_scratch()
    try:  # the scratch folder (driver stderr, server folders, quick-suite reports) goes with the run
        if not args.only_suites:
            server, endpoint = server_startup(scratch, data["servers"])
            try:
                for name in names:
                    data["drivers"][name] = driver_overhead(name, registry[name], endpoint, args.calls, scratch,
                                                            args.connect_calls, args.rounds)
            finally:
                server.stop()
        if args.suites or args.only_suites:
            data["suites"] = suite_times(names, scratch, args.cold, runs)
    except KeyboardInterrupt:  # what was measured before it is still written
        data["interrupted"] = "stopped by Ctrl-C: only what had been measured before is here"
    finally:
        remove_scratch(scratch)
    out = Path(args.out)
    write_json(out / f"{time.strftime('%Y%m%d-%H%M%S')}.json", data)
    write_json(out / "latest.json", data)
    print(json.dumps(data, indent=2))
    if data.get("interrupted"):
        print(f"conformance.bench: {data['interrupted']} ({out / 'latest.json'})", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
