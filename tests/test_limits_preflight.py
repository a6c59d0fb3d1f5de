"""The preflight of the connection limit: the environment's ceiling, in one sentence."""

import os
import resource

from conformance.limits.preflight import verdict


def test_the_ceiling_is_the_tightest_bound_and_is_explained():
    result = verdict(target=65_536, server_pid=os.getpid(), shards=4)
    names = [b["name"] for b in result["bounds"]]
    assert names == ["server_open_files", "client_open_files", "ephemeral_ports", "memory"]
    tightest = min(result["bounds"], key=lambda b: b["connections"])
    assert result["ceiling"] == min(65_536, tightest["connections"])
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft < 65_536:  # as on this workplace's machines: 20,000 files per process
        assert result["limited"]
        assert result["sentence"].startswith(f"limited by the environment at {tightest['connections']:,} connections")
        assert f"{soft:,} files" in result["sentence"]


def test_a_small_target_is_not_limited():
    result = verdict(target=100, server_pid=os.getpid())
    assert result == {**result, "ceiling": 100, "limited": False}
    assert result["sentence"] == "this environment can hold the target of 100 connections"


def test_server_side_tcp_connections_are_counted():
    import socket

    from conformance.limits.scale import server_tcp_connections

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    accepted = [server.accept()[0] for _ in range(3)]
    try:
        assert server_tcp_connections(port) == 3
    finally:
        for sock in clients + accepted + [server]:
            sock.close()


def test_a_limited_run_is_a_skip_with_what_was_reached_and_a_budget_run_out_too():
    from conformance.execution import limit_skip_reason

    base = {"target": 65536, "ceiling": 19744, "verified": 19744, "connect_rate_per_s": 900.5,
            "server_tcp": {"at_peak": 19744}, "reached_ceiling": True, "limited": True, "first_error": None,
            "not_attempted": 0, "budget_s": 180, "preflight": "limited by the environment at 19,744 connections, because X"}
    reason = limit_skip_reason({"ok": True, "result": base})
    assert reason == ("limited by the environment at 19,744 connections, because X; reached 19,744 verified "
                      "connections at 900.5/s (server-side TCP: 19,744)")
    slow = dict(base, verified=500, reached_ceiling=False, not_attempted=19244)
    assert limit_skip_reason({"ok": True, "result": slow}).startswith("time budget of 180 s ran out")
    failing = dict(base, verified=500, reached_ceiling=False, first_error={"category": "unavailable"})
    assert limit_skip_reason({"ok": True, "result": failing}) is None  # a failure, not a skip
    assert limit_skip_reason({"ok": True, "result": dict(base, limited=False)}) is None  # the full target: a pass


def test_the_skip_says_what_the_cpu_costs_allow_and_what_the_ceiling_would_need():
    from conformance.execution import limit_skip_reason
    from conformance.limits.preflight import memory_available
    from conformance.limits.scale import cpu_costs

    costs = cpu_costs(server_cpu=10.0, client_cpu=30.0, verified=10_000)  # 1 ms + 3 ms per connection
    assert costs["server_cpu_ms_per_connection"] == 1.0 and costs["client_cpu_ms_per_connection"] == 3.0
    assert costs["cpu_bound_per_s"] == round(os.cpu_count() * 1000 / 4.0)
    assert cpu_costs(None, 1.0, 10)["cpu_bound_per_s"] is None  # unknown, never guessed
    slow = {"target": 65536, "ceiling": 20000, "verified": 1000, "connect_rate_per_s": 10.0,
            "server_tcp": {"at_peak": 4}, "reached_ceiling": False, "limited": True, "first_error": None,
            "not_attempted": 19000, "budget_s": 100, "preflight": "limited ...",
            "client_bytes_per_connection": memory_available() // 10_000, **costs}
    reason = limit_skip_reason({"ok": True, "result": slow})
    assert f"allow at most {costs['cpu_bound_per_s']:,}/s here" in reason
    assert "the ceiling of 20,000 would take 33 min" in reason
    assert "(more than the" in reason  # twice the memory there is


def test_a_limit_run_reports_every_field_the_skip_reason_and_the_report_read(tmp_path):
    """run_limit's result, built for real (a stand-in driver that opens nothing; no server is needed
    for the bookkeeping), carries what limit_skip_reason and the report's limit table read."""
    from conformance.execution import limit_skip_reason
    from conformance.limits.scale import run_limit
    from conformance.servers.profiles import Endpoint
    from test_driver_process import fake

    endpoint = Endpoint(profile="plain", provider="test", host="127.0.0.1", grpc_port=1, http_port=2)
    result = run_limit({"target": 10, "time_budget_seconds": 1}, fake("ok", tmp_path), endpoint, os.getpid())
    for key in ("budget_s", "files_reserved", "connections_over_time", "cpu_bound_per_s", "first_error_after_s",
                "latency_p50_ms", "latency_p99_ms", "server_tcp", "connect_rate_per_s", "reached_ceiling"):
        assert key in result, key
    assert result["budget_s"] == 1 and result["verified"] == 0 and result["freed"]
    assert limit_skip_reason({"ok": True, "result": dict(result, not_attempted=10)}).startswith(
        "time budget of 1 s ran out")


def test_without_a_server_pid_the_server_the_harness_would_start_bounds_the_ceiling():
    """The server the harness starts inherits this process's open-files limit (a container gets it
    as nofile): without its pid, that limit, less what an idle server holds, is a bound too."""
    from conformance.limits.preflight import FILES_RESERVED, SERVER_IDLE_FILES

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    for provider, how in (("embedded", "embedded: it inherits this process's limit"),
                          ("container", "container: the harness gives it this process's hard limit")):
        result = verdict(target=65_536, provider=provider)
        server = next(b for b in result["bounds"] if b["name"] == "server_open_files")
        assert server["connections"] == hard - SERVER_IDLE_FILES - FILES_RESERVED
        assert how in server["because"] and result["server"] == provider
        if hard < 65_536:  # here: 20,000, so about 19,730 connections, below the 28,232 ephemeral ports
            assert result["ceiling"] == server["connections"]
            assert result["sentence"].startswith(f"limited by the environment at {server['connections']:,} "
                                                 f"connections, because a server the harness starts may open")


def test_a_server_the_harness_does_not_start_is_said_to_be_unknown():
    result = verdict(target=65_536, provider="uri", uri="http://127.0.0.1:19530")
    assert "server_open_files" not in [b["name"] for b in result["bounds"]]
    assert result["sentence"].endswith("the server at http://127.0.0.1:19530 is not started by the harness, so "
                                       "its own open-files and memory limits are not known here and may be lower")
