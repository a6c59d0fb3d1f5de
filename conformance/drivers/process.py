"""One running driver: JSON lines over pipes, deadlines, restarts (PROTOCOL sections 4-6).

A driver that hangs past its deadline, exits, or answers garbage is killed;
the request raises DriverError with the driver's stderr tail (the test is an
error, never a pass), and the next request starts a fresh process.

Requests may be pipelined: `send` writes a request without waiting and
`receive` reads the answers in order, so a scenario's consecutive steps cost
the driver no wait on the harness between them. Each answer gets its own
deadline, counted from the previous answer (when the driver started on it).
Answers to requests nobody waits for any more (a scenario that stopped early)
are read and dropped before the next one."""

import ctypes
import itertools
import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path

from ..errors import DriverError
from .build import Build, expand
from .registry import Manifest

PROTOCOL_VERSION = 2
ANSWERERS = ("sdk", "driver")  # who produced an answer (PROTOCOL section 4)
DEADLINE_GRACE_SECONDS = 5
HELLO_DEADLINE_SECONDS = 120  # a cold JVM or node start on a loaded 2-core machine
STDERR_TAIL_CHARS = 4000
ABANDON_PATIENCE_SECONDS = 2.0


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
        self._buffer = b""
        self._pending = []  # (id, op, deadline_seconds) sent and not yet answered, oldest first
        self._ids = itertools.count(1)
        self.restarts = 0

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> dict:
        command = expand(self.manifest.run_command, self.manifest, build_dir=self.build.build_dir,
                         sdk=self.build.request, sdk_version=self.build.version)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MILVUS_")}
        self.stderr_path.parent.mkdir(parents=True, exist_ok=True)
        # Temporary files a driver makes go beside its stderr, in the run's scratch folder, whose janitor
        # removes them even when the driver is killed before it could clean up after itself.
        env["TMPDIR"] = str(self.stderr_path.parent / "tmp")
        os.makedirs(env["TMPDIR"], exist_ok=True)
        stderr = open(self.stderr_path, "ab")
        try:
            self.proc = subprocess.Popen(command, cwd=self.manifest.driver_dir, env=env, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=stderr, preexec_fn=_die_with_parent)
        except OSError as exc:
            raise DriverError(f"driver '{self.manifest.name}' could not start ({' '.join(command)}): {exc}")
        finally:
            stderr.close()
        self._buffer, self._pending = b"", []
        response = self.receive(self.send("hello", {"protocol": PROTOCOL_VERSION}, HELLO_DEADLINE_SECONDS))
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
        self._pending = []

    def stderr_tail(self) -> str:
        try:
            data = self.stderr_path.read_bytes()[-STDERR_TAIL_CHARS:]
        except OSError:
            return ""
        return data.decode("utf-8", "replace")

    # -- requests -----------------------------------------------------------
    def request(self, op: str, args: dict, deadline_seconds: float) -> dict:
        return self.receive(self.send(op, args, deadline_seconds))

    def send(self, op: str, args: dict, deadline_seconds: float) -> int:
        """Write one request without waiting for its answer; returns its id for `receive`."""
        if self.proc is None:
            self.restarts += 1
            self.start()
        request_id = next(self._ids)
        line = json.dumps({"id": request_id, "op": op, "args": args, "deadline_ms": int(deadline_seconds * 1000)})
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except OSError as exc:
            tail = self.stderr_tail()
            self._kill()
            raise DriverError(f"driver '{self.manifest.name}' is gone (writing '{op}' failed: {exc})",
                              stderr_tail=tail)
        self._pending.append((request_id, op, deadline_seconds))
        return request_id

    def receive(self, request_id: int) -> dict:
        """The answer to `request_id`; answers to older requests still pending are read and dropped."""
        if not any(pending[0] == request_id for pending in self._pending):
            raise DriverError(f"driver '{self.manifest.name}': request {request_id} is not pending "
                              f"(its answer was already read or dropped, or the driver was restarted since)")
        while True:
            expected, op, deadline_seconds = self._pending[0]
            response = self._read_answer(expected, op, deadline_seconds)
            self._pending.pop(0)
            if expected == request_id:
                return response

    def abandon_pending(self, patience_seconds: float = ABANDON_PATIENCE_SECONDS) -> None:
        """Drop the answers nobody will read (a scenario stopped before its last step): read them
        for a short while, then kill the driver rather than let them delay the next scenario."""
        limit = time.monotonic() + patience_seconds
        while self._pending and self.proc is not None:
            raw = self._read_line(limit)
            if raw is None or raw == "deadline":
                self._kill()
                return
            self._pending.pop(0)

    def _read_answer(self, request_id: int, op: str, deadline_seconds: float) -> dict:
        name = self.manifest.name
        raw = self._read_line(time.monotonic() + deadline_seconds + DEADLINE_GRACE_SECONDS)
        if raw == "deadline":
            self._kill()
            raise DriverError(f"driver '{name}' did not answer '{op}' within its deadline of "
                              f"{deadline_seconds:.0f} s (+{DEADLINE_GRACE_SECONDS} s); killed it",
                              stderr_tail=self.stderr_tail())
        if raw is None:
            code = self.proc.wait() if self.proc else None
            self.proc, self._pending = None, []
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
        if response.get("answered_by") not in ANSWERERS:
            self._kill()
            raise DriverError(f"driver '{name}' answered '{op}' without saying who produced the answer "
                              f"(answered_by: sdk or driver, drivers/PROTOCOL.md section 4): {str(response)[:200]}",
                              stderr_tail=self.stderr_tail())
        return response

    def _read_line(self, limit: float):
        """The next stdout line; None at end of output (the driver exited); "deadline" past `limit`.
        Read here with select, not by a pump thread: a thread hand-off per answer costs more
        than the SDK calls being measured."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            # past the limit, still look once: on a busy machine the harness may get a core only after the
            # answer came in, and an answer in the pipe is on time
            remaining = max(0.0, limit - time.monotonic())
            if not select.select([fd], [], [], remaining)[0]:
                return "deadline"
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line
