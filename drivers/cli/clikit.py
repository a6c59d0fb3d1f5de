"""What the cli driver (driver.py), its reproducer renderer (repro.py) and the
reproducer's runner share, so that all three type and read the same:

  * Session: one interactive `milvus_cli` on a pseudo-terminal, typed into as
    a person does;
  * detect(): what the installed version accepts, read from its own
    `connect --help`, `help` and the way it splits a typed line;
  * command(): the one mapping of a protocol op onto the line typed into the
    CLI (or a DriverAnswer where the CLI has no way to express it);
  * read_outcome() / read_exit(): success or failure, read from what the CLI
    printed.

Stdlib only, Python 3.8+: it runs on the CLI's own interpreter (driver,
runner) and on the harness's (renderer)."""

import ast
import fcntl
import json
import os
import pty
import re
import select
import shlex
import signal
import struct
import subprocess
import sys
import termios
import time

PROMPT = "milvus_cli > "
DOC_OPTIONS = ("-h", "-p", "-a", "-D")  # the options the doc's CLI tab shows
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*(?:\x07|\x1b\\)|\x1b[=>()][0-9A-Za-z]?")


def cli_exe(build_dir=None):
    """The milvus_cli command of a build (default: the one next to this interpreter)."""
    if build_dir:
        return os.path.join(build_dir, "venv", "bin", "milvus_cli")
    return os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "milvus_cli")


def cli_version(build_dir):
    try:
        with open(os.path.join(build_dir, "build.json")) as f:
            return json.load(f).get("sdk_version") or "unknown"
    except (OSError, ValueError):
        return "unknown"


class DriverAnswer(Exception):
    """An answer the driver gives itself, the CLI deciding nothing (answered_by: driver)."""

    def __init__(self, category, type_, message):
        super().__init__(message)
        self.error = {"category": category, "type": type_, "code": None, "message": message}


# ---------------------------------------------------------------------------
# One interactive milvus_cli process on a pseudo-terminal.

class Session:
    def __init__(self, home, exe=None, start_timeout=120.0, own_group=True):
        """own_group: the CLI gets a session (process group) of its own, which kill() ends whole;
        without it the CLI stays in its starter's group, and dies with it when that is killed."""
        # ZILLIZ_URI / ZILLIZ_TOKEN would change what a bare `connect` does.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MILVUS_", "ZILLIZ_"))}
        env.update(TERM="dumb", HOME=home, COLUMNS="400", LINES="50", PYTHONIOENCODING="utf-8")
        master, slave = pty.openpty()
        # A wide terminal: no line wrapping or readline horizontal scrolling.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 400, 0, 0))
        self.proc = subprocess.Popen(
            [exe or cli_exe()], stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=env,
            cwd=home, close_fds=True, start_new_session=own_group,
        )
        self.own_group = own_group
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
            raise DriverAnswer("unknown", "cli_start", "milvus_cli did not show its prompt (exit status %s): %s"
                               % (self.exit_status, (err or out).strip()[-2000:]))

    def alive(self):
        return self.proc.poll() is None

    def _drain_err(self):
        chunks = []
        while self.err_fd is not None:
            try:
                b = os.read(self.err_fd, 65536)
            except OSError:  # nothing more for now (EAGAIN) or closed
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)

    def _read_until_prompt(self, timeout):
        """Read terminal output until the prompt is shown again (and nothing follows for
        30 ms). Returns (cleaned stdout text, stderr text, prompt seen and CLI alive)."""
        raw, err = b"", b""
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

    def run(self, line, timeout):
        """Type `line` + Enter; return dict(out, err, pywarnings, alive, timed_out, exit_status, ms)."""
        if not self.alive():
            raise DriverAnswer("unknown", "cli_not_running",
                               "milvus_cli had exited (status %s) before %r could be typed" % (self.exit_status, line))
        self._drain_err()
        t0 = time.monotonic()
        os.write(self.master, (line + "\r").encode("utf-8"))
        out, err, ok = self._read_until_prompt(timeout)
        ms = (time.monotonic() - t0) * 1000.0
        alive = self.alive()
        text = strip_echo(out, line)
        if text.endswith(PROMPT):
            text = text[: -len(PROMPT)]
        err, pywarns = split_warnings(err.strip("\n"))
        return {"out": text.strip("\n"), "err": err, "pywarnings": pywarns, "alive": alive,
                "timed_out": alive and not ok, "exit_status": self.exit_status, "ms": ms}

    def exit(self, timeout=3.0):
        """Leave the CLI as a user does: type `exit`; if the prompt comes back (milvus_cli
        1.2.x ignores `exit`), press Ctrl-D; kill it if it lingers.
        Returns (exit_status, output, ms)."""
        out = []
        t0 = time.monotonic()
        end = t0 + timeout
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
        ms = (time.monotonic() - t0) * 1000.0
        self.kill()
        return self.exit_status, "\n".join(out), ms

    def request_exit(self):
        """Leave without waiting: Ctrl-D at the prompt, which every version treats as end of input."""
        if self.proc.poll() is None and self.master >= 0:
            try:
                os.write(self.master, b"\x04")
            except OSError:
                pass

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL) if self.own_group else self.proc.kill()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.exit_status = self.proc.returncode
        if self.master >= 0:
            try:
                os.close(self.master)
            except OSError:
                pass
        self.master = -1
        try:
            self.proc.stderr.close()
        except Exception:
            pass
        self.err_fd = None


def clean(raw):
    text = ANSI_RE.sub("", raw.decode("utf-8", "replace"))
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


PYWARN_RE = re.compile(r"^\S.*?:\d+: \w*Warning: .*$")


def split_warnings(err):
    """Python warnings the CLI's libraries print (file:line: XWarning: msg + source line)
    are not CLI errors: return (error text, [warning lines])."""
    keep, warns = [], []
    lines = err.split("\n")
    i = 0
    while i < len(lines):
        if PYWARN_RE.match(lines[i]):
            warns.append(lines[i].strip())
            if i + 1 < len(lines) and lines[i + 1].startswith("  "):
                i += 1
        else:
            keep.append(lines[i])
        i += 1
    return "\n".join(keep).strip("\n"), warns


# ---------------------------------------------------------------------------
# What the installed version accepts.

def _listed(help_text, heading, pattern):
    """The names a click help text lists under `heading` (Options:, Commands:)."""
    names, inside = set(), False
    for line in help_text.split("\n"):
        if line.strip().lower().startswith(heading):
            inside = True
            continue
        m = inside and re.match(pattern, line)
        if m:
            names.update(g for g in m.groups() if g)
    return names


def parse_options(help_text):
    return _listed(help_text, "options:", r"^\s{1,6}(-{1,2}[A-Za-z][\w-]*)(?:\s*,\s*(-{1,2}[A-Za-z][\w-]*))?")


def parse_commands(help_text):
    return _listed(help_text, "commands:", r"^\s{1,6}([a-z_][\w-]*)\b")


def detect(session):
    """Read the options and commands of the installed CLI, and how it splits a typed line:
    up to 1.0 `line.split()` (no quoting: an empty value or one with spaces cannot be typed),
    1.2+ `shlex.split(line)` (shell quoting). Types nothing that changes the CLI's state."""
    conn_help = session.run("connect --help", 60)
    top_help = session.run("help", 60)
    opts = parse_options(conn_help["out"] + "\n" + conn_help["err"])
    cmds = parse_commands(top_help["out"] + "\n" + top_help["err"])
    if not opts:
        raise DriverAnswer("unknown", "cli_help", "could not read `connect --help`: %s"
                           % (conn_help["out"] + conn_help["err"])[-1500:])
    # `version` takes no argument; click names the extra one(s) it got, as the CLI split them.
    probe = session.run("version 'a b'", 60)
    probe_text = probe["out"] + probe["err"]
    splitting = ("shlex" if "extra argument (a b)" in probe_text
                 else "whitespace" if "extra arguments ('a b')" in probe_text else "unknown")
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
        "tls": "-tls" if "-tls" in opts else None,
        "disconnect_command": "disconnect" in cmds,
        "server_version_command": "server_version" in cmds,
        "line_splitting": splitting,
    }
    f["unsupported_doc_options"] = [o for o in DOC_OPTIONS if o not in opts]
    return f


def detect_build(build_dir, home):
    """detect() on a fresh CLI of `build_dir` (the renderer's way; the driver keeps its own session)."""
    session = Session(home, cli_exe(build_dir))
    try:
        return detect(session)
    finally:
        session.kill()


# ---------------------------------------------------------------------------
# The op -> typed line mapping.

CONNECT_ARGS = ("alias", "host", "port", "uri", "user", "password", "token", "secure")


def no_option(f, version, what, command="connect"):
    options = (" (its options: %s)" % " ".join(f["connect_options"])) if command == "connect" else ""
    raise DriverAnswer("param_error", "unsupported_argument", "milvus_cli %s %s has no option for %s%s: not typed"
                       % (version, command, what, options))


def not_expressible(version, what, value, why):
    raise DriverAnswer("param_error", "unsupported_value",
                       "milvus_cli %s cannot take %s=%s as given: %s" % (version, what, json.dumps(value), why))


def typed(f, version, what, value):
    """A string value as it is typed, so that the CLI's own line splitting gives it back unchanged."""
    if not isinstance(value, str):
        not_expressible(version, what, value, "a command line holds text, and the driver does not convert values")
    if f["line_splitting"] == "shlex":
        return shlex.quote(value)
    if f["line_splitting"] == "whitespace" and value and not re.search(r"\s", value):
        return value
    if f["line_splitting"] == "unknown" and shlex.quote(value) == value:
        return value
    not_expressible(version, what, value, "it splits the typed line on whitespace, without quoting, so an empty "
                    "value or one with spaces cannot be typed" if f["line_splitting"] == "whitespace" else
                    "how it splits a typed line could not be read, so a value that needs quoting is not typed")


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def window(args, version):
    """The driver alias names the milvus_cli window (one interactive CLI per alias)."""
    alias = args.get("alias", "default")
    if not isinstance(alias, str):
        not_expressible(version, "alias", alias, "an alias names a milvus_cli session and must be a string")
    return alias


def connect_command(f, version, args):
    """-> (line, warnings, unsupported documented options)."""
    other = [k for k in args if k not in CONNECT_ARGS]
    if other:
        no_option(f, version, ", ".join(repr(k) for k in other))
    alias = window(args, version)
    warnings, unsupported, parts = [], [], ["connect"]
    if f["syntax"] == "host_port":
        # 0.1-0.3: connect [-a] [-h] [-p] [-u -pwd] [-s], the doc's syntax. The CLI runs every
        # command but connect on alias "default", so -a is typed only when it is "default";
        # another alias names the window alone.
        for k in ("uri", "token"):
            if k in args:
                no_option(f, version, repr(k))
        if "alias" in args:
            if alias == "default":
                parts += [f["alias"], "default"]
            else:
                warnings.append("alias %r names this milvus_cli window and is not typed as -a: milvus_cli %s "
                                "runs every command but connect on alias 'default'" % (alias, version))
        if "host" in args:
            parts += [f["host"], typed(f, version, "host", args["host"])]
        if "port" in args:
            port = args["port"]
            # -p takes text (click parses it): a string port is typed as it is, an integer as its digits.
            if not (is_int(port) or isinstance(port, str)):
                not_expressible(version, "port", port, "-p takes an integer or its text")
            parts += [f["port"], str(port) if is_int(port) else typed(f, version, "port", port)]
        for k in ("user", "password"):
            if k in args:
                if not (f["user"] and f["password"]):
                    no_option(f, version, "user/password")
                parts += [f[k], typed(f, version, k, args[k])]
        if "secure" in args:
            if not f["secure"]:
                no_option(f, version, "secure")
            if not isinstance(args["secure"], bool):
                not_expressible(version, "secure", args["secure"], "-s takes a boolean")
            parts += [f["secure"], "True" if args["secure"] else "False"]
    else:
        # 0.4+: one connection per CLI: connect [-uri URI] [-t TOKEN] [-tls MODE].
        if "uri" in args:
            if "host" in args or "port" in args:
                not_expressible(version, "uri", args["uri"], "its one -uri cannot take a uri and host/port together")
            parts += [f["uri"], typed(f, version, "uri", args["uri"])]
        elif "host" in args or "port" in args:
            # The form its help shows: -uri http://H:P, composed from a string host and an integer port.
            if not ("host" in args and "port" in args):
                given = "host" if "host" in args else "port"
                not_expressible(version, given, args[given], "it has no -h/-p, and -uri http://<host>:<port> "
                                "needs both")
            host, port = args["host"], args["port"]
            if not isinstance(host, str):
                not_expressible(version, "host", host, "-uri http://<host>:<port> is composed from a string host")
            if not is_int(port):
                not_expressible(version, "port", port, "-uri http://<host>:<port> is composed from an integer port")
            parts += [f["uri"], typed(f, version, "uri", "http://%s:%d" % (host, port))]
            unsupported += [o for o in ("-h", "-p") if o in f["unsupported_doc_options"]]
        if "alias" in args and "-a" in f["unsupported_doc_options"]:
            unsupported.append("-a")
        if "token" in args and ("user" in args or "password" in args):
            not_expressible(version, "token", args["token"], "its one -t cannot take a token and user/password together")
        if "token" in args or "user" in args or "password" in args:
            if not f["token"]:
                no_option(f, version, "a token or user/password")
            if "token" in args:
                token = args["token"]
            else:
                # The form its help shows: -t username:password, from two strings.
                if not ("user" in args and "password" in args):
                    no_option(f, version, "user or password alone (-t takes username:password)")
                for k in ("user", "password"):
                    if not isinstance(args[k], str):
                        not_expressible(version, k, args[k], "-t username:password is composed from strings")
                token = "%s:%s" % (args["user"], args["password"])
            parts += [f["token"], typed(f, version, "token", token)]
        if "secure" in args:
            if not f["tls"]:
                no_option(f, version, "TLS")
            if not isinstance(args["secure"], bool):
                not_expressible(version, "secure", args["secure"], "-tls takes a mode: 1 for secure=true, 0 for false")
            parts += [f["tls"], "1" if args["secure"] else "0"]
    if unsupported:
        warnings.append("documented option(s) %s do not exist in milvus_cli %s; typed: %s"
                        % (" ".join(unsupported), version, " ".join(parts)))
    return " ".join(parts), warnings, unsupported


def disconnect_command(f, version, args):
    """0.1-0.3 with -D: connect -D [-a default]; 1.2+: disconnect; 0.4-1.0 (neither): exit."""
    other = [k for k in args if k != "alias"]
    if other:
        no_option(f, version, ", ".join(repr(k) for k in other), "disconnect")
    alias = window(args, version)
    if f["disconnect_flag"]:
        parts = ["connect", f["disconnect_flag"]]
        if "alias" in args and alias == "default":
            parts += [f["alias"], "default"]
        return " ".join(parts), [], []
    unsupported = [o for o in ("-D", "-a") if o in f["unsupported_doc_options"] and (o == "-D" or "alias" in args)]
    if f["disconnect_command"]:
        return "disconnect", ["documented `connect -D` does not exist in milvus_cli %s; typed `disconnect`"
                              % version], unsupported
    return "exit", ["milvus_cli %s has neither `connect -D` nor `disconnect`; typed `exit` (the session ends)"
                    % version], unsupported


def server_version_command(f, version, args):
    other = [k for k in args if k != "alias"]
    if other:  # `timeout` included: no milvus_cli command takes one
        no_option(f, version, ", ".join(repr(k) for k in other), "server_version/list collections")
    window(args, version)
    if f["server_version_command"]:
        return "server_version", [], []
    return "list collections", ["milvus_cli %s has no server_version command; round trip made with "
                                "`list collections`" % version], []


def list_collections_command(f, version, args):
    """Every version has `list collections` (the collections of the connection's database)."""
    other = [k for k in args if k != "alias"]
    if other:  # `timeout`: not passed, as for server_version (server_version.timeout is not declared)
        no_option(f, version, ", ".join(repr(k) for k in other), "list collections")
    window(args, version)
    return "list collections", [], []


# check_health and disconnect_during_call have no command: no version has a health command, and
# the CLI reads the next line only after the running command returned (nothing runs concurrently).
COMMANDS = {"connect": connect_command, "disconnect": disconnect_command, "server_version": server_version_command,
            "list_collections": list_collections_command}


def command(f, version, op, args):
    """-> (window, line, warnings, unsupported documented options); DriverAnswer where the CLI
    has no way to express the step."""
    if op not in COMMANDS:
        raise DriverAnswer("unsupported_op", "unsupported_op", "the cli driver does not implement op %r" % (op,))
    line, warnings, unsupported = COMMANDS[op](f, version, args)
    return window(args, version), line, warnings, unsupported


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
    ("param_error", r"ParamError|Unsupport(ed)? db name|Invalid value for|is not a valid integer|No such option"
                    r"|requires an argument|out of range|could not be cast|illegal|invalid (host|port|uri|address)"
                    r"|Got unexpected extra argument|Missing option|Type of .* must be|must be (a|an) "),
    ("timeout", r"DEADLINE_EXCEEDED|Deadline Exceeded|timed out|TimeoutError"),
    ("not_implemented", r"NotImplementedError|not implemented"),
    ("internal", r"MilvusException|code=\d+"),
]


def categorize(text):
    for cat, rx in CATEGORY_RULES:
        if re.search(rx, text, re.IGNORECASE):
            return cat
    return "unknown"


def cli_error(res, line):
    """The error object for what the CLI printed after `line` (or for its silence)."""
    if res["timed_out"]:
        return {"category": "hang", "type": "DriverDeadline", "code": None,
                "message": "milvus_cli printed no prompt before the deadline after %r; output so far: %s"
                           % (line, (res["err"] + "\n" + res["out"]).strip()[-1500:])}
    if not res["alive"]:
        msg = (res["err"] + "\n" + res["out"]).strip()
        return {"category": categorize(msg) if msg else "unknown", "type": "cli_exit", "code": res["exit_status"],
                "message": "milvus_cli exited (status %s) after %r: %s" % (res["exit_status"], line, msg[-2000:])}
    msg = res["err"].strip() or res["out"].strip() or "(milvus_cli printed nothing)"
    m = re.search(r"\bcode=(-?\d+)", msg)
    return {"category": categorize(msg), "type": "cli_output", "code": int(m.group(1)) if m else None,
            "message": msg}


def table_value(text, key):
    m = re.search(r"\|\s*%s\s*\|\s*(.*?)\s*\|" % re.escape(key), text)
    return m.group(1) if m else None


def collection_names(out):
    """The names `list collections` printed, or None if it printed no listing: a table (0.1-0.3
    header 'Collection Name', 1.2+ 'Collection'), a Python list (0.4-1.0: the list echoed as is),
    or 1.2+'s text for an empty one (1.2.x CliClient.py; OutputFormatter.py on main)."""
    text = out.strip()
    if text in ("No items found.", "No items to display."):
        return []
    if text.startswith("["):
        try:
            names = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None
        return [str(n) for n in names] if isinstance(names, list) else None
    rows = [[c.strip() for c in l.strip().strip("|").split("|")] for l in text.split("\n") if l.strip().startswith("|")]
    col = next((i for i, c in enumerate(rows[0]) if c.startswith("Collection")), None) if rows else None
    return None if col is None else [r[col] for r in rows[1:]]


def read_outcome(line, res, op=None):
    """(ok, result, error) of a typed line, from the CLI's text; the command decides what success
    looks like. `exit` is read by read_exit. `op`: the protocol op, where one line serves two
    (`list collections` is also the round trip of versions without server_version)."""
    result = {"command": line, "cli_output": res["out"]}
    out, quiet = res["out"], not res["err"].strip()
    ok = False
    if res["alive"] and not res["timed_out"]:
        words = line.split()
        if words[:2] == ["connect", "-D"]:
            ok = "Disconnected" in out and quiet
        elif words[:1] == ["connect"]:
            ok = "Connect Milvus successfully" in out
            if ok and table_value(out, "Address"):
                result["address"] = table_value(out, "Address")
        elif line == "disconnect":
            ok = bool(re.search(r"Disconnect\w* .*successfully|Disconnected", out)) and quiet
        elif line == "server_version":
            m = quiet and re.search(r"server version:\s*(\S+)", out, re.IGNORECASE)
            if m:
                ok, result["version"] = True, m.group(1)
        elif line == "list collections":
            names = collection_names(out) if quiet else None
            ok = names is not None
            if ok:
                result["collections"] = names
            if ok and op != "list_collections":
                result["version"] = ""
                result["driver_note"] = "no server_version command: `list collections` made the round trip; " \
                                        "the CLI printed no version"
    return (True, result, None) if ok else (False, result, cli_error(res, line))


def read_exit(status, out):
    """(ok, result, error) of `exit` (the disconnect of versions without one)."""
    result = {"command": "exit", "cli_output": out, "exit_status": status}
    if status == 0:
        return True, result, None
    return False, result, {"category": categorize(out) if out else "unknown", "type": "cli_exit", "code": status,
                           "message": "milvus_cli exit status %s: %s" % (status, out)}
