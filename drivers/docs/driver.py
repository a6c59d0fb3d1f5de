"""milvus-conformance driver for the doc's code examples, as written
(drivers/PROTOCOL.md: JSON lines on stdin/stdout; capability doc_examples).

    python driver.py <build_dir>        (the harness's python; stdlib only)

Ops: hello, reset, and
  classify_example {code, label}
      -> {language, label, label_matches, evidence}: which language a fenced
      block really is, from text heuristics alone (the doc labels every fence
      `python`). language is one of python, node, go, java, cli, curl,
      comment, unknown.
  run_example {language | tab, code, disconnect_code?, host, grpc_port, http_port,
               user?, password?, timeout?}
      -> runs the connect example (followed by the same language's disconnect
      example in the same program) in its own language with its real SDK,
      built by build.py. Only the target is substituted ("localhost" -> host,
      19530 -> grpc_port, 9091 -> http_port, and the 'username' / 'password'
      literals -> user / password when user is non-empty); a fragment gets
      only the skeleton its language needs to run (Go: package, imports,
      func main; Java: imports, class, main; Node: an ES module). The doc's
      lines are never changed; result.program is exactly what ran.
      Success: exit status 0 and no failure text in the output (and, for
      curl, the printed body equal to the doc's expected output).
      The language run is `language`, else `tab` (the doc's tab name), else
      what classify_example finds. `timeout` bounds the program's run; Go and
      Java compile first, within the request's deadline.
      Failure: error.type is compile_error, example_crashed (uncaught
      exception, traceback, panic, signal), example_failed (non-zero exit,
      failure text, output differing from the doc, or killed at `timeout`:
      category timeout) or toolchain_unavailable; error.category is read from
      the output; error.detail holds the same fields as a success result.
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from jsonlines import serve  # noqa: E402


PROTOCOL = 1
LANGUAGES = ("python", "node", "go", "java", "cli", "curl", "comment", "unknown")
TAIL = 4000

# --------------------------------------------------------------------------
# classify_example

# (language, regex, weight, evidence). A block's language is the one whose
# matching rules weigh most; every rule counts once.
RULES = [
    ("python", r"^\s*from\s+pymilvus\b", 5, "from pymilvus"),
    ("python", r"^\s*import\s+pymilvus\b", 5, "import pymilvus"),
    ("python", r"\bconnections\.connect\s*\(", 3, "connections.connect("),
    ("python", r"\bconnections\.disconnect\s*\(", 3, "connections.disconnect("),
    ("python", r"^\s*[a-z_]\w*\s*=\s*MilvusClient\s*\(", 3, "x = MilvusClient( (no new/const)"),
    ("python", r"^\s*def\s+\w+\s*\(.*\)\s*:\s*$", 2, "def ...:"),
    ("python", r"^\s*print\s*\(", 1, "print("),
    ("node", r"""\bfrom\s+["']@zilliz/[\w.-]+["']""", 5, 'import ... from "@zilliz/..."'),
    ("node", r"""\brequire\s*\(\s*["']@zilliz/""", 5, 'require("@zilliz/...")'),
    ("node", r"^\s*import\s*\{[^}]*\}\s*from\b", 3, "import { ... } from"),
    ("node", r"\bawait\s+milvusClient\b", 4, "await milvusClient"),
    ("node", r"\bawait\s+\w", 2, "await"),
    ("node", r"\.closeConnection\s*\(", 3, ".closeConnection("),
    ("node", r"^\s*(const|let|var)\s+[\w{]", 2, "const/let/var"),
    ("node", r"\bnew\s+MilvusClient\s*\(", 2, "new MilvusClient("),
    ("node", r"\bconsole\.log\s*\(", 2, "console.log("),
    ("go", r":=", 3, ":="),
    ("go", r"\bclient\.NewGrpcClient\s*\(", 5, "client.NewGrpcClient("),
    ("go", r"\bclient\.NewClient\s*\(", 4, "client.NewClient("),
    ("go", r"\bif\s+err\s*!=\s*nil\b", 4, "if err != nil"),
    ("go", r"\bcontext\.(Background|TODO)\s*\(\)", 3, "context.Background()"),
    ("go", r"^\s*\w+\.Close\(\)\s*$", 3, "x.Close() (capital Close, no ';')"),
    ("go", r"^\s*package\s+main\b", 5, "package main"),
    ("go", r"^\s*func\s+\w+\s*\(", 3, "func ...("),
    ("java", r"\bfinal\s+[A-Z]\w*(<[^>]*>)?\s+\w+\s*=", 4, "final Type name ="),
    ("java", r"\bnew\s+MilvusServiceClient\s*\(", 5, "new MilvusServiceClient("),
    ("java", r"\bConnectParam\s*\.\s*newBuilder\s*\(", 5, "ConnectParam.newBuilder("),
    ("java", r"\bnew\s+MilvusClientV2\s*\(", 5, "new MilvusClientV2("),
    ("java", r"^\s*[A-Z]\w*(<[^>]*>)?\s+[a-z]\w*\s*=\s*new\s", 4, "Type name = new ..."),
    ("java", r"^\s*import\s+io\.milvus\.", 5, "import io.milvus."),
    ("java", r"^\s*[a-z]+[A-Z]\w*\.close\(\)\s*;\s*$", 5, "camelCase.close(); (MilvusServiceClient.close)"),
    ("java", r"^\s*[a-z]+[A-Z]\w*\.close\(\)\s*$", 3, "camelCase.close() (lowercase close of a camelCase client: Java's MilvusServiceClient.close, ';' missing)"),
    ("java", r"\bSystem\.out\.print", 3, "System.out.print"),
    ("java", r"\bpublic\s+(static\s+)?(class|void)\b", 4, "public class/void"),
    ("cli", r"^\s*connect(\s+-{1,2}[A-Za-z]\w*(\s+[^-\s]\S*)?)+\s*$", 5, "connect -<option> line"),
    ("cli", r"^\s*milvus_cli\b", 5, "milvus_cli"),
    ("cli", r"^\s*(connect|disconnect|exit|list\s+\w+|show\s+\w+|use\s+\w+)\s*$", 2, "bare CLI command"),
    ("curl", r"^\s*(\$\s*)?curl\s", 6, "curl "),
]
LABELS = {
    "python": {"python"}, "py": {"python"}, "python3": {"python"}, "pycon": {"python"},
    "javascript": {"node"}, "js": {"node"}, "node": {"node"}, "nodejs": {"node"}, "mjs": {"node"},
    "typescript": {"node"}, "ts": {"node"},
    "go": {"go"}, "golang": {"go"},
    "java": {"java"},
    "shell": {"cli", "curl"}, "bash": {"cli", "curl"}, "sh": {"cli", "curl"}, "console": {"cli", "curl"},
    "cli": {"cli"}, "curl": {"curl"},
    "text": {"comment"}, "plaintext": {"comment"}, "txt": {"comment"},
}


def is_comment_line(line):
    s = line.strip()
    return s.startswith("#") or s.startswith("//")


def classify(code, label):
    lines = [l for l in (code or "").splitlines() if l.strip()]
    lab = (label or "").strip().lower()
    if not lines:
        language, evidence = "unknown", "empty block"
    elif all(is_comment_line(l) for l in lines):
        language = "comment"
        evidence = "only comment lines (%s)" % ", ".join(sorted({l.strip()[:2] if l.strip().startswith("//")
                                                                 else "#" for l in lines}))
    else:
        body = "\n".join(l for l in lines if not is_comment_line(l))
        scores, hits = {}, {}
        for lang, rx, weight, ev in RULES:
            if re.search(rx, body, re.MULTILINE):
                scores[lang] = scores.get(lang, 0) + weight
                hits.setdefault(lang, []).append(ev)
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        if not ranked:
            language, evidence = "unknown", "no known token"
        elif len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            language = "unknown"
            evidence = "tie: " + "; ".join("%s %d (%s)" % (l, s, ", ".join(hits[l])) for l, s in ranked[:2])
        else:
            language = ranked[0][0]
            evidence = ", ".join(hits[language])
            others = ["%s %d" % (l, s) for l, s in ranked[1:]]
            evidence += " (score %d%s)" % (ranked[0][1], "; also " + ", ".join(others) if others else "")
    return {"language": language, "label": label, "label_matches": language in LABELS.get(lab, set()),
            "evidence": evidence}


# --------------------------------------------------------------------------
# substitutions


def quote_escape(value, quote):
    return str(value).replace("\\", "\\\\").replace(quote, "\\" + quote)


def substitute(code, args, rules_out):
    """Replace the doc's target (and credentials when given) in one snippet;
    counts go into rules_out {(from, to): count}."""

    def sub(pattern, repl, text, key):
        new, n = re.subn(pattern, repl, text)
        if n:
            rules_out[key] = rules_out.get(key, 0) + n
        return new

    if args.get("host") not in (None, ""):
        host = str(args["host"])
        code = sub(r"\blocalhost\b", lambda m: host, code, ("localhost", host))
    if args.get("grpc_port") not in (None, ""):
        port = str(args["grpc_port"])
        code = sub(r"(?<![\w.])19530(?!\w)", lambda m: port, code, ("19530", port))
    if args.get("http_port") not in (None, ""):
        port = str(args["http_port"])
        code = sub(r"(?<![\w.])9091(?!\w)", lambda m: port, code, ("9091", port))
    if args.get("user"):
        for literal, value in (("username", args["user"]), ("password", args.get("password") or "")):
            code = sub(r"""(['"])%s\1""" % literal,
                       lambda m, v=value: m.group(1) + quote_escape(v, m.group(1)) + m.group(1),
                       code, ("'%s'" % literal, "'%s'" % value))
    return code


# --------------------------------------------------------------------------
# reading outcomes

CATEGORY_RULES = [
    ("auth_failed", r"UNAUTHENTICATED|PERMISSION_DENIED|auth(entication)? (check )?fail|incorrect (user ?name|password)"
                    r"|username or password|code[=: ]+180[01]\b|\b401 Unauthorized"),
    ("timeout", r"DEADLINE_EXCEEDED|deadline exceeded|timed out|(?-i:\bTimeout(Error|Exception)?\b)(?!\s*[=(])"
                r"|ETIMEDOUT|curl: \(28\)"),
    ("unavailable", r"\bUNAVAILABLE\b|Connection refused|ECONNREFUSED|Fail(ed)? (connecting|to connect)|failed to connect"
                    r"|server unavailable|not ready|Failed to initialize connection|Couldn't connect|curl: \(7\)"
                    r"|Connect to milvus Error|ENOTFOUND|Name or service not known|No connection"),
    ("param_error", r"ParamError|No such option|Invalid value|IllegalArgument|is illegal|invalid (address|port|host|uri)"
                    r"|Missing option|requires an argument|SyntaxError"),
    ("internal", r"MilvusException|\bcode[=:]\s*\d+"),
]
# Lines that say something went wrong (an exit status 0 with one of these is a failure).
FAILURE_RX = re.compile(
    r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b[:\s]|^Error\b|Exception in thread"
    r"|^panic:|\bERROR\b|Error occurred|Connect to milvus Error|No such option|^Usage: |\bFATAL\b"
    r"|UnhandledPromiseRejection|Fail connecting|failed to connect|\bUNAVAILABLE\b|DEADLINE_EXCEEDED"
    r"|UNAUTHENTICATED", re.MULTILINE)
CRASH_RX = re.compile(r"Traceback \(most recent call last\)|Exception in thread|^panic:|^\s+at .+\(.*:\d+:\d+\)$"
                      r"|UnhandledPromiseRejection|^node:internal", re.MULTILINE)
# Noise the tools print that is no failure of the example.
NOISE_RX = re.compile(r"^Warning: Input is not a terminal|^\s*% Total|^\s*Dload|^\s*\d+\s+\d+\s+\d+\s+\d+", re.I)


def significant(text):
    return "\n".join(l for l in text.splitlines() if not NOISE_RX.search(l))


def categorize(text, headline=""):
    """auth_failed when the output says so anywhere (SDKs wrap the server's
    UNAUTHENTICATED in their own error, e.g. pymilvus' "Fail connecting ...
    illegal connection params or server unavailable"); else the category the
    headline line says; else the one the whole output says."""
    if re.search(CATEGORY_RULES[0][1], text, re.IGNORECASE):
        return "auth_failed"
    if headline and headline != text:
        cat = categorize(headline)
        if cat != "unknown":
            return cat
    for cat, rx in CATEGORY_RULES:
        if re.search(rx, text, re.IGNORECASE):
            return cat
    return "unknown"


def key_line(text):
    """The output line that says best what went wrong."""
    lines = [l.rstrip() for l in text.splitlines() if l.strip() and not NOISE_RX.search(l)]
    if not lines:
        return ""
    for rx in (r"^\w*(Error|Exception)\b[:\s]|^Exception in thread|^panic:|^Error\b",
               r"Fail(ed)? (connecting|to connect)|Connect to milvus Error|No such option|DEADLINE_EXCEEDED"
               r"|UNAVAILABLE|UNAUTHENTICATED|Error occurred|\bERROR\b|error:"):
        # Python's traceback ends with the exception line: prefer the last match there.
        found = [l for l in lines if re.search(rx, l.strip())]
        if found:
            line = found[-1] if "Traceback (most recent call last)" in text else found[0]
            return line.strip()[:1000]
    return lines[-1].strip()[:1000]


def tail(text):
    return text if len(text) <= TAIL else "..." + text[-TAIL:]


# --------------------------------------------------------------------------
# running


class ExampleError(Exception):
    def __init__(self, category, type_, message, code=None, detail=None):
        super().__init__(message)
        self.error = {"category": category, "type": type_, "code": code, "message": message}
        self.detail = detail or {}


def run_process(cmd, cwd, timeout, env=None, stdin_text=None):
    """-> dict(exit_code, stdout, stderr, timed_out, elapsed_ms). The child gets its
    own process group, killed when it outlives `timeout` (and after it ends: no strays)."""
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, start_new_session=True,
                                stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise ExampleError("unknown", "toolchain_unavailable", "cannot start %s: %s" % (cmd[0], e))
    timed_out = False
    try:
        out, err = proc.communicate(input=stdin_text.encode() if stdin_text is not None else None,
                                    timeout=max(0.1, timeout))
    except subprocess.TimeoutExpired:
        timed_out = True
        killpg(proc.pid)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            out, err = b"", b""
    killpg(proc.pid)  # anything the example left behind in its group
    ms = (time.monotonic() - t0) * 1000.0
    return {"exit_code": proc.returncode, "stdout": out.decode("utf-8", "replace"),
            "stderr": err.decode("utf-8", "replace"), "timed_out": timed_out, "elapsed_ms": round(ms, 1)}


def killpg(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (OSError, ProcessLookupError):
        pass


def child_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MILVUS_", "ZILLIZ_"))}
    env.update(extra)
    return env


def join_program(parts):
    return "\n".join(p.rstrip("\n") for p in parts if p is not None) + "\n"


class Driver:
    def __init__(self, build_dir):
        self.build_dir = os.path.abspath(build_dir)
        try:
            with open(os.path.join(self.build_dir, "build.json")) as f:
                self.build = json.load(f)
        except (OSError, ValueError) as e:
            self.build = {"sdk_version": "?", "languages": {}, "build_error": str(e)}
        self.langs = self.build.get("languages") or {}

    # -- helpers ---------------------------------------------------------------
    def lang_info(self, lang):
        rec = self.langs.get(lang)
        if not rec:
            raise ExampleError("unknown", "toolchain_unavailable",
                               "no %s toolchain in this build (%s)" % (lang, self.build_dir))
        if not rec.get("ok"):
            raise ExampleError("unknown", "toolchain_unavailable",
                               "%s examples cannot run here: %s" % (lang, rec.get("reason")))
        return rec

    def tool(self, name):
        path = shutil.which(name)
        if path is None and name == "go" and os.path.exists("/usr/local/go/bin/go"):
            path = "/usr/local/go/bin/go"
        if path is None:
            raise ExampleError("unknown", "toolchain_unavailable", "%s is not on PATH" % name)
        return path

    def workdir(self, parent, prefix):
        os.makedirs(parent, exist_ok=True)
        return tempfile.mkdtemp(prefix=prefix, dir=parent)

    # -- ops ---------------------------------------------------------------------
    def op_hello(self, args):
        langs = {}
        for lang, rec in self.langs.items():
            info = rec.get("info") or {}
            entry = {"ok": rec.get("ok", False), "sdk_request": rec.get("request")}
            if rec.get("ok"):
                entry["sdk_version"] = rec.get("sdk_version")
                for k in ("node", "go", "java", "python"):  # what each sub-build recorded
                    if info.get(k):
                        entry["runtime"] = "python %s" % info[k] if k == "python" else info[k]
            else:
                entry["reason"] = rec.get("reason")
            langs[lang] = entry
        langs["curl"] = {"ok": True, "runner": self.build.get("curl") or shutil.which("curl")
                         or "python urllib (no curl binary)"}
        sdk_names = {"python": "pymilvus", "cli": "milvus-cli", "node": "@zilliz/milvus2-sdk-node",
                     "go": "milvus-sdk-go/v2", "java": "milvus-sdk-java"}
        summary = ", ".join("%s %s" % (sdk_names[l], r["sdk_version"]) for l, r in langs.items()
                            if l in sdk_names and r.get("ok"))
        return {"protocol": PROTOCOL, "driver": "docs", "language": "multi",
                "runtime": "python %d.%d.%d (driver); %s" % (sys.version_info[:3] + (summary,)),
                "sdk": {"name": "doc examples", "version": str(self.build.get("sdk_version", "1"))},
                "capabilities": ["doc_examples"], "languages": langs}

    def op_reset(self, args):
        return {"closed": 0}

    def op_classify_example(self, args):
        if not isinstance(args.get("code"), str):
            raise ExampleError("param_error", "DriverArgError", "classify_example needs code (a string)")
        return classify(args["code"], args.get("label"))

    def op_run_example(self, args, deadline_s):
        code = args.get("code")
        # The language to run: `language`, else the doc tab's name (`tab`), else the
        # one classify_example finds in the code.
        lang, lang_from = args.get("language"), "language"
        if lang is None and args.get("tab") is not None:
            lang, lang_from = args.get("tab"), "tab"
        if lang is None and isinstance(code, str):
            lang, lang_from = classify(code, None)["language"], "classified"
        if lang not in LANGUAGES:
            raise ExampleError("param_error", "DriverArgError", "language must be one of %s, got %r"
                               % (", ".join(LANGUAGES), lang))
        if not isinstance(code, str):
            raise ExampleError("param_error", "DriverArgError", "run_example needs code (a string)")
        disconnect = args.get("disconnect_code")
        if disconnect is not None and not isinstance(disconnect, str):
            raise ExampleError("param_error", "DriverArgError", "disconnect_code must be a string")
        if lang == "unknown":
            raise ExampleError("param_error", "DriverArgError", "cannot run a block of unknown language")
        timeout = args.get("timeout")
        budget = max(1.0, deadline_s - 1.0)
        try:
            timeout = float(timeout) if timeout is not None else budget
        except (TypeError, ValueError):
            raise ExampleError("param_error", "DriverArgError", "timeout must be a number of seconds")
        timeout = min(timeout, budget)
        counts = {}
        connect_sub = substitute(code, args, counts)
        disconnect_sub = substitute(disconnect, args, counts) if disconnect is not None else None
        subs = [{"from": a, "to": b, "count": n} for (a, b), n in counts.items()]
        ctx = {"language": lang, "language_from": lang_from, "timeout": timeout,
               "budget_end": time.monotonic() + budget, "substitutions": subs, "skeleton": []}
        if lang == "comment":
            return {"language": lang, "language_from": lang_from, "nothing_to_run": True, "program": connect_sub, "command": None,
                    "exit_code": None, "stdout": "", "stderr": "", "elapsed_ms": 0.0, "substitutions": subs,
                    "note": "only comment lines: nothing to run"}
        runner = getattr(self, "run_" + lang)
        try:
            return runner(connect_sub, disconnect_sub, ctx)
        except ExampleError as e:
            if e.error["type"] == "compile_error" and disconnect_sub is not None:
                self.try_connect_only(e, runner, connect_sub, disconnect_sub, ctx)
            raise

    def try_connect_only(self, exc, runner, connect_sub, disconnect_sub, ctx):
        """The program did not compile because of a line of the disconnect
        example: run the connect example alone too, and say how that went
        (error.detail.connect_only), so the report shows which half is broken."""
        line = (exc.detail.get("source_line") or "").strip()
        if not line or line not in [l.strip() for l in disconnect_sub.splitlines()] \
                or line in [l.strip() for l in connect_sub.splitlines()]:
            return
        exc.detail["compile_error_in"] = "disconnect_code"
        if ctx["budget_end"] - time.monotonic() < 5:
            return
        sub_ctx = dict(ctx, skeleton=[])
        try:
            res = runner(connect_sub, None, sub_ctx)
            exc.detail["connect_only"] = {"ok": True, "exit_code": res.get("exit_code"),
                                          "elapsed_ms": res.get("elapsed_ms"), "program": res.get("program")}
        except ExampleError as e2:
            exc.detail["connect_only"] = {"ok": False, "category": e2.error["category"], "type": e2.error["type"],
                                          "code": e2.error["code"], "message": e2.error["message"],
                                          "program": e2.detail.get("program")}

    # -- outcome -------------------------------------------------------------
    def outcome(self, ctx, program, command, res, extra=None):
        """A result, or raise ExampleError from a finished (or killed) process."""
        detail = {"language": ctx["language"], "language_from": ctx["language_from"], "program": program,
                  "command": command, "exit_code": res["exit_code"], "stdout": tail(res["stdout"]),
                  "stderr": tail(res["stderr"]), "elapsed_ms": res["elapsed_ms"],
                  "substitutions": ctx["substitutions"]}
        if ctx["skeleton"]:
            detail["skeleton"] = ctx["skeleton"]
        detail.update(extra or {})
        text = significant(res["stderr"] + "\n" + res["stdout"])
        if res["timed_out"]:
            detail["timed_out"] = True
            last = key_line(text)
            raise ExampleError("timeout", "example_failed",
                               "the example had not finished after %.1f s: killed its process group%s"
                               % (ctx["timeout"], ("; last output: " + last) if last else ""),
                               code=None, detail=detail)
        failed_text = FAILURE_RX.search(text)
        if res["exit_code"] == 0 and not failed_text and not detail.get("mismatch"):
            return detail
        crashed = bool(CRASH_RX.search(text)) or (res["exit_code"] is not None and res["exit_code"] < 0)
        if detail.get("mismatch"):
            message = detail["mismatch"]
            category = categorize(text) if failed_text else "internal"
        else:
            message = key_line(text) or "exit status %s and no output" % res["exit_code"]
            category = categorize(text, message)
        if res["exit_code"] is not None and res["exit_code"] < 0:
            message = "killed by signal %d%s" % (-res["exit_code"], ("; " + message) if message else "")
        raise ExampleError(category, "example_crashed" if crashed else "example_failed", message,
                           code=res["exit_code"], detail=detail)

    def remaining(self, ctx):
        return max(0.5, ctx["budget_end"] - time.monotonic())

    def compile_failed(self, ctx, program, command, res, line_offset_of):
        detail = {"language": ctx["language"], "language_from": ctx["language_from"], "program": program,
                  "command": command, "exit_code": res["exit_code"], "stdout": tail(res["stdout"]), "stderr": tail(res["stderr"]),
                  "elapsed_ms": res["elapsed_ms"], "substitutions": ctx["substitutions"],
                  "skeleton": ctx["skeleton"], "phase": "compile"}
        text = res["stderr"] + "\n" + res["stdout"]
        if res["timed_out"]:
            raise ExampleError("timeout", "compile_error", "compiling the example took more than %.0f s"
                               % (res["elapsed_ms"] / 1000.0), detail=detail)
        errors = [l.strip() for l in text.splitlines() if re.search(r"\berror\b|:\d+:\d+: ", l)]
        message = errors[0] if errors else key_line(text) or "compiler exit status %s" % res["exit_code"]
        m = re.search(r":(\d+)(?::\d+)?:", message)
        if m:
            lines = program.splitlines()
            n = int(m.group(1))
            if 1 <= n <= len(lines):
                detail["source_line"] = lines[n - 1]
                detail["source_line_number"] = n
                detail["source_line_from_doc"] = line_offset_of(n)
        raise ExampleError("unknown", "compile_error", message, code=res["exit_code"], detail=detail)

    # -- languages -------------------------------------------------------------
    def run_python(self, code, disconnect, ctx):
        rec = self.lang_info("python")
        py = os.path.join(rec["dir"], "venv", "bin", "python")
        program = join_program([code, disconnect])
        tmp = tempfile.mkdtemp(prefix="docs-example-py-")
        try:
            path = os.path.join(tmp, "example.py")
            with open(path, "w") as f:
                f.write(program)
            cmd = [py, "example.py"]
            res = run_process(cmd, tmp, ctx["timeout"], env=child_env(PYTHONUNBUFFERED="1"))
            return self.outcome(ctx, program, [py, "example.py"], res, {"sdk_version": rec["sdk_version"]})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def run_node(self, code, disconnect, ctx):
        rec = self.lang_info("node")
        node = self.tool("node")
        program = join_program([code, disconnect])
        # Inside the SDK's install folder, so that the example's bare import finds node_modules.
        tmp = self.workdir(os.path.join(rec["dir"], ".examples"), "run-")
        ctx["skeleton"].append("saved as an ES module (example.mjs: import statements and top-level await allowed)")
        try:
            with open(os.path.join(tmp, "example.mjs"), "w") as f:
                f.write(program)
            cmd = [node, "example.mjs"]
            res = run_process(cmd, tmp, ctx["timeout"], env=child_env())
            return self.outcome(ctx, program, cmd, res, {"sdk_version": rec["sdk_version"]})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    GO_IMPORTS = [("context.", "context"), ("log.", "log"), ("fmt.", "fmt"), ("time.", "time"),
                  ("client.", "github.com/milvus-io/milvus-sdk-go/v2/client"),
                  ("entity.", "github.com/milvus-io/milvus-sdk-go/v2/entity")]

    def go_program(self, code, disconnect, ctx):
        body = join_program([code, disconnect])
        imports = [path for token, path in self.GO_IMPORTS if re.search(r"(?<![\w.])" + re.escape(token), body)]
        # A variable the fragment declares but never uses again would not compile
        # ("declared and not used"): the skeleton uses it, and says so.
        uses = []
        for names in re.findall(r"^\s*([\w\s,]+?)\s*:=", body, re.MULTILINE):
            for name in [n.strip() for n in names.split(",")]:
                if name and name != "_" and len(re.findall(r"\b%s\b" % re.escape(name), body)) == 1:
                    uses.append(name)
        head = ["package main", "", "import ("] + ['\t"%s"' % p for p in imports] + [")", "", "func main() {"]
        tail_lines = ["\t_ = %s // skeleton: %s is not used again by the doc's fragment" % (n, n) for n in uses] + ["}"]
        ctx["skeleton"].append("package main, imports %s, func main() { ... }" % ", ".join(imports))
        if uses:
            ctx["skeleton"].append("`_ = %s` after the fragment (declared and not used otherwise)" % ", ".join(uses))
        program = "\n".join(head) + "\n" + body + "\n".join(tail_lines) + "\n"
        return program, len(head), len(body.splitlines())

    def run_go(self, code, disconnect, ctx):
        rec = self.lang_info("go")
        go = self.tool("go")
        module = os.path.join(rec["dir"], "src")  # the Go module ../go/build.py made: it requires the SDK
        program, offset, n_body = self.go_program(code, disconnect, ctx)
        pkg = self.workdir(module, "docexample_")
        try:
            with open(os.path.join(pkg, "main.go"), "w") as f:
                f.write(program)
            env = child_env(GOFLAGS="-mod=readonly", GOWORK="off", GO111MODULE="on",
                            GOTOOLCHAIN=os.environ.get("GOTOOLCHAIN", "local"))
            exe = os.path.join(pkg, "example")
            build_cmd = [go, "build", "-o", exe, "./" + os.path.basename(pkg)]
            res = run_process(build_cmd, module, self.remaining(ctx), env=env)
            doc_line = lambda n: offset < n <= offset + n_body
            if res["exit_code"] != 0 or res["timed_out"]:
                self.compile_failed(ctx, program, build_cmd, res, doc_line)
            compile_ms = res["elapsed_ms"]
            res = run_process([exe], pkg, min(ctx["timeout"], self.remaining(ctx)), env=child_env())
            return self.outcome(ctx, program, [exe], res, {"sdk_version": rec["sdk_version"],
                                                           "compile_command": build_cmd, "compile_ms": compile_ms})
        finally:
            shutil.rmtree(pkg, ignore_errors=True)

    JAVA_IMPORTS = [("MilvusServiceClient", "io.milvus.client.MilvusServiceClient"),
                    ("ConnectParam", "io.milvus.param.ConnectParam"),
                    ("MilvusClientV2", "io.milvus.v2.client.MilvusClientV2"),
                    ("ConnectConfig", "io.milvus.v2.client.ConnectConfig"),
                    ("TimeUnit", "java.util.concurrent.TimeUnit")]

    def run_java(self, code, disconnect, ctx):
        rec = self.lang_info("java")
        java, javac = self.tool("java"), self.tool("javac")
        body = join_program([code, disconnect])
        imports = [imp for name, imp in self.JAVA_IMPORTS if re.search(r"\b%s\b" % name, body)]
        head = ["import %s;" % i for i in imports] + ["", "public class Example {",
                                                      "  public static void main(String[] args) throws Exception {"]
        program = "\n".join(head) + "\n" + body + "  }\n}\n"
        ctx["skeleton"].append("imports %s; public class Example { public static void main(String[] args) "
                               "throws Exception { ... } }" % ", ".join(imports))
        tmp = self.workdir(os.path.join(rec["dir"], ".examples"), "run-")
        try:
            with open(os.path.join(tmp, "Example.java"), "w") as f:
                f.write(program)
            cp = os.path.join(rec["dir"], "lib", "*")
            compile_cmd = [javac, "-nowarn", "-encoding", "UTF-8", "-d", "classes", "-cp", cp, "Example.java"]
            res = run_process(compile_cmd, tmp, self.remaining(ctx), env=child_env())
            n_body = len(body.splitlines())
            if res["exit_code"] != 0 or res["timed_out"]:
                self.compile_failed(ctx, program, compile_cmd, res, lambda n: len(head) < n <= len(head) + n_body)
            compile_ms = res["elapsed_ms"]
            cmd = [java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                   "-cp", "classes" + os.pathsep + cp, "Example"]
            res = run_process(cmd, tmp, min(ctx["timeout"], self.remaining(ctx)), env=child_env())
            return self.outcome(ctx, program, cmd, res, {"sdk_version": rec["sdk_version"],
                                                         "compile_command": compile_cmd, "compile_ms": compile_ms})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def run_cli(self, code, disconnect, ctx):
        rec = self.lang_info("cli")
        exe = os.path.join(rec["dir"], "venv", "bin", "milvus_cli")
        # The program is what a person types at the milvus_cli prompt, then end of input (Ctrl-D).
        lines = [l.strip() for l in join_program([code, disconnect]).splitlines() if l.strip()
                 and not is_comment_line(l)]
        program = "\n".join(lines) + "\n"
        ctx["skeleton"].append("typed at the interactive milvus_cli prompt (stdin), then end of input")
        home = tempfile.mkdtemp(prefix="docs-example-cli-")
        try:
            env = child_env(HOME=home, TERM="dumb", PYTHONIOENCODING="utf-8", COLUMNS="200")
            res = run_process([exe], home, ctx["timeout"], env=env, stdin_text=program)
            res["stdout"] = clean_terminal(res["stdout"])
            return self.outcome(ctx, program, [exe, "< program"], res, {"sdk_version": rec["sdk_version"]})
        finally:
            shutil.rmtree(home, ignore_errors=True)

    def run_curl(self, code, disconnect, ctx):
        # Command lines start with `curl` (or `$ curl`); the lines after one are
        # the output the doc shows for it; `#` lines are comments.
        steps = []
        for line in join_program([code, disconnect]).splitlines():
            if not line.strip() or is_comment_line(line):
                continue
            m = re.match(r"^\s*(?:\$\s*)?(curl\s.*)$", line)
            if m:
                steps.append({"command": m.group(1).strip(), "expected": []})
            elif steps:
                steps[-1]["expected"].append(line.strip())
            else:
                raise ExampleError("param_error", "DriverArgError", "not a curl command line: %r" % line)
        program = join_program([code, disconnect])
        if not steps:
            return {"language": "curl", "nothing_to_run": True, "program": program, "command": None,
                    "exit_code": None, "stdout": "", "stderr": "", "elapsed_ms": 0.0,
                    "substitutions": ctx["substitutions"]}
        curl = shutil.which("curl")
        if disconnect is not None and not [l for l in disconnect.splitlines() if l.strip()
                                           and not is_comment_line(l)]:
            ctx["skeleton"].append("disconnect example is comment-only: nothing to run for it")
        outs, errs, total_ms, last = [], [], 0.0, None
        for step in steps:
            argv = shlex.split(step["command"])
            if curl:
                res = run_process([curl] + argv[1:], None, min(ctx["timeout"], self.remaining(ctx)), env=child_env())
                runner = [curl] + argv[1:]
            else:
                res = urllib_curl(argv, min(ctx["timeout"], self.remaining(ctx)))
                runner = ["python-urllib"] + argv[1:]
            total_ms += res["elapsed_ms"]
            outs.append(res["stdout"])
            errs.append(res["stderr"])
            extra = {"runner": runner, "expected_output": "\n".join(step["expected"])}
            got = res["stdout"].strip()
            want = "\n".join(step["expected"]).strip()
            if step["expected"] and res["exit_code"] == 0 and not same_output(got, want):
                extra["mismatch"] = "output differs from the doc: got %r, the doc shows %r" % (got[:500], want[:500])
            last = self.outcome(ctx, program, runner, res, extra)  # raises on failure
        if len(steps) > 1:
            last.update(stdout=tail("".join(outs)), stderr=tail("".join(errs)), elapsed_ms=round(total_ms, 1))
        return last


def same_output(got, want):
    if got == want:
        return True
    try:
        return json.loads(got) == json.loads(want)
    except ValueError:
        return " ".join(got.split()) == " ".join(want.split())


ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*(?:\x07|\x1b\\)|\x1b[=>()][0-9A-Za-z]?")


def clean_terminal(text):
    text = ANSI_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    out, blank = [], 0
    for line in text.split("\n"):
        line = line.rstrip()
        blank = blank + 1 if not line else 0
        if blank <= 1:
            out.append(line)
    return "\n".join(out)


def urllib_curl(argv, timeout):
    """`curl [-s] URL` without a curl binary: GET the URL and print the body, as curl does."""
    t0 = time.monotonic()
    urls = [a for a in argv[1:] if not a.startswith("-")]
    opts = [a for a in argv[1:] if a.startswith("-") and a not in ("-s", "--silent", "-S", "-sS")]
    if len(urls) != 1 or opts:
        raise ExampleError("unknown", "toolchain_unavailable",
                           "no curl binary here, and the python stand-in only runs `curl [-s] URL`: %s"
                           % " ".join(argv))
    url = urls[0] if "://" in urls[0] else "http://" + urls[0]
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body, code, err = r.read().decode("utf-8", "replace"), 0, ""
    except urllib.error.HTTPError as e:  # curl without -f prints the body and exits 0
        body, code, err = e.read().decode("utf-8", "replace"), 0, ""
    except urllib.error.URLError as e:
        reason = getattr(e, "reason", e)
        timed = "timed out" in str(reason)
        body, code = "", 28 if timed else 7
        err = "curl: (%d) %s" % (code, reason)
    except (TimeoutError, OSError) as e:
        body, code, err = "", 28, "curl: (28) %s" % e
    return {"exit_code": code, "stdout": body, "stderr": err, "timed_out": False,
            "elapsed_ms": round((time.monotonic() - t0) * 1000.0, 1)}


# --------------------------------------------------------------------------
# protocol loop


def handle(driver, req):
    op = req.get("op")
    args = req.get("args") or {}
    t0 = time.monotonic()
    try:
        deadline_s = float(req.get("deadline_ms") or 120000) / 1000.0
    except (TypeError, ValueError):
        deadline_s = 120.0
    try:
        if op == "hello":
            result = driver.op_hello(args)
        elif op == "reset":
            result = driver.op_reset(args)
        elif op == "classify_example":
            result = driver.op_classify_example(args)
        elif op == "run_example":
            result = driver.op_run_example(args, deadline_s)
        else:
            return {"ok": False, "elapsed_ms": 0.0, "warnings": [],
                    "error": {"category": "unsupported_op", "type": "unsupported_op", "code": None,
                              "message": "the docs driver does not implement op %r" % (op,)}}
        return {"ok": True, "result": result, "warnings": [],
                "elapsed_ms": round((time.monotonic() - t0) * 1000.0, 1)}
    except ExampleError as e:
        error = dict(e.error)
        if e.detail:
            error["detail"] = e.detail
        return {"ok": False, "error": error, "warnings": [],
                "elapsed_ms": round((time.monotonic() - t0) * 1000.0, 1)}
    except Exception as e:  # a driver bug: say so and keep serving
        import traceback
        traceback.print_exc(file=sys.stderr)
        return {"ok": False, "warnings": [], "elapsed_ms": round((time.monotonic() - t0) * 1000.0, 1),
                "error": {"category": "unknown", "type": "driver_" + type(e).__name__, "code": None,
                          "message": str(e)}}


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: driver.py <build_dir>\n")
        sys.exit(2)
    driver = Driver(sys.argv[1])
    serve(lambda request: handle(driver, request), "docs")


if __name__ == "__main__":
    main()
