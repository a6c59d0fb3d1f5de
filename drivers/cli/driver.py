"""milvus-conformance driver for the Milvus CLI (PyPI `milvus-cli`, command
`milvus_cli`), speaking drivers/PROTOCOL.md (JSON lines on stdin/stdout).

It drives the real CLI the way a person does: it starts the interactive
`milvus_cli` on a pseudo-terminal (TERM=dumb), types command lines and reads
what the CLI prints until the next `milvus_cli > ` prompt. Outcomes come from
that text (stdout on the terminal, stderr on a pipe) and, when the CLI dies,
from its exit status. The driver never imports milvus_cli or pymilvus.

Each driver alias is one interactive CLI session (like a user's terminal
window), so connect state persists per alias. What each installed version
accepts is read from its own `connect --help` and `help` at start-up:
  * 0.1-0.3 (`connect -h -p -a -D [-u -pwd -s]`, the doc's syntax): connect
    types `connect [-a default] [-h H] [-p P] [-u U -pwd P]`, disconnect
    `connect -D [-a default]`. The CLI-level alias is always "default": these
    versions run every command except connect on alias "default", so a
    connection made with `-a main` could not be used by anything (a warning
    says so when the driver alias is not "default").
  * 0.4+ (`connect -uri -t ...`, no -h/-p/-a/-D): connect types
    `connect [-uri http://H:P] [-t user:password]`; disconnect is
    `disconnect` where the version has it (1.2+), else `exit` (0.4-1.0).
  * The round trip is `server_version` where the version has it (1.2+), else
    `list collections` (result.version is then "").
Documented options (-h/-p/-a/-D) missing from the version are reported in
result.unsupported_options and in warnings.

Runs on whatever Python the build chose for the CLI (3.8+): stdlib only.
"""

import fcntl
import json
import os
import pty
import re
import select
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from jsonlines import serve  # noqa: E402


PROTOCOL = 1
PROMPT = "milvus_cli > "
DOC_OPTIONS = ("-h", "-p", "-a", "-D")
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*(?:\x07|\x1b\\)|\x1b[=>()][0-9A-Za-z]?")
ALL_CAPS = ["connect.host_port", "connect.uri", "connect.user_password",
            "connect.defaults", "disconnect", "server_version"]

BIN_DIR = os.path.dirname(os.path.abspath(sys.executable))
CLI_EXE = os.path.join(BIN_DIR, "milvus_cli")
BUILD_DIR = os.path.dirname(os.path.dirname(BIN_DIR))


def log(msg):
    sys.stderr.write("[cli-driver] %s\n" % msg)
    sys.stderr.flush()


def cli_version():
    try:
        with open(os.path.join(BUILD_DIR, "build.json")) as f:
            v = json.load(f).get("sdk_version")
            if v:
                return v
    except Exception:
        pass
    try:
        try:
            import importlib.metadata as md
        except ImportError:  # pragma: no cover
            import importlib_metadata as md  # type: ignore
        return md.version("milvus-cli")
    except Exception:
        return "unknown"


class DriverFailure(Exception):
    """An error answer built by the driver itself (not from CLI output)."""

    def __init__(self, category, type_, message, code=None):
        super().__init__(message)
        self.error = {"category": category, "type": type_, "code": code, "message": message}


# ---------------------------------------------------------------------------
# One interactive milvus_cli process on a pseudo-terminal.

class Session:
    counter = 0

    def __init__(self, home, start_timeout=120.0):
        Session.counter += 1
        self.name = "s%d" % Session.counter
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MILVUS_", "ZILLIZ_"))}
        env.update(TERM="dumb", HOME=home, COLUMNS="400", LINES="50", PYTHONIOENCODING="utf-8")
        master, slave = pty.openpty()
        # A wide terminal: no line wrapping or readline horizontal scrolling.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 400, 0, 0))
        self.proc = subprocess.Popen(
            [CLI_EXE], stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=env,
            cwd=home, close_fds=True, start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.err_fd = self.proc.stderr.fileno()
        fl = fcntl.fcntl(self.err_fd, fcntl.F_GETFL)
        fcntl.fcntl(self.err_fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
        self.exit_status = None
        t0 = time.monotonic()
        out, err, alive = self._read_until_prompt(start_timeout)
        self.start_ms = (time.monotonic() - t0) * 1000.0
        self.banner = out
        if not alive or not out.endswith(PROMPT):
            self.kill()
            raise DriverFailure("unknown", "cli_start",
                                "milvus_cli did not show its prompt (exit status %s): %s"
                                % (self.exit_status, (err or out).strip()[-2000:]))
        self.banner_err = err

    # -- low level ----------------------------------------------------------
    def alive(self):
        return self.proc.poll() is None

    def _drain_err(self):
        chunks = []
        while True:
            try:
                b = os.read(self.err_fd, 65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)

    def _read_until_prompt(self, timeout):
        """Read terminal output until the prompt is shown again.
        Returns (cleaned stdout text, stderr text, alive)."""
        raw = b""
        err = b""
        deadline = time.monotonic() + timeout
        eof = False
        seen_prompt_at = None
        while True:
            now = time.monotonic()
            if seen_prompt_at is not None and now - seen_prompt_at >= 0.03:
                break
            if now >= deadline:
                break
            wait = min(0.03 if seen_prompt_at is not None else 0.25, deadline - now)
            fds = [self.master] + ([self.err_fd] if self.err_fd is not None else [])
            try:
                r, _, _ = select.select(fds, [], [], wait)
            except InterruptedError:
                continue
            if self.master in r:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    eof = True
                    break
                raw += chunk
                seen_prompt_at = time.monotonic() if clean(raw).endswith(PROMPT) else None
            if self.err_fd in r:
                err += self._drain_err()
        err += self._drain_err()
        if eof or not self.alive():
            try:
                self.exit_status = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            err += self._drain_err()
            return clean(raw), err.decode("utf-8", "replace"), False
        return clean(raw), err.decode("utf-8", "replace"), seen_prompt_at is not None

    # -- one command line -----------------------------------------------------
    def run(self, line, timeout):
        """Type `line` + Enter; return dict(out, err, alive, timed_out, exit_status, ms)."""
        if not self.alive():
            raise DriverFailure("unknown", "cli_exit",
                                "milvus_cli session ended before the command (exit status %s)"
                                % self.exit_status, code=self.exit_status)
        self._drain_err()
        t0 = time.monotonic()
        os.write(self.master, (line + "\r").encode("utf-8"))
        out, err, ok = self._read_until_prompt(timeout)
        ms = (time.monotonic() - t0) * 1000.0
        alive = self.alive()
        timed_out = alive and not ok
        text = strip_echo(out, line)
        if text.endswith(PROMPT):
            text = text[: -len(PROMPT)]
        err, pywarns = split_warnings(err.strip("\n"))
        return {"out": text.strip("\n"), "err": err, "pywarnings": pywarns, "alive": alive,
                "timed_out": timed_out, "exit_status": self.exit_status, "ms": ms}

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.exit_status = self.proc.returncode
        self._close_fds()

    def _close_fds(self):
        for fd in (self.master,):
            try:
                os.close(fd)
            except OSError:
                pass
        self.master = -1
        try:
            self.proc.stderr.close()
        except Exception:
            pass
        self.err_fd = None

    def request_exit(self):
        """Leave without waiting: Ctrl-D at the prompt, which every version
        treats as end of input (EOFError) and exits on."""
        if self.proc.poll() is None and self.master >= 0:
            try:
                os.write(self.master, b"\x04")
            except OSError:
                pass

    def exit(self, timeout=3.0):
        """Leave the CLI as a user does: type `exit`; if the prompt comes back
        (milvus_cli 1.2.x ignores `exit`), press Ctrl-D; kill it if it lingers.
        Returns (exit_status, output)."""
        out = []
        end = time.monotonic() + timeout
        for keys, label in ((b"exit\r", "exit"), (b"\x04", "^D")):
            if self.proc.poll() is not None or self.master < 0:
                break
            try:
                os.write(self.master, keys)
            except OSError:
                break
            o, e, _ = self._read_until_prompt(max(0.2, end - time.monotonic()))
            text = (strip_echo(o, label) + "\n" + e).strip()
            if text:
                out.append(text)
            try:
                self.proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
            if self.proc.poll() is None:
                out.append("(still running after %s)" % label)
        self.kill()
        return self.exit_status, "\n".join(out)


def clean(raw):
    text = raw.decode("utf-8", "replace")
    text = ANSI_RE.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def strip_echo(text, line):
    """Drop the echo of the typed line (the terminal's and/or the CLI's own)."""
    lines = text.split("\n")
    while lines:
        first = lines[0].strip()
        if first and (first == line.strip() or (first.startswith("<") and line.endswith(first[1:]))):
            lines.pop(0)
            continue
        if first == "" and len(lines) > 1 and lines[1].strip() == line.strip():
            lines.pop(0)
            continue
        break
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Reading outcomes from CLI text.

CATEGORY_RULES = [
    # (category, regex) in priority order, matched against the error text.
    ("alias_conflict", r"already creating connections, but the configure is not the same"),
    ("auth_failed", r"UNAUTHENTICATED|auth check failure|authenticat|incorrect (user ?name|password)"
                    r"|username or password|PERMISSION_DENIED|permission denied|code=1800"),
    ("tls_error", r"\bSSL\b|\bTLS\b|certificate|handshake"),
    ("not_connected", r"should create connect(ion)? first|ConnectionNotExist|Not connected|No connection"
                      r"|connect first|has not been connected"),
    # pymilvus's own failure to reach a server. pymilvus >= 2.4 words it "Fail connecting
    # to server on H:P, illegal connection params or server unavailable" for refused
    # ports, non-gRPC ports *and* rejected credentials alike (see the manifest's limitations).
    ("unavailable", r"Fail(ed)? connecting to server|failed to connect|StatusCode\.UNAVAILABLE|\bUNAVAILABLE\b"
                    r"|Connection refused|server (is )?not ready|Name or service not known|could not connect"
                    r"|Temporary failure in name resolution"),
    ("param_error", r"ParamError|Unsupport(ed)? db name|Invalid value for|is not a valid integer|No such option|requires an argument"
                    r"|out of range|could not be cast|illegal|invalid (host|port|uri|address)"
                    r"|Got unexpected extra argument|Missing option|Type of .* must be|must be (a|an) "),
    ("timeout", r"DEADLINE_EXCEEDED|Deadline Exceeded|timed out|TimeoutError"),
    ("not_implemented", r"NotImplementedError|not implemented"),
    ("internal", r"MilvusException|code=\d+"),
]


PYWARN_RE = re.compile(r"^\S.*?:\d+: \w*Warning: .*$")


def split_warnings(err):
    """Python warnings the CLI's libraries print (file:line: XWarning: msg + source line)
    are not CLI errors: return (error text, [warning lines])."""
    keep, warns = [], []
    lines = err.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if PYWARN_RE.match(line):
            warns.append(line.strip())
            if i + 1 < len(lines) and lines[i + 1].startswith("  "):
                i += 1
        else:
            keep.append(line)
        i += 1
    return "\n".join(keep).strip("\n"), warns


def categorize(text):
    for cat, rx in CATEGORY_RULES:
        if re.search(rx, text, re.IGNORECASE):
            return cat
    return "unknown"


def error_code(text):
    m = re.search(r"\bcode=(\-?\d+)", text)
    return int(m.group(1)) if m else None


def cli_error(res, line):
    """An error object from what the CLI printed for `line`."""
    if res["timed_out"]:
        return {"category": "unknown", "type": "driver_deadline", "code": None,
                "message": "milvus_cli printed no prompt within the deadline after %r; output so far: %s"
                           % (line, (res["err"] + "\n" + res["out"]).strip()[-1500:])}
    if not res["alive"]:
        msg = (res["err"] + "\n" + res["out"]).strip()
        return {"category": categorize(msg) if msg else "unknown", "type": "cli_exit",
                "code": res["exit_status"],
                "message": "milvus_cli exited (status %s) after %r: %s" % (res["exit_status"], line, msg[-2000:])}
    msg = res["err"].strip() or res["out"].strip() or "(milvus_cli printed nothing)"
    return {"category": categorize(msg), "type": "cli_output", "code": error_code(msg), "message": msg}


def table_value(text, key):
    m = re.search(r"\|\s*%s\s*\|\s*(.*?)\s*\|" % re.escape(key), text)
    return m.group(1) if m else None


# ---------------------------------------------------------------------------
# Parsing the installed version's help.

def parse_options(help_text):
    opts = set()
    in_opts = False
    for line in help_text.split("\n"):
        if line.strip().lower().startswith("options:"):
            in_opts = True
            continue
        if not in_opts:
            continue
        m = re.match(r"^\s{1,6}(-{1,2}[A-Za-z][\w-]*)(?:\s*,\s*(-{1,2}[A-Za-z][\w-]*))?", line)
        if m:
            opts.add(m.group(1))
            if m.group(2):
                opts.add(m.group(2))
    return opts


def parse_commands(help_text):
    cmds = set()
    in_cmds = False
    for line in help_text.split("\n"):
        if line.strip().lower().startswith("commands:"):
            in_cmds = True
            continue
        if in_cmds:
            m = re.match(r"^\s{1,6}([a-z_][\w-]*)\b", line)
            if m:
                cmds.add(m.group(1))
    return cmds


# ---------------------------------------------------------------------------
# The driver.

class Driver:
    """Every driver alias is one interactive milvus_cli session (like a user's
    terminal window); the CLI's own connection inside it is its default one."""

    def __init__(self):
        self.version = cli_version()
        self.home = tempfile.mkdtemp(prefix="milvus-cli-driver-home-")
        self.sessions = {}      # driver alias -> Session
        self.spare = None       # a started session not yet given to an alias
        self.features = None

    # -- sessions -----------------------------------------------------------
    def new_session(self):
        if self.spare is not None and self.spare.alive():
            s, self.spare = self.spare, None
            return s
        return Session(self.home)

    def session_for(self, key):
        """The alias's session; a fresh (unconnected) CLI if it has none, whose
        answers are then the CLI's own."""
        s = self.sessions.get(key)
        if s is None or not s.alive():
            s = self.new_session()
            self.sessions[key] = s
        return s

    def detect(self):
        s = self.new_session()
        conn_help = s.run("connect --help", 60)
        top_help = s.run("help", 60)
        opts = parse_options(conn_help["out"] + "\n" + conn_help["err"])
        cmds = parse_commands(top_help["out"] + "\n" + top_help["err"])
        if not opts:
            s.kill()
            raise DriverFailure("unknown", "cli_help", "could not read `connect --help`: %s"
                                % (conn_help["out"] + conn_help["err"])[-1500:])
        f = {
            "connect_options": sorted(opts),
            "commands": sorted(cmds),
            "syntax": "host_port" if "-h" in opts else "uri",
            "host": "-h" if "-h" in opts else None,
            "port": "-p" if "-p" in opts else None,
            "alias": "-a" if "-a" in opts else None,
            "disconnect_flag": "-D" if "-D" in opts else None,
            "user": "-u" if "-u" in opts else None,
            "password": "-pwd" if "-pwd" in opts else None,
            "secure": "-s" if "-s" in opts else None,
            "uri": "-uri" if "-uri" in opts else None,
            "token": "-t" if "-t" in opts else None,
            "disconnect_command": "disconnect" in cmds,
            "server_version_command": "server_version" in cmds,
            "startup_ms": round(s.start_ms, 1),
        }
        f["unsupported_doc_options"] = [o for o in DOC_OPTIONS if o not in opts]
        self.features = f
        self.spare = s
        return f

    def capabilities(self):
        f = self.features
        caps = ["connect.defaults", "server_version"]
        if (f["host"] and f["port"]) or f["uri"]:
            caps.append("connect.host_port")
        if f["uri"]:
            # -uri wants a scheme (http://H:P); a bare host:port is refused by every
            # version tried, so connect.address is not claimed.
            caps.append("connect.uri")
        if (f["user"] and f["password"]) or f["token"]:
            caps.append("connect.user_password")
        caps.append("disconnect")  # connect -D, disconnect, or exit: always some way
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
        if self.features is None:
            self.detect()
        f = self.features
        py = "%d.%d.%d" % sys.version_info[:3]
        banner = self.spare.banner if self.spare else ""
        m = re.search(r"Pymilvus version:\s*(\S+)", banner)
        return {
            "protocol": PROTOCOL,
            "driver": "cli",
            "language": "cli",
            "runtime": "milvus_cli %s (interactive, pty) on Python %s%s"
                       % (self.version, py, (", pymilvus %s" % m.group(1)) if m else ""),
            "sdk": {"name": "milvus-cli", "version": self.version},
            "capabilities": self.capabilities(),
            "cli": f,
        }, []

    def op_reset(self, args):
        n = self.close_all()
        if self.spare is None or not self.spare.alive():
            self.spare = Session(self.home)
        return {"closed": n}, []

    def _deadline(self, req):
        d = req.get("deadline_ms")
        try:
            d = float(d) / 1000.0
        except (TypeError, ValueError):
            d = 30.0
        return max(1.0, d - 1.5)

    def _run(self, session, line, req, warnings=None):
        res = session.run(line, self._deadline(req))
        if warnings is not None:
            warnings.extend(res["pywarnings"])
        if res["timed_out"] or not res["alive"]:
            self._forget(session)
            session.kill()
        return res

    def _forget(self, session):
        for a, s in list(self.sessions.items()):
            if s is session:
                del self.sessions[a]

    def _warn_stderr(self, res, warnings):
        if res["err"].strip():
            warnings.append("milvus_cli stderr: " + res["err"].strip()[-1000:])

    def _unsupported_arg(self, what):
        raise DriverFailure("unsupported_op", "unsupported_argument",
                            "milvus_cli %s connect has no option for %s (its options: %s)"
                            % (self.version, what, " ".join(self.features["connect_options"])))

    def _alias_note(self, alias, warnings):
        """0.1-0.3: -a names a connection, but every command except connect runs
        on alias 'default'; so the session's connection is always -a default."""
        if alias is not None and str(alias) != "default":
            warnings.append(
                "driver alias %r is this driver's CLI session; typed `-a default` because milvus_cli %s runs "
                "every command except connect on alias 'default' (a `-a %s` connection could not be used by "
                "any other command)" % (alias, self.version, alias))

    def op_connect(self, args, req):
        f = self.features
        warnings = []
        unsupported = []
        parts = ["connect"]
        alias = args.get("alias")
        key = "default" if alias is None else alias
        for k in ("handler", "pool", "db_name"):
            if k in args:
                self._unsupported_arg(repr(k))
        if "timeout" in args:
            warnings.append("timeout=%r not passed: milvus_cli connect has no timeout option" % (args["timeout"],))
        if f["syntax"] == "host_port":
            # 0.1-0.3: connect -a -h -p [-u -pwd] [-s], as the doc shows.
            for k in ("uri", "address", "token"):
                if k in args:
                    self._unsupported_arg(repr(k))
            if alias is not None:
                parts += [f["alias"], "default"]
                self._alias_note(alias, warnings)
            if "host" in args:
                parts += [f["host"], str(args["host"])]
            if "port" in args:
                parts += [f["port"], str(args["port"])]
            if "user" in args or "password" in args:
                if not (f["user"] and f["password"]):
                    self._unsupported_arg("user/password")
                if "user" in args:
                    parts += [f["user"], str(args["user"])]
                if "password" in args:
                    parts += [f["password"], str(args["password"])]
            if "secure" in args:
                if not f["secure"]:
                    self._unsupported_arg("secure")
                parts += [f["secure"], str(bool(args["secure"]))]
        else:
            # 0.4+: one connection per CLI, given as -uri [-t token].
            uri = None
            if "uri" in args:
                uri = str(args["uri"])
            elif "address" in args:
                uri = str(args["address"])
            elif "host" in args or "port" in args:
                host = str(args["host"]) if "host" in args else "127.0.0.1"
                uri = "http://" + host + ((":" + str(args["port"])) if "port" in args else "")
                if "host" not in args:
                    warnings.append("no host given: used 127.0.0.1, the host of the CLI's default uri")
                unsupported += ["-h"] if "host" in args else []
                unsupported += ["-p"] if "port" in args else []
            if alias is not None:
                unsupported.append("-a")
            if uri is not None:
                parts += [f["uri"], uri]
            token = None
            if "token" in args:
                token = str(args["token"])
            elif "user" in args or "password" in args:
                token = "%s:%s" % ("" if args.get("user") is None else args["user"],
                                   "" if args.get("password") is None else args["password"])
            if token is not None:
                if not f["token"]:
                    self._unsupported_arg("a token")
                parts += [f["token"], token]
            if "secure" in args:
                if "-tls" not in f["connect_options"]:
                    self._unsupported_arg("TLS")
                parts += ["-tls", "1" if args["secure"] else "0"]
        session = self.session_for(key)
        unsupported = [o for o in unsupported if o in f["unsupported_doc_options"]]
        if unsupported:
            warnings.append("documented option(s) %s do not exist in milvus_cli %s; used: %s"
                            % (" ".join(unsupported), self.version, " ".join(parts[1:]) or "(no options)"))
        line = " ".join(shlex.quote(p) for p in parts)
        res = self._run(session, line, req, warnings)
        result = {"command": line, "cli_output": res["out"], "unsupported_options": unsupported}
        if res["alive"] and not res["timed_out"] and "Connect Milvus successfully" in res["out"]:
            self._warn_stderr(res, warnings)
            addr = table_value(res["out"], "Address")
            if addr:
                result["address"] = addr
            return result, warnings, res["ms"]
        raise CliError(cli_error(res, line), res["ms"], warnings, result)

    def op_disconnect(self, args, req):
        f = self.features
        warnings = []
        alias = args.get("alias")
        key = "default" if alias is None else alias
        session = self.session_for(key)
        if f["disconnect_flag"]:
            # 0.1-0.3: connect -D [-a default]
            parts = ["connect", f["disconnect_flag"]]
            if alias is not None:
                parts += [f["alias"] or "-a", "default"]
                self._alias_note(alias, warnings)
            line = " ".join(shlex.quote(p) for p in parts)
            res = self._run(session, line, req, warnings)
            result = {"command": line, "cli_output": res["out"], "unsupported_options": []}
            if res["alive"] and not res["timed_out"] and "Disconnected" in res["out"] and not res["err"].strip():
                return result, warnings, res["ms"]
            raise CliError(cli_error(res, line), res["ms"], warnings, result)
        unsupported = [o for o in ("-D", "-a") if o in f["unsupported_doc_options"]
                       and (o == "-D" or alias is not None)]
        if f["disconnect_command"]:
            line = "disconnect"
            warnings.append("documented `connect -D` does not exist in milvus_cli %s; used `disconnect`"
                            % self.version)
            res = self._run(session, line, req, warnings)
            result = {"command": line, "cli_output": res["out"], "unsupported_options": unsupported}
            if res["alive"] and not res["timed_out"] and re.search(r"Disconnect\w* .*successfully|Disconnected",
                                                                    res["out"]) and not res["err"].strip():
                return result, warnings, res["ms"]
            raise CliError(cli_error(res, line), res["ms"], warnings, result)
        # No disconnect command (0.4 - 1.0): leaving the CLI closes its connection.
        warnings.append("milvus_cli %s has neither `connect -D` nor `disconnect`; used `exit` (the session ends)"
                        % self.version)
        t0 = time.monotonic()
        status, out = session.exit(timeout=self._deadline(req))
        ms = (time.monotonic() - t0) * 1000.0
        self._forget(session)
        result = {"command": "exit", "cli_output": out, "exit_status": status, "unsupported_options": unsupported}
        if status == 0:
            return result, warnings, ms
        raise CliError({"category": categorize(out) if out else "unknown", "type": "cli_exit", "code": status,
                        "message": "milvus_cli exit status %s: %s" % (status, out)}, ms, warnings, result)

    def op_server_version(self, args, req):
        f = self.features
        warnings = []
        alias = args.get("alias")
        session = self.session_for("default" if alias is None else alias)
        if f["server_version_command"]:
            line = "server_version"
        else:
            line = "list collections"
            warnings.append("milvus_cli %s has no server_version command; round trip made with `list collections`"
                            % self.version)
        res = self._run(session, line, req, warnings)
        result = {"command": line, "cli_output": res["out"]}
        if res["alive"] and not res["timed_out"] and not res["err"].strip():
            if f["server_version_command"]:
                m = re.search(r"server version:\s*(\S+)", res["out"], re.IGNORECASE)
                if m:
                    result["version"] = m.group(1)
                    return result, warnings, res["ms"]
            elif re.search(r"Collection Name|^\s*\+[-=+]+\+\s*$|^\[", res["out"], re.MULTILINE) \
                    and not re.search(r"error|not connected|no connection", res["out"], re.IGNORECASE):
                result["version"] = ""
                return result, warnings, res["ms"]
        raise CliError(cli_error(res, line), res["ms"], warnings, result)

    # -- loop ---------------------------------------------------------------
    def handle(self, req):
        op = req.get("op")
        args = req.get("args") or {}
        t0 = time.monotonic()
        try:
            if op == "hello":
                result, warnings = self.op_hello(args)
                return {"ok": True, "result": result, "warnings": warnings,
                        "elapsed_ms": (time.monotonic() - t0) * 1000.0}
            if op == "reset":
                result, warnings = self.op_reset(args)
                return {"ok": True, "result": result, "warnings": warnings,
                        "elapsed_ms": (time.monotonic() - t0) * 1000.0}
            fn = {"connect": self.op_connect, "disconnect": self.op_disconnect,
                  "server_version": self.op_server_version}.get(op)
            if fn is None:
                return {"ok": False, "warnings": [], "elapsed_ms": 0.0,
                        "error": {"category": "unsupported_op", "type": "unsupported_op", "code": None,
                                  "message": "the cli driver does not implement op %r" % (op,)}}
            if self.features is None:
                self.detect()
            result, warnings, ms = fn(args, req)
            return {"ok": True, "result": result, "warnings": warnings, "elapsed_ms": round(ms, 3)}
        except CliError as e:
            return {"ok": False, "error": e.error, "warnings": e.warnings, "elapsed_ms": round(e.ms, 3),
                    "result": e.result}
        except DriverFailure as e:
            return {"ok": False, "error": e.error, "warnings": [],
                    "elapsed_ms": (time.monotonic() - t0) * 1000.0}
        except Exception as e:  # a driver bug: say so, keep serving
            import traceback
            traceback.print_exc(file=sys.stderr)
            return {"ok": False, "warnings": [], "elapsed_ms": (time.monotonic() - t0) * 1000.0,
                    "error": {"category": "unknown", "type": "driver_" + type(e).__name__, "code": None,
                              "message": str(e)}}

    def shutdown(self):
        try:
            self.close_all()
        finally:
            if self.spare is not None:
                self.spare.kill()
            shutil.rmtree(self.home, ignore_errors=True)


class CliError(Exception):
    def __init__(self, error, ms, warnings, result):
        super().__init__(error.get("message"))
        self.error, self.ms, self.warnings, self.result = error, ms, warnings, result


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
