"""Loopback port helpers: free ports, whether a documented port is free, who holds it."""

import contextlib
import os
import re
import socket
import time
from typing import Optional

from .pids import alive

# The scratch folder of a run carries its controller's pid (conformance/run.py, SCRATCH_PREFIX); a
# server's command line or its MILVUS_RUN_DIR (an embedded server's run folder) lies in it.
SUITE_SERVER = re.compile(r"milvus-conformance-run-(\d+)-")
PORT_WAIT_SECONDS = 30  # a server of an ended run stops within seconds (its keeper: SIGTERM, 3 s, SIGKILL)


def free_ports(count: int) -> list:
    """`count` distinct ports that were free a moment ago (the kernel picks them)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def port_is_free(port: int) -> bool:
    """True when a server could listen on `port` now: bound the way Milvus binds (Go's listeners
    set SO_REUSEADDR), so the TIME_WAIT connections a server that just stopped leaves behind do not
    count as taken; a listener does."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


def listener_pid(port: int) -> Optional[int]:
    """Best effort: the process listening on a TCP port."""
    try:
        inode = None
        with open("/proc/net/tcp") as tcp, open("/proc/net/tcp6") as tcp6:
            for line in list(tcp)[1:] + list(tcp6)[1:]:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "0A":
                    inode = parts[9]
                    break
        if inode is None:
            return None
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if any(os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]" for fd in os.listdir(f"/proc/{pid}/fd")):
                    return int(pid)
            except OSError:
                continue
    except OSError:
        pass
    return None


def _proc_text(pid: int, name: str) -> str:
    """/proc/<pid>/<name> (cmdline, environ) as one line of text; "" when it cannot be read."""
    try:
        with open(f"/proc/{pid}/{name}", "rb") as data:
            return data.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def describe_listener(port: int) -> str:
    """Best effort: which process holds a TCP port (for the 'port taken' message)."""
    pid = listener_pid(port)
    return f"pid {pid} ({_proc_text(pid, 'cmdline')[:120]})" if pid else ""


def ending_suite_server(pid: int) -> bool:
    """Whether `pid` is a server this suite started for a run that is over (its controller is gone):
    its keeper, or its container's watcher, is stopping it. An embedded server runs the cached
    binary; its MILVUS_RUN_DIR lies in its run's scratch folder, which names the run."""
    match = SUITE_SERVER.search(_proc_text(pid, "cmdline")) or SUITE_SERVER.search(_proc_text(pid, "environ"))
    if match:
        return not alive(int(match.group(1)))
    from .container import container_of_ended_run  # a containerized server: its labels name the run

    return container_of_ended_run(pid)


def wait_for_port(port: int, seconds: float = PORT_WAIT_SECONDS) -> bool:
    """True once `port` is free. Waits, up to `seconds`, only while it is held by a server of this
    suite that is shutting down; anything else holding it answers False at once."""
    limit, judged = time.monotonic() + seconds, {}  # pid -> whether it is ending (asked once per holder)
    while not port_is_free(port):
        pid = listener_pid(port)
        if pid and pid not in judged:
            judged[pid] = ending_suite_server(pid)
        if (pid and not judged[pid]) or time.monotonic() > limit:
            return False
        time.sleep(0.25)
    return True
