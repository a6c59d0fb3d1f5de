"""A documented port (19530, 9091) right after a server of this suite stopped: the connections it
leaves in TIME_WAIT do not make the port taken (Milvus binds with SO_REUSEADDR), and a server of
a run that is over is waited for, briefly; anything else holding the port is reported at once."""

import os
import socket
import subprocess
import sys
import time

import pytest

from conformance.paths import SCENARIOS_DIR
from conformance.servers.ports import describe_listener, free_ports, port_is_free, wait_for_port

HOLDER = """import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("listening", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold(port: int, seconds: float, *tag: str, env=None) -> subprocess.Popen:
    """A listener on `port` for `seconds`; `tag` only goes into its command line, `env` into its
    environment (what the harness reads)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(port), str(seconds), *tag], stdout=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})
    assert proc.stdout.readline().strip() == "listening"
    return proc


def gone_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_connections_left_in_time_wait_do_not_make_a_port_taken():
    (port,) = free_ports(1)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen()
    client = socket.create_connection(("127.0.0.1", port))
    server_side, _ = listener.accept()
    server_side.close()  # the server closes first: its side of the connection stays in TIME_WAIT
    time.sleep(0.2)
    client.close()
    listener.close()
    plain = socket.socket()
    with pytest.raises(OSError):  # a bind without SO_REUSEADDR (what the harness did) calls it taken
        plain.bind(("", port))
    plain.close()
    assert port_is_free(port)  # as Milvus binds it: free


@pytest.mark.parametrize("where", ["command line", "MILVUS_RUN_DIR"])
def test_a_server_of_a_run_that_is_over_is_waited_for(where):
    """The run's scratch folder (its name carries the run's controller pid) names the run: in the
    server's command line, or in the MILVUS_RUN_DIR of an embedded server, which runs the cached binary."""
    (port,) = free_ports(1)
    run_dir = f"/tmp/milvus-conformance-run-{gone_pid()}-x/servers/default_port/run"
    holder = hold(port, 1.5, run_dir) if where == "command line" else hold(port, 1.5, env={"MILVUS_RUN_DIR": run_dir})
    try:
        started = time.monotonic()
        assert wait_for_port(port, seconds=20) is True
        assert 0.5 < time.monotonic() - started < 15
    finally:
        holder.kill()
        holder.wait()


def test_anything_else_holding_the_port_is_reported_at_once():
    (port,) = free_ports(1)
    for tag in (f"/tmp/milvus-conformance-run-{os.getpid()}-x/servers/bin/milvus",  # a live run's server
                "some-other-program"):
        holder = hold(port, 60, tag)
        try:
            started = time.monotonic()
            assert wait_for_port(port, seconds=20) is False
            assert time.monotonic() - started < 5
            assert describe_listener(port).startswith(f"pid {holder.pid} (")  # named in the skip
        finally:
            holder.kill()
            holder.wait()


@pytest.mark.slow
@pytest.mark.usefixtures("documented_ports")
def test_two_runs_back_to_back_both_get_the_documented_ports(run_suite):
    """The second run starts as soon as the first has stopped its server on 19530/9091."""
    first = run_suite("--scenarios", str(SCENARIOS_DIR / "defaults" / "defaults.yaml"), "--driver", "python")
    first_cells = {o["scenario"]["id"]: o for o in first.results["outcomes"]}
    second = run_suite("--scenarios", str(SCENARIOS_DIR / "defaults" / "defaults.yaml"), "--driver", "python")
    second_cells = {o["scenario"]["id"]: o for o in second.results["outcomes"]}
    for cells in (first_cells, second_cells):
        assert cells["defaults.everything"]["outcome"] == "pass", cells["defaults.everything"]["message"]
        assert cells["defaults.everything"]["server"]["grpc_port"] == 19530
    assert not second.port_taken_skips()
