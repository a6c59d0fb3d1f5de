"""One running driver: JSON lines over pipes, deadlines, restarts (PROTOCOL sections 4-6).

A driver that hangs past its deadline, exits, or answers garbage is killed;
the request raises DriverError with the driver's stderr tail (the test is an
error, never a pass), and the next request starts a fresh process."""

import ctypes
import itertools
import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

from ..errors import DriverError
from .build import Build, expand
from .registry import Manifest

PROTOCOL_VERSION = 1
DEADLINE_GRACE_SECONDS = 5
HELLO_DEADLINE_SECONDS = 120  # a cold JVM or node start on a loaded 2-core machine
STDERR_TAIL_CHARS = 4000


def _die_with_parent():
    """Runs in the child before exec: SIGKILL it when the harness process dies. (Linux ties
    this to the *thread* that started the child: start drivers from long-lived threads.)"""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class DriverProcess:
    def __init__(self, manifest: Manifest, build: Build, stderr_path: Path):
        self.manifest = manifest
        self.build = build
        self.stderr_path = stderr_path
        self.proc = None
        self.hello = None
        self._lines = None
        self._ids = itertools.count(1)
        self.restarts = 0

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> dict:
        command = expand(self.manifest.run_command, self.manifest, build_dir=self.build.build_dir,
                         sdk=self.build.request, sdk_version=self.build.version)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MILVUS_")}
        self.stderr_path.parent.mkdir(parents=True, exist_ok=True)
        stderr = open(self.stderr_path, "ab")
        try:
            self.proc = subprocess.Popen(command, cwd=self.manifest.driver_dir, env=env, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=stderr, preexec_fn=_die_with_parent)
        except OSError as exc:
            raise DriverError(f"driver '{self.manifest.name}' could not start ({' '.join(command)}): {exc}")
        finally:
            stderr.close()
        self._lines = queue.Queue()
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._lines), daemon=True).start()
        response = self._exchange("hello", {"protocol": PROTOCOL_VERSION}, HELLO_DEADLINE_SECONDS)
        if not response.get("ok"):
            self.stop()
            raise DriverError(f"driver '{self.manifest.name}' refused hello: {response.get('error')}",
                              stderr_tail=self.stderr_tail())
        hello = response["result"]
        if hello.get("protocol") != PROTOCOL_VERSION:
            self.stop()
            raise DriverError(f"driver '{self.manifest.name}' speaks protocol {hello.get('protocol')}, "
                              f"the harness speaks {PROTOCOL_VERSION} (drivers/PROTOCOL.md, section 9)")
        self.hello = hello
        return hello

    @staticmethod
    def _pump(stream, lines):
        for line in iter(stream.readline, b""):
            lines.put(line)
        lines.put(None)  # end of output: the driver exited

    def stop(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()  # drivers exit at end of input
            self.proc.wait(timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def _kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def stderr_tail(self) -> str:
        try:
            data = self.stderr_path.read_bytes()[-STDERR_TAIL_CHARS:]
        except OSError:
            return ""
        return data.decode("utf-8", "replace")

    # -- requests -----------------------------------------------------------
    def request(self, op: str, args: dict, deadline_seconds: float) -> dict:
        if self.proc is None:
            self.restarts += 1
            self.start()
        return self._exchange(op, args, deadline_seconds)

    def _exchange(self, op: str, args: dict, deadline_seconds: float) -> dict:
        request_id = next(self._ids)
        line = json.dumps({"id": request_id, "op": op, "args": args, "deadline_ms": int(deadline_seconds * 1000)})
        name = self.manifest.name
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except OSError as exc:
            tail = self.stderr_tail()
            self._kill()
            raise DriverError(f"driver '{name}' is gone (writing '{op}' failed: {exc})", stderr_tail=tail)
        limit = time.monotonic() + deadline_seconds + DEADLINE_GRACE_SECONDS
        while True:
            try:
                raw = self._lines.get(timeout=max(0.0, limit - time.monotonic()))
            except queue.Empty:
                self._kill()
                raise DriverError(f"driver '{name}' did not answer '{op}' within its deadline of "
                                  f"{deadline_seconds:.0f} s (+{DEADLINE_GRACE_SECONDS} s); killed it",
                                  stderr_tail=self.stderr_tail())
            if raw is None:
                code = self.proc.wait() if self.proc else None
                self.proc = None
                raise DriverError(f"driver '{name}' exited (status {code}) while running '{op}'",
                                  stderr_tail=self.stderr_tail())
            try:
                response = json.loads(raw)
            except ValueError:
                self._kill()
                raise DriverError(f"driver '{name}' wrote a line that is not JSON while running '{op}': "
                                  f"{raw[:200]!r} (stdout is reserved for the protocol)", stderr_tail=self.stderr_tail())
            if not isinstance(response, dict) or response.get("id") != request_id or "ok" not in response:
                self._kill()
                raise DriverError(f"driver '{name}' answered '{op}' with {str(response)[:200]} instead of a response "
                                  f"with id {request_id} and 'ok'", stderr_tail=self.stderr_tail())
            return response
