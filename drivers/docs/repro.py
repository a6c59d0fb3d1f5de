"""Renders a docs-driver transcript as standalone files (drivers/PROTOCOL.md, section 8).

    python repro.py <request.json>   -> {"language", "files", "main", "run", "env"} (last stdout line)

run_example step n: the program that ran (program.py builds the same text from the step's
arguments) as its own file, e.g. main.go, plus run.py, which runs it with the docs build
exactly as the driver did (runexample.py, the driver's own runner, copied beside it).
classify_example step n: the fence's text as fence<n>.<ext>, and in run.py the label's
own tool on it (Python's compile(), node --check, gofmt -e, bash -n: labelcheck.py).
run.py prints one JSON line per step; a step the driver answered itself (answered_by:
driver) prints that answer as a literal, marked "answered_by": "driver"."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from reprokit import harness_instruction, header, main  # noqa: E402

import labelcheck  # noqa: E402
from program import Refused, prepare  # noqa: E402

PROGRAM_FILE = {"python": "example.py", "node": "example.mjs", "go": "main.go", "java": "Example.java",
                "cli": "program.txt", "curl": "commands.txt"}
# How the docs driver runs each language's program (runexample.py does exactly this).
HOW = {
    "python": "<build_dir>/python/venv/bin/python example.py",
    "node": "node example.mjs, from a folder inside <build_dir>/node/.examples/ (so that the "
            "import finds <build_dir>/node/node_modules)",
    "go": "in the Go module <build_dir>/go/src: main.go in a new package folder docexample_*, "
          "go build -o example ./docexample_*, then ./example",
    "java": "javac -d classes -cp '<build_dir>/java/lib/*' Example.java; "
            "java -cp 'classes:<build_dir>/java/lib/*' Example",
    "cli": "<build_dir>/cli/venv/bin/milvus_cli < program.txt (typed at its prompt, then end of input)",
    "curl": "each `curl ...` line run with curl (no shell); the lines after it are the output the doc shows",
}

PRELUDE = '''import json
import subprocess
import sys
import time

BUILD_DIR = sys.argv[1] if len(sys.argv) > 1 else "."


def emit(line):
    print(json.dumps(line, default=str), flush=True)


def show(text):
    """What the program or tool printed, as "| " lines (never taken for a step's line)."""
    for line in text.splitlines():
        print("| " + line, flush=True)


def ms(started):
    return round((time.perf_counter() - started) * 1000, 1)


def await_harness(n, instruction):
    """The scenario acts on the server here: do it, then press Enter."""
    emit({"step": n, "await": instruction})
    input()
'''

RUN_EXAMPLE = '''
from runexample import Unavailable, execute, tail, verdict  # the docs driver's runner, copied


def run_example(n, language, program_file, timeout):
    """Run the program as the docs driver did; print how it ended (exit status and output)."""
    with open(program_file, encoding="utf-8") as f:
        program = f.read()
    try:
        res = execute(language, program, BUILD_DIR, timeout)
    except Unavailable as exc:  # nothing ran: the driver answers this itself
        emit({"step": n, "ok": False, "answered_by": "driver",
              "error": {"type": "toolchain_unavailable", "code": None, "message": str(exc)}, "elapsed_ms": 0.0})
        return
    show("$ " + " ".join(res["command"]) + "\\n" + res["stdout"] + res["stderr"])
    outcome = verdict(res)
    if outcome is None:
        emit({"step": n, "ok": True, "result": {"language": language, "command": res["command"],
                                                "exit_code": res["exit_code"], "stdout": tail(res["stdout"]),
                                                "stderr": tail(res["stderr"])}, "elapsed_ms": res["elapsed_ms"]})
    elif outcome["type"] == "DriverDeadline":
        # It never returned: no line for this step (the harness reads that as a hang).
        print("step %d did not return: %s" % (n, outcome["message"]), flush=True)
        sys.exit(3)
    else:
        emit({"step": n, "ok": False, "error": outcome, "elapsed_ms": res["elapsed_ms"]})
'''

PYTHON_CHECK = '''

def python_compiles(n, fence_file):
    """Python's own compiler on the fence: a SyntaxError (message, line) says it is not Python."""
    started = time.perf_counter()
    with open(fence_file, encoding="utf-8") as f:
        source = f.read()
    try:
        compile(source, "<fence>", "exec")
        result = {"label_matches": True, "evidence": "python compile() accepted it"}
    except (SyntaxError, ValueError) as exc:
        result = {"label_matches": False, "evidence": "%s: %s" % (type(exc).__name__, exc)}
    emit({"step": n, "ok": True, "result": result, "elapsed_ms": ms(started)})
'''

TOOL_CHECK = '''

def tool_accepts(n, command, fence_file, on_stdin):
    """The label's own syntax checker on the fence: exit status 0 accepts it, else its message says why."""
    started = time.perf_counter()
    with open(fence_file, "rb") as src:
        try:
            proc = subprocess.run(command, stdin=src if on_stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=%r)
        except subprocess.TimeoutExpired:
            print("step %%d did not return: %%s still running after %r s" %% (n, " ".join(command)), flush=True)
            sys.exit(3)
    output = proc.stderr.decode("utf-8", "replace").strip()
    show(output)
    lines = [l.strip() for l in output.splitlines() if l.strip()]
    errors = [l for l in lines[1:] if l.split(":")[0].endswith("Error")]
    evidence = (lines[0] if lines else "exit status %%d" %% proc.returncode) + (
        " | " + errors[0] if errors and lines and "Error" not in lines[0] else "")
    emit({"step": n, "ok": True, "elapsed_ms": ms(started),
          "result": {"label_matches": proc.returncode == 0,
                     "evidence": "%%s accepted it" %% " ".join(command[:-1] if not on_stdin else command)
                                 if proc.returncode == 0 else evidence}})
''' % (labelcheck.TIMEOUT_S, labelcheck.TIMEOUT_S)


def literal(n, line, why):
    """A step the driver answered itself: its answer, printed as it was."""
    return "# step %d: %s\nemit(%r)" % (n, why, dict({"step": n}, **line))


def render(request: dict) -> dict:
    files, lines, needs = {}, [], set()
    driver_steps = [s for s in request["steps"] if "harness" not in s]
    for step in request["steps"]:
        n = step["step"]
        if "harness" in step:
            lines.append("await_harness(%d, %r)" % (n, harness_instruction(step)))
            continue
        op, args = step["op"], step.get("args") or {}
        if op in ("hello", "reset"):
            lines.append(literal(n, {"ok": True, "answered_by": "driver", "result": {}},
                                 "%s: the driver's own bookkeeping, no SDK call" % op))
        elif op == "classify_example":
            lines.append(render_classify(n, args, files, needs))
        elif op == "run_example":
            lines.append(render_run(n, args, files, needs, single=len(driver_steps) == 1))
        else:
            lines.append(literal(n, {"ok": False, "answered_by": "driver", "error": {
                "type": "unsupported_op", "code": None, "message": "the docs driver does not implement op %r" % op}},
                "an op the docs driver does not implement"))
    text = header(request, "#", "python run.py <docs driver build folder>") + PRELUDE
    if "run" in needs:
        text += RUN_EXAMPLE
        with open(os.path.join(HERE, "runexample.py"), encoding="utf-8") as f:
            files["runexample.py"] = f.read()
    if "python" in needs:
        text += PYTHON_CHECK
    if "tool" in needs:
        text += TOOL_CHECK
    files["run.py"] = text + "\n\n" + "\n".join(lines) + "\n"
    return {"language": "multi", "files": files, "main": "run.py",
            "run": ["{python}", "run.py", "{build_dir}"], "env": {}}


def render_classify(n, args, files, needs):
    code, label = args.get("code"), args.get("label")
    if not isinstance(code, str):
        return literal(n, {"ok": False, "answered_by": "driver", "error": {
            "type": "DriverArgError", "code": None, "message": "classify_example needs code (a string)"}},
            "refused by the driver itself")
    found = labelcheck.tool_for(label)
    if found is None or found[5] is None:
        why = "no tool checks a %r fence" % (label,) if found is None else "%s is not on PATH" % found[1]
        files["fence%d.txt" % n] = code
        return literal(n, {"ok": True, "answered_by": "driver", "result": {"label_matches": None}},
                       "fence%d.txt, label %r: %s (the driver answered without a tool)" % (n, label, why))
    key, name, ext, argv, on_stdin, _ = found
    fence = "fence%d%s" % (n, ext)
    files[fence] = code
    if name == "python":
        needs.add("python")
        return "# step %d: fence labelled %r -> Python's compiler\npython_compiles(%d, %r)" % (n, label, n, fence)
    needs.add("tool")
    command = [name] + [fence if a == "FENCE" else a for a in argv]
    shown = " ".join(command) + (" < " + fence if on_stdin else "")
    return "# step %d: fence labelled %r -> %s\ntool_accepts(%d, %r, %r, %r)" % (
        n, label, shown, n, command, fence, on_stdin)


def render_run(n, args, files, needs, single):
    try:
        prep = prepare(args)
    except Refused as exc:
        return literal(n, {"ok": False, "answered_by": "driver", "error": {
            "type": "DriverArgError", "code": None, "message": str(exc)}}, "refused by the driver itself: nothing ran")
    lang = prep["language"]
    if prep["nothing_to_run"]:
        return literal(n, {"ok": True, "answered_by": "driver", "result": {"nothing_to_run": True}},
                       "only comment lines: no program ran (the driver answered itself)")
    needs.add("run")
    name = PROGRAM_FILE[lang] if single else "step%d-%s" % (n, PROGRAM_FILE[lang])
    files[name] = prep["program"]
    notes = ["# step %d: the doc's %s example as it ran (%s), run as the docs driver runs it:" % (n, lang, name),
             "#   " + HOW[lang]]
    notes += ["#   substituted: %s -> %s (%d)" % (s["from"], s["to"], s["count"]) for s in prep["substitutions"]]
    notes += ["#   skeleton: " + s for s in prep["skeleton"]]
    return "\n".join(notes) + "\nrun_example(%d, %r, %r, %r)" % (n, lang, name, prep["timeout"])


if __name__ == "__main__":
    main(render)
