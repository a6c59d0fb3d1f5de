"""Runs one doc example program, exactly as given, with its language's SDK
build, and says how it ended (exit status and output). Stdlib only.

Shared by the docs driver (driver.py) and the reproducers it renders
(repro.py copies this file next to the program), so that both run the same
commands and report the same error type and code:

    res = execute("go", program, build_dir, timeout)   # what ran, exit status, output
    verdict(res)    # None (it worked) or {"type", "code", "message"}

Per language (<build_dir> is the docs driver's build, see build.py):
    python  <build_dir>/python/venv/bin/python example.py                 (in a temp folder)
    node    node example.mjs        in <build_dir>/node/.examples/run-*/   (finds node_modules)
    go      go build -o example ./docexample_*; ./example   in the module <build_dir>/go/src
    java    javac -cp '<build_dir>/java/lib/*' Example.java; java -cp classes:... Example
    cli     <build_dir>/cli/venv/bin/milvus_cli, the program typed on its stdin, then end of input
    curl    each `curl ...` line run with the curl binary (no shell); the lines after it are
            the output the doc shows, compared with what curl printed
A program still running at `timeout` is killed with its process group: it
did not return (type DriverDeadline, the protocol's category hang).
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

TAIL = 4000


class Unavailable(Exception):
    """The language's toolchain or SDK build is not there: nothing ran."""


# -- processes ------------------------------------------------------------------

def run_process(cmd, cwd, timeout, env=None, stdin_text=None):
    """-> dict(command, exit_code, stdout, stderr, timed_out, elapsed_ms). The child gets its
    own process group, killed when it outlives `timeout` (and after it ends: no strays)."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, start_new_session=True,
                                stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise Unavailable("cannot start %s: %s" % (cmd[0], exc))
    timed_out = False
    try:
        out, err = proc.communicate(input=stdin_text.encode() if stdin_text is not None else None,
                                    timeout=None if timeout is None else max(0.1, timeout))
    except subprocess.TimeoutExpired:
        timed_out = True
        killpg(proc.pid)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            out, err = b"", b""
    killpg(proc.pid)  # anything the example left behind in its group
    return {"command": cmd, "exit_code": proc.returncode, "stdout": out.decode("utf-8", "replace"),
            "stderr": err.decode("utf-8", "replace"), "timed_out": timed_out, "timeout_s": timeout,
            "elapsed_ms": round((time.monotonic() - started) * 1000.0, 1)}


def killpg(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def child_env(**extra):
    # The protocol's environment: the harness's, minus MILVUS_* (pymilvus reads MILVUS_URI).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MILVUS_", "ZILLIZ_"))}
    env.update(extra)
    return env


def tool(name):
    path = shutil.which(name)
    if path is None and name == "go" and os.path.exists("/usr/local/go/bin/go"):
        path = "/usr/local/go/bin/go"
    if path is None:
        raise Unavailable("%s is not on PATH" % name)
    return path


def sdk_dir(build_dir, lang):
    """The folder build.py built this language's SDK into, or Unavailable."""
    try:
        with open(os.path.join(build_dir, "build.json")) as f:
            rec = (json.load(f).get("languages") or {}).get(lang)
    except (OSError, ValueError) as exc:
        raise Unavailable("no usable build in %s: %s" % (build_dir, exc))
    if not rec:
        raise Unavailable("no %s toolchain in this build (%s)" % (lang, build_dir))
    if not rec.get("ok"):
        raise Unavailable("%s examples cannot run here: %s" % (lang, rec.get("reason")))
    return os.path.join(build_dir, lang)


def workdir(parent, prefix):
    os.makedirs(parent, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=parent)


# -- running, per language ----------------------------------------------------------

def execute(lang, program, build_dir, timeout, deadline=None):
    """Run `program` (the text that runs, skeleton included) and return what happened:
    the run's process dict, with phase "compile" when the compiler refused it. `timeout`
    (seconds, None: no limit) bounds the program's run; `deadline` (time.monotonic()),
    when given, bounds compiling and running together."""
    def left(limit):
        if deadline is None:
            return limit
        rest = max(0.5, deadline - time.monotonic())
        return rest if limit is None else min(limit, rest)
    build_dir = os.path.abspath(build_dir)
    if lang == "curl":
        return run_curl(program, left, timeout)
    sdk = sdk_dir(build_dir, lang)
    if lang == "python":
        tmp = tempfile.mkdtemp(prefix="docs-example-py-")
        try:
            write(tmp, "example.py", program)
            py = os.path.join(sdk, "venv", "bin", "python")
            return dict(run_process([py, "example.py"], tmp, left(timeout), env=child_env(PYTHONUNBUFFERED="1")), phase="run")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if lang == "node":
        node = tool("node")
        tmp = workdir(os.path.join(sdk, ".examples"), "run-")  # inside the SDK's install: bare imports resolve
        try:
            write(tmp, "example.mjs", program)  # an ES module: import statements and top-level await
            return dict(run_process([node, "example.mjs"], tmp, left(timeout), env=child_env()), phase="run")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if lang == "go":
        go = tool("go")
        module = os.path.join(sdk, "src")  # the Go module ../go/build.py made: it requires the SDK
        pkg = workdir(module, "docexample_")
        try:
            write(pkg, "main.go", program)
            env = child_env(GOFLAGS="-mod=readonly", GOWORK="off", GO111MODULE="on",
                            GOTOOLCHAIN=os.environ.get("GOTOOLCHAIN", "local"))
            exe = os.path.join(pkg, "example")
            built = run_process([go, "build", "-o", exe, "./" + os.path.basename(pkg)], module, left(None), env=env)
            if built["exit_code"] != 0 or built["timed_out"]:
                return dict(built, phase="compile")
            ran = run_process([exe], pkg, left(timeout), env=child_env())
            return dict(ran, phase="run", compile_command=built["command"], compile_ms=built["elapsed_ms"])
        finally:
            shutil.rmtree(pkg, ignore_errors=True)
    if lang == "java":
        java, javac = tool("java"), tool("javac")
        tmp = workdir(os.path.join(sdk, ".examples"), "run-")
        try:
            write(tmp, "Example.java", program)
            cp = os.path.join(sdk, "lib", "*")
            built = run_process([javac, "-nowarn", "-encoding", "UTF-8", "-d", "classes", "-cp", cp, "Example.java"],
                                tmp, left(None), env=child_env())
            if built["exit_code"] != 0 or built["timed_out"]:
                return dict(built, phase="compile")
            ran = run_process([java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                               "-cp", "classes" + os.pathsep + cp, "Example"], tmp, left(timeout), env=child_env())
            return dict(ran, phase="run", compile_command=built["command"], compile_ms=built["elapsed_ms"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if lang == "cli":
        exe = os.path.join(sdk, "venv", "bin", "milvus_cli")
        home = tempfile.mkdtemp(prefix="docs-example-cli-")
        try:
            env = child_env(HOME=home, TERM="dumb", PYTHONIOENCODING="utf-8", COLUMNS="200")
            res = run_process([exe], home, left(timeout), env=env, stdin_text=program)
            return dict(res, stdout=clean_terminal(res["stdout"]), command=[exe, "< program"], phase="run")
        finally:
            shutil.rmtree(home, ignore_errors=True)
    raise Unavailable("no runner for language %r" % lang)


def write(folder, name, text):
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        f.write(text)


def curl_commands(program):
    """[{command, expected: [lines]}]: a `curl` (or `$ curl`) line is a command, the
    lines after it are the output the doc shows for it; `#` lines are comments.
    ValueError on a line before the first command."""
    steps = []
    for line in program.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        m = re.match(r"^\s*(?:\$\s*)?(curl\s.*)$", line)
        if m:
            steps.append({"command": m.group(1).strip(), "expected": []})
        elif steps:
            steps[-1]["expected"].append(line.strip())
        else:
            raise ValueError("not a curl command line: %r" % line)
    return steps


def run_curl(program, left, timeout):
    curl = tool("curl")
    outs, errs, total_ms, res = [], [], 0.0, None
    for step in curl_commands(program):
        res = run_process([curl] + shlex.split(step["command"])[1:], None, left(timeout), env=child_env())
        res.update(phase="run", expected_output="\n".join(step["expected"]))
        outs.append(res["stdout"])
        errs.append(res["stderr"])
        total_ms += res["elapsed_ms"]
        got, want = res["stdout"].strip(), res["expected_output"].strip()
        if step["expected"] and res["exit_code"] == 0 and not same_output(got, want):
            res["mismatch"] = "output differs from the doc: got %r, the doc shows %r" % (got[:500], want[:500])
        if verdict(res) is not None:
            return res
    if res is None:
        raise Unavailable("no curl command in the example")
    return dict(res, stdout="".join(outs), stderr="".join(errs), elapsed_ms=round(total_ms, 1))


def same_output(got, want):
    """The doc's shown output: the same text, the same JSON, or the same words."""
    if got == want:
        return True
    try:
        return json.loads(got) == json.loads(want)
    except ValueError:
        return " ".join(got.split()) == " ".join(want.split())


ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*(?:\x07|\x1b\\)|\x1b[=>()][0-9A-Za-z]?")


def clean_terminal(text):
    """milvus_cli's output without terminal escapes and runs of blank lines."""
    text = ANSI_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    out, blank = [], 0
    for line in text.split("\n"):
        line = line.rstrip()
        blank = blank + 1 if not line else 0
        if blank <= 1:
            out.append(line)
    return "\n".join(out)


# -- how it ended ---------------------------------------------------------------------

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
    return "\n".join(line for line in text.splitlines() if not NOISE_RX.search(line))


def verdict(res):
    """None when the program worked (exit status 0, no failure text, the doc's output);
    else {"type", "code", "message"}: DriverDeadline (killed at `timeout`: it did not
    return), compile_error, example_crashed (traceback, panic, signal) or example_failed;
    code is the exit status."""
    text = significant(res["stderr"] + "\n" + res["stdout"])
    last = key_line(text)
    if res["timed_out"]:
        return {"type": "DriverDeadline", "code": None,
                "message": "the %s had not finished after %.1f s: killed its process group%s"
                           % ("compiler" if res["phase"] == "compile" else "example", res["timeout_s"],
                              ("; last output: " + last) if last else "")}
    if res["phase"] == "compile":
        errors = [l.strip() for l in text.splitlines() if re.search(r"\berror\b|:\d+:\d+: ", l)]
        return {"type": "compile_error", "code": res["exit_code"],
                "message": errors[0] if errors else last or "compiler exit status %s" % res["exit_code"]}
    failed_text = FAILURE_RX.search(text)
    if res["exit_code"] == 0 and not failed_text and not res.get("mismatch"):
        return None
    killed = res["exit_code"] is not None and res["exit_code"] < 0
    message = res.get("mismatch") or last or "exit status %s and no output" % res["exit_code"]
    if killed:
        message = "killed by signal %d; %s" % (-res["exit_code"], message)
    crashed = bool(CRASH_RX.search(text)) or killed
    return {"type": "example_crashed" if crashed else "example_failed", "code": res["exit_code"], "message": message}


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
