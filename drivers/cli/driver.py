"""milvus-conformance driver for the Milvus CLI (PyPI `milvus-cli`, command
`milvus_cli`), speaking drivers/PROTOCOL.md (JSON lines on stdin/stdout).

It drives the real CLI the way a person does: it starts the interactive
`milvus_cli` on a pseudo-terminal (TERM=dumb), types command lines and reads
what the CLI prints until the next `milvus_cli > ` prompt. Outcomes come from
that text (stdout on the terminal, stderr on a pipe) and, when the CLI dies,
from its exit status. The driver never imports milvus_cli or pymilvus.

Each driver alias is one interactive CLI session (a person's terminal
window), so connect state persists per alias. What each installed version
accepts is read from its own `connect --help` and `help` at start-up, and the
line typed for each op comes from clikit.command() (shared with the
reproducer):
  * 0.1-0.3 (`connect -h -p -a -D [-u -pwd -s]`, the doc's syntax): connect
    types `connect [-a default] [-h H] [-p P] [-u U -pwd P]`, disconnect
    `connect -D [-a default]`;
  * 0.4+ (`connect -uri -t ...`, no -h/-p/-a/-D): connect types
    `connect [-uri http://H:P] [-t user:password | -t TOKEN]`; disconnect is
    `disconnect` where the version has it (1.2+), else `exit` (0.4-1.0);
  * the round trip is `server_version` where the version has it (1.2+), else
    `list collections`;
  * list_collections types `list collections` (every version) and reads the
    names from the table or list it prints.
A step the CLI has no way to express is answered by the driver
(answered_by: driver); everything read from the CLI is answered_by: sdk.

Runs on whatever Python the build chose for the CLI (3.8+): stdlib only.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from jsonlines import serve  # noqa: E402

from clikit import (DriverAnswer, Session, cli_version, command, detect,  # noqa: E402
                    read_exit, read_outcome)

PROTOCOL = 2
ALL_CAPS = ["connect.host_port", "connect.port_string", "connect.uri", "connect.user_password", "connect.token",
            "connect.defaults", "disconnect", "server_version", "list_collections"]
BUILD_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(sys.executable))))


class Driver:
    """Every driver alias is one interactive milvus_cli session (like a user's
    terminal window); the CLI's own connection inside it is its default one."""

    def __init__(self):
        self.version = cli_version(BUILD_DIR)
        self.home = tempfile.mkdtemp(prefix="milvus-cli-driver-home-")
        self.sessions = {}      # driver alias -> Session
        self.spare = None       # a started session not yet given to an alias
        self.features = None
        self.runtime = ""

    # -- sessions -----------------------------------------------------------
    def session_for(self, alias):
        """The alias's session; a fresh (unconnected) CLI if it has none, as a person
        opens a new terminal: its answers are then the CLI's own."""
        s = self.sessions.get(alias)
        if s is None or not s.alive():
            if self.spare is not None and self.spare.alive():
                s, self.spare = self.spare, None
            else:
                s = Session(self.home)
            self.sessions[alias] = s
        return s

    def forget(self, session):
        for a, s in list(self.sessions.items()):
            if s is session:
                del self.sessions[a]

    def ensure_features(self):
        """Detect on a session of its own, then drop it: every alias's CLI starts fresh."""
        if self.features is None:
            s = Session(self.home)
            try:
                self.features = detect(s)
                m = re.search(r"Pymilvus version:\s*(\S+)", s.banner)
                self.runtime = "milvus_cli %s (interactive, pty) on Python %s%s" % (
                    self.version, sys.version.split()[0], (", pymilvus %s" % m.group(1)) if m else "")
                self.features["startup_ms"] = round(s.start_ms, 1)
            finally:
                s.kill()
        return self.features

    def capabilities(self):
        f = self.ensure_features()
        # disconnect: connect -D, disconnect or exit; list_collections: `list collections`, in every version
        caps = {"connect.defaults", "server_version", "disconnect", "list_collections"}
        if f["host"] and f["port"]:
            caps |= {"connect.host_port", "connect.port_string"}  # -p takes text: a string port is typed as is
        if f["uri"]:
            # -uri http://H:P. It wants a scheme (a bare host:port is refused by every version
            # tried), so connect.address is not claimed.
            caps |= {"connect.host_port", "connect.uri"}
        if (f["user"] and f["password"]) or f["token"]:
            caps.add("connect.user_password")
        if f["token"]:  # 0.4+: -t TOKEN, handed to pymilvus' token
            caps.add("connect.token")
        return [c for c in ALL_CAPS if c in caps]

    def close_all(self):
        """Leave every CLI session (Ctrl-D, all at once), kill stragglers."""
        doomed = list(self.sessions.values())
        self.sessions.clear()
        for s in doomed:
            s.request_exit()
        end = time.monotonic() + 2.0
        for s in doomed:
            try:
                s.proc.wait(timeout=max(0.05, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            s.kill()
        return len(doomed)

    # -- ops ------------------------------------------------------------------
    def op_hello(self, args):
        self.ensure_features()
        return {"protocol": PROTOCOL, "driver": "cli", "language": "cli", "runtime": self.runtime,
                "sdk": {"name": "milvus-cli", "version": self.version},
                "capabilities": self.capabilities(), "cli": self.features}

    def op_reset(self, args):
        """A fresh process's state: no CLI running, an empty HOME (the CLI keeps its
        connection and prompt history there); a spare CLI is started for the next scenario."""
        n = self.close_all()
        for name in os.listdir(self.home):
            path = os.path.join(self.home, name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)
        if self.spare is not None:
            self.spare.kill()
        self.spare = Session(self.home)
        return {"closed": n}

    def deadline(self, req):
        try:
            d = float(req.get("deadline_ms")) / 1000.0
        except (TypeError, ValueError):
            d = 30.0
        return max(1.0, d - 1.5)

    def op(self, op, args, req):
        """Type the op's line into the alias's CLI and read the outcome from what it printed.
        -> (ok, result, error, warnings, ms)."""
        alias, line, warnings, unsupported = command(self.ensure_features(), self.version, op, args)
        session = self.session_for(alias)
        if line == "exit":  # 0.4-1.0: leaving the CLI is the only way to close its connection
            status, out, ms = session.exit(timeout=self.deadline(req))
            self.forget(session)
            ok, result, error = read_exit(status, out)
        else:
            res = session.run(line, self.deadline(req))
            warnings += res["pywarnings"]
            if res["timed_out"] or not res["alive"]:
                self.forget(session)
                session.kill()
            ok, result, error = read_outcome(line, res, op)
            if ok and res["err"].strip():
                warnings.append("milvus_cli stderr: " + res["err"].strip()[-1000:])
            ms = res["ms"]
        if op in ("connect", "disconnect"):
            result["unsupported_options"] = unsupported
        return ok, result, error, warnings, ms

    # -- loop ---------------------------------------------------------------
    def handle(self, req):
        op = req.get("op")
        args = req.get("args") or {}
        t0 = time.monotonic()
        try:
            if op in ("hello", "reset"):
                result = self.op_hello(args) if op == "hello" else self.op_reset(args)
                return {"ok": True, "answered_by": "driver", "result": result, "warnings": [],
                        "elapsed_ms": round((time.monotonic() - t0) * 1000.0, 3)}
            ok, result, error, warnings, ms = self.op(op, args, req)
            response = {"ok": ok, "answered_by": "sdk", "result": result, "warnings": warnings,
                        "elapsed_ms": round(ms, 3)}
            if error:
                response["error"] = error
            return response
        except DriverAnswer as e:  # the CLI was not asked: it has no way to express the step, or did not start
            return {"ok": False, "answered_by": "driver", "error": e.error, "warnings": [],
                    "elapsed_ms": round((time.monotonic() - t0) * 1000.0, 3)}
        except Exception as e:  # a driver bug: say so, keep serving
            import traceback
            traceback.print_exc(file=sys.stderr)
            return {"ok": False, "answered_by": "driver", "warnings": [],
                    "elapsed_ms": round((time.monotonic() - t0) * 1000.0, 3),
                    "error": {"category": "unknown", "type": "driver_" + type(e).__name__, "code": None,
                              "message": str(e)}}

    def shutdown(self):
        try:
            self.close_all()
        finally:
            if self.spare is not None:
                self.spare.kill()
            shutil.rmtree(self.home, ignore_errors=True)


def main():
    driver = Driver()

    def on_term(signum, frame):
        driver.shutdown()
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    try:
        serve(driver.handle, "cli")
    finally:
        driver.shutdown()


if __name__ == "__main__":
    main()
