"""Does a code fence hold the language its label names? The labelled
language's own tool answers: its compiler or syntax checker accepts the text
(exit status 0) or rejects it (its message is the evidence). Shared by the
driver (classify_example) and its reproducer renderer (repro.py). Stdlib only.

    label             tool (the fence is written to a file, fence<ext>)
    python, py, python3   <python> -I -c PY_CHECK fence.py   (compile(code, "<fence>", "exec"),
                          in a fresh interpreter: the harness's, which also runs this driver)
    javascript, js    node --check fence.js
    go, golang        gofmt -e < fence.go   (on stdin, gofmt also accepts a fragment:
                      statements or declarations without `package`)
    shell, bash, sh   bash -n fence.sh
Any other label, or a tool not on PATH: no tool here to answer (None).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

# compile() the file's text; a SyntaxError (or ValueError: a NUL byte) is Python refusing it.
PY_CHECK = (
    "import sys\n"
    "source = open(sys.argv[1], encoding='utf-8').read()\n"
    "try:\n"
    "    compile(source, '<fence>', 'exec')\n"
    "except (SyntaxError, ValueError) as exc:\n"
    "    sys.stderr.write('%s: %s\\n' % (type(exc).__name__, exc))\n"
    "    sys.exit(1)\n"
)

# label -> (tool, file extension, argv after the tool's path (FENCE: the file), fence on stdin)
TOOLS = {
    "python": ("python", ".py", ["-I", "-c", PY_CHECK, "FENCE"], False),  # shown as python compile()
    "javascript": ("node", ".js", ["--check", "FENCE"], False),
    "go": ("gofmt", ".go", ["-e"], True),
    "shell": ("bash", ".sh", ["-n", "FENCE"], False),
}
ALIASES = {"py": "python", "python3": "python", "js": "javascript", "golang": "go", "bash": "shell", "sh": "shell"}
TIMEOUT_S = 30.0


def tool_for(label):
    """-> (canonical label, tool, ext, argv, stdin, tool path or None), or None for a label no tool checks."""
    key = (label or "").strip().lower()
    key = ALIASES.get(key, key)
    if key not in TOOLS:
        return None
    name, ext, argv, stdin = TOOLS[key]
    path = sys.executable if name == "python" else shutil.which(name)
    return key, name, ext, argv, stdin, path


def check(label, code):
    """-> None (no tool for this label here), or {tool, command, accepted, exit_code, output,
    elapsed_ms, timed_out}: what the labelled language's own tool said of the text."""
    found = tool_for(label)
    if found is None or found[5] is None:
        return None
    _, name, ext, argv, stdin, path = found
    tmp = tempfile.mkdtemp(prefix="docs-fence-")
    try:
        fence = os.path.join(tmp, "fence" + ext)
        with open(fence, "w", encoding="utf-8") as f:
            f.write(code)
        command = [path] + [os.path.basename(fence) if a == "FENCE" else a for a in argv]  # run in tmp
        started = time.monotonic()
        with open(fence, "rb") as src:
            try:
                proc = subprocess.run(command, cwd=tmp, stdin=src if stdin else subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT_S)
                exit_code, output, timed_out = proc.returncode, proc.stderr.decode("utf-8", "replace"), False
            except subprocess.TimeoutExpired:
                exit_code, output, timed_out = None, "", True
        shown = "python compile()" if name == "python" else " ".join([name] + [a for a in argv if a != "FENCE"])
        return {"tool": shown, "command": command, "path": path, "accepted": exit_code == 0, "exit_code": exit_code,
                "output": output.strip()[-2000:], "timed_out": timed_out,
                "elapsed_ms": round((time.monotonic() - started) * 1000.0, 1)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def evidence(output):
    """The tool's own words: its first line, plus its error line when that comes later (node)."""
    lines = [l.strip() for l in output.splitlines() if l.strip()]
    if not lines:
        return ""
    first = lines[0]
    later = [l for l in lines[1:] if l.split(":")[0].endswith("Error")]
    return first + (" | " + later[0] if later and "Error" not in first else "")
