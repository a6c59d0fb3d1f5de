"""The connection limit at full scale, as a harness step (`limit:` in a scenario).

The target (the documented 65,536) is first cut to what this environment can
hold (preflight.py). The harness then shards the connections over several
processes of the scenario's driver, so that no process needs more open files
than it may have; each process opens its share with `open_many` (the SDK's own
idiom, each connection verified by a round trip), and the harness counts, on
the server's side, the TCP connections it really holds. Then everything is
closed and counted again."""

import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ..drivers.process import DriverProcess
from .preflight import FILES_RESERVED, memory_available, verdict

PER_SHARD_MAX = 5_000      # connections per driver process: well under 20,000 open files
DEFAULT_BUDGET_SECONDS = 180


def server_tcp_connections(port: int) -> int:
    """ESTABLISHED TCP connections whose local port is the server's (server-side sockets)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as lines:
                next(lines)
                for line in lines:
                    fields = line.split()
                    if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        count += 1
        except OSError:
            pass
    return count


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def clients_rss(processes) -> int:
    """Resident memory of the driver processes (the clients) still running, in bytes."""
    return sum(rss_bytes(p.proc.pid) for p in processes if p.proc)


def cpu_seconds(pid: int):
    """User + system CPU time a process has used (None when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def cpu_costs(server_cpu: float, client_cpu: float, verified: int) -> dict:
    """CPU per verified connection on each side, and the rate this machine's cores could reach at
    those costs (both sides share the cores here): the honest bound next to the measured rate."""
    if not verified or server_cpu is None or client_cpu is None:
        return {"server_cpu_ms_per_connection": None, "client_cpu_ms_per_connection": None,
                "cpu_bound_per_s": None}
    server_ms, client_ms = server_cpu * 1000 / verified, client_cpu * 1000 / verified
    return {"server_cpu_ms_per_connection": round(server_ms, 3), "client_cpu_ms_per_connection": round(client_ms, 3),
            "cpu_bound_per_s": round((os.cpu_count() or 1) * 1000 / (server_ms + client_ms)) if server_ms + client_ms else None}


def projection(result: dict) -> str:
    """What reaching the ceiling would take at the measured pace and client memory: why a driver that
    ran out of time did (its SDK's cost, or only the budget)."""
    rate, per_client = result.get("connect_rate_per_s"), result.get("client_bytes_per_connection")
    parts = []
    if rate:
        parts.append(f"at {rate}/s the ceiling of {result['ceiling']:,} would take {result['ceiling'] / rate / 60:.0f} min")
    if per_client:
        needed, available = per_client * result["ceiling"], memory_available()
        parts.append(f"at {per_client / 2**20:.1f} MiB of client memory per connection it would need "
                     f"{needed / 2**30:.1f} GiB ({'more than' if needed > available else 'within'} the "
                     f"{available / 2**30:.1f} GiB available here)")
    return "; ".join(parts)


def _worst(results, quantile: str):
    """The slowest shard's connect latency quantile (latency_p50_ms, latency_p99_ms)."""
    values = [r.get(f"latency_{quantile}_ms") for r in results]
    values = [v for v in values if v]
    return max(values) if values else None


def run_limit(args: dict, driver: DriverProcess, endpoint, server_pid: int) -> dict:
    target = int(args.get("target", 65_536))
    budget = float(args.get("time_budget_seconds", DEFAULT_BUDGET_SECONDS))
    concurrency = int(args.get("concurrency", 32))
    shards = max(1, math.ceil(min(target, 10**9) / PER_SHARD_MAX))
    preflight = verdict(target, server_pid, shards)
    ceiling = preflight["ceiling"]
    if args.get("only_if_unlimited") and preflight["limited"]:
        return {"target": target, "ceiling": ceiling, "limited": True, "preflight": preflight["sentence"],
                "bounds": preflight["bounds"], "not_run_because": "the environment cannot hold the target"}
    shards = max(1, math.ceil(ceiling / PER_SHARD_MAX))
    shares = [ceiling // shards + (1 if i < ceiling % shards else 0) for i in range(shards)]
    before = server_tcp_connections(endpoint.grpc_port)
    server_rss_before = rss_bytes(server_pid)
    processes = [DriverProcess(driver.manifest, driver.build, driver.stderr_path.with_name(
        f"{driver.stderr_path.stem}-shard{i}.stderr")) for i in range(shards)]
    peak = {"tcp": before, "at": 0.0}
    samples = []
    done = threading.Event()
    started = time.monotonic()

    def sample():  # connections against time, for the report's plot
        while not done.wait(1.0):
            now = server_tcp_connections(endpoint.grpc_port)
            client_rss = clients_rss(processes)
            samples.append([round(time.monotonic() - started, 1), now - before,
                            round(rss_bytes(server_pid) / 2**20), round(client_rss / 2**20)])
            if now > peak["tcp"]:
                peak.update(tcp=now, at=time.monotonic() - started)

    def shard(index: int) -> dict:
        proc = processes[index]
        request = {"count": shares[index], "concurrency": concurrency, "host": endpoint.host,
                   "port": endpoint.grpc_port, "timeout": 30, "time_budget_seconds": budget}
        if endpoint.user:
            request.update(user=endpoint.user, password=endpoint.password)
        return proc.request("open_many", request, budget + 120)

    sampler = threading.Thread(target=sample, daemon=True)
    try:
        # Started here, not in the pool's threads: a driver dies with the thread that started it
        # (PR_SET_PDEATHSIG follows the thread), and the pool's threads end before close_many.
        for proc in processes:
            proc.start()
        sampler.start()
        server_cpu_before = cpu_seconds(server_pid)
        client_cpu_before = [cpu_seconds(p.proc.pid) for p in processes]
        with ThreadPoolExecutor(max_workers=shards) as pool:
            responses = list(pool.map(shard, range(shards)))
        elapsed = time.monotonic() - started
        server_cpu, client_cpu = cpu_seconds(server_pid), [cpu_seconds(p.proc.pid) if p.proc else None
                                                           for p in processes]
        server_cpu = None if None in (server_cpu, server_cpu_before) else server_cpu - server_cpu_before
        client_cpu = None if None in client_cpu + client_cpu_before else sum(client_cpu) - sum(client_cpu_before)
        at_peak = max(peak["tcp"], server_tcp_connections(endpoint.grpc_port))
        server_rss_peak = rss_bytes(server_pid)
        client_rss = clients_rss(processes)
        for proc in processes:
            proc.request("close_many", {}, 120)
        time.sleep(2)
        after = server_tcp_connections(endpoint.grpc_port)
    finally:
        done.set()
        for proc in processes:
            proc.stop()
    results = [r.get("result") or {} for r in responses]
    errors = [r.get("error") for r in responses if not r.get("ok")]
    verified = sum(r.get("verified", 0) for r in results)
    failing = sorted((r for r in results if r.get("first_error")), key=lambda r: r.get("first_error_after_s") or 0)
    first_error = failing[0]["first_error"] if failing else (errors[0] if errors else None)
    first_error_after_s = failing[0].get("first_error_after_s") if failing else None  # shards start together
    return {
        "target": target, "ceiling": ceiling, "limited": preflight["limited"], "preflight": preflight["sentence"],
        "bounds": preflight["bounds"], "shards": shards, "shares": shares, "concurrency": concurrency,
        "opened": sum(r.get("opened", 0) for r in results), "verified": verified,
        "failed": sum(r.get("failed", 0) for r in results),
        "not_attempted": sum(r.get("not_attempted", 0) for r in results),
        "reached_ceiling": verified >= 0.98 * ceiling, "first_error": first_error,
        "first_error_after_s": first_error_after_s,
        "elapsed_s": round(elapsed, 2), "connect_rate_per_s": round(verified / elapsed, 1) if elapsed else None,
        "latency_p50_ms": _worst(results, "p50"), "latency_p99_ms": _worst(results, "p99"),
        "server_tcp": {"before": before, "at_peak": at_peak - before, "after_close": after - before},
        "freed": after - before <= max(10, int(0.01 * verified)),
        "server_bytes_per_connection": round((server_rss_peak - server_rss_before) / verified) if verified else None,
        "client_bytes_per_connection": round(client_rss / verified) if verified else None,
        **cpu_costs(server_cpu, client_cpu, verified),
        "connections_over_time": samples,  # [seconds, server-side TCP, server MiB, clients' MiB]
        "budget_s": budget, "files_reserved": FILES_RESERVED,
    }
