"""Server actions for fault scenarios, on a server private to one scenario.

stop/start keep the address the driver knows (the gRPC and HTTP ports), so
a "start" is the same server from the client's point of view; pause/resume
freeze the process (SIGSTOP/SIGCONT): it still accepts TCP in the kernel
but never answers, like a hung server."""

import os
import signal
import time
from pathlib import Path

from ..errors import ServerStartError
from ..servers.embedded import EmbeddedServer, choose_ports

STATE_WAIT_SECONDS = 5  # SIGSTOP/SIGCONT reach every thread in milliseconds; more is a harness problem


class _SameAddress(EmbeddedServer):
    """An embedded server that comes back on the gRPC and HTTP ports it had."""

    def __init__(self, *args, grpc_port: int, http_port: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed = {"proxy_port": grpc_port, "http_port": http_port}

    def _choose_ports(self) -> dict:
        return {**choose_ports(self.profile), **self.fixed}


class ServerControl:
    ACTIONS = ("stop", "start", "restart", "pause", "resume")

    def __init__(self, server: EmbeddedServer, endpoint):
        self.server = server
        self.endpoint = endpoint
        self.running = True
        self.paused = False

    def act(self, action: str) -> dict:
        started = time.perf_counter()
        if action not in self.ACTIONS:
            raise ServerStartError(f"unknown server action '{action}'")
        getattr(self, f"_{action}")()
        return {"action": action, "running": self.running, "paused": self.paused,
                "seconds": round(time.perf_counter() - started, 3)}

    def server_pid(self) -> int:
        """The server's process, as this machine sees it (a container's init for containers)."""
        return self.server.server_pid() if hasattr(self.server, "server_pid") else int(
            self.endpoint.extra.get("server_pid") or 0)

    def _signal(self, sig) -> None:
        pid = self.server.server_pid()
        if not pid:
            raise ServerStartError("the private server has no process to signal")
        os.kill(pid, sig)
        # kill() returns before the signal has reached every thread: a thread running on the other core
        # goes on for a moment (long enough, on a loaded machine, to answer a connection made next).
        # The step's next connection must meet a frozen server, as `docker pause` (cgroup freezer) gives.
        _wait_until_threads(pid, stopped=sig == signal.SIGSTOP)

    @property
    def _native(self) -> bool:
        """Providers with their own controls (a container: docker pause, stop, start)."""
        return hasattr(self.server, "stop_server")

    def _pause(self):
        self.server.pause() if self._native else self._signal(signal.SIGSTOP)
        self.paused = True

    def _resume(self):
        self.server.resume() if self._native else self._signal(signal.SIGCONT)
        self.paused = False

    def _stop(self):
        if self.paused:
            self._resume()
        self.server.stop_server() if self._native else self.server.stop()
        self.running = False

    def _start(self):
        if self.running:
            return
        if self._native:  # same container, ports and data
            self.server.start_server()
            self.running = True
            return
        old = self.server
        self.server = old.again_at(self.endpoint.grpc_port, self.endpoint.http_port) if hasattr(old, "again_at") \
            else _SameAddress(old.profile, old.workdir, old.log_path, old.owner_pid, version=old.version,
                              grpc_port=self.endpoint.grpc_port, http_port=self.endpoint.http_port)
        self.server.start()
        self.running = True
        from ..servers.admin import prepare_endpoint

        prepare_endpoint(self.endpoint)

    def _restart(self):
        self._stop()
        self._start()

    def restore(self) -> None:
        """Back to running and answering, as the scenario found it (before a rerun or a reproducer)."""
        if self.paused:
            self._resume()
        if not self.running:
            self._start()

    def close(self):
        if self.paused:
            self._resume()
        self.server.stop()
        self.running = False


def _thread_states(pid: int) -> "list[str]":
    """The scheduler state letter of each thread of `pid` (/proc/PID/task/TID/stat, after the name)."""
    states = []
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            states.append(stat.read_text().rsplit(")", 1)[1].split()[0])
        except (OSError, IndexError):  # a thread that ended meanwhile
            continue
    return states


def _wait_until_threads(pid: int, stopped: bool, timeout: float = STATE_WAIT_SECONDS) -> None:
    """Return once every thread of `pid` is stopped (T), or none is; a server that does not get there
    within `timeout` is a harness problem, said as such."""
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        states = _thread_states(pid)
        if not states:  # the process is gone: the next step says what that means
            return
        # stopped: no thread runs (a thread ending, Z or X, runs no more either); resumed: none is stopped
        if all(s in "TtZX" for s in states) if stopped else not any(s in "Tt" for s in states):
            return
        time.sleep(0.005)
    raise ServerStartError(f"the private server (pid {pid}) was not {'stopped' if stopped else 'running again'} "
                           f"{timeout} s after its signal; thread states {sorted(set(_thread_states(pid)))}")

