"""Reproducers: every failure shown again without the harness (drivers/PROTOCOL.md, section 8).

The driver renders the failing transcript as a standalone program in its SDK's language; the
harness writes it to reports/<run>/repro/<scenario>--<column>/, runs it at once with the same SDK
build against the same server (performing the scenario's server and network actions where the
program waits for them), and compares its answers with the transcript. A failure the program
does not show again was made by the harness or the driver, not by the SDK: the caller turns the
cell into an error, never a fail."""

import json
import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Optional

from .drivers.build import Build, expand
from .drivers.registry import Manifest
from .trees import remove_tree
from .scenario.expectations import check
from .scenario.model import HARNESS_OPS, Scenario

RENDER_TIMEOUT_SECONDS = 60
START_ALLOWANCE_SECONDS = 420  # compiling first (javac; go run: seconds from the build's warm cache, minutes cold)
OUTPUT_CHARS = 6000  # kept from each end of a long output (milvus_cli prints whole tracebacks)
STOP_GRACE_SECONDS = 2


def folder_name(scenario_id: str, column: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{scenario_id}--{column}")


def instruction(step: dict, endpoint) -> str:
    """What a person does by hand where the harness acted on the server or the network."""
    args = step["args"]
    server = f"the Milvus server at {endpoint.host}:{endpoint.grpc_port}" if endpoint else "the Milvus server"
    if step["op"] == "server":
        return {"stop": f"stop {server}",
                "start": f"start {server} again, on the same ports",
                "restart": f"restart {server}, on the same ports",
                "pause": f"pause {server}'s process (kill -STOP <pid>): it keeps accepting TCP but never answers",
                "resume": f"resume {server}'s process (kill -CONT <pid>)"}[args["action"]]
    if step["op"] == "proxy":
        port = (step.get("response") or {}).get("result", {}).get("port")
        return {"pass": f"let the network between this program and port {port} pass again",
                "latency": f"add {args.get('latency_ms', 0)} ms of latency each way in front of {server} "
                           f"(port {port} here is a loopback proxy doing it)",
                "blackhole": f"make the network in front of {server} swallow every byte "
                             f"(port {port} here is a loopback proxy doing it)",
                "reset": f"make the network in front of {server} reset every connection "
                         f"(port {port} here is a loopback proxy doing it)"}[args["mode"]]
    return f"{step['op']}: {json.dumps(args)}"


def request_for(scenario: Scenario, transcript: list, hello: dict, build: Build, endpoint) -> dict:
    """What the renderer gets: the transcript up to the failing step, arguments as sent."""
    steps = []
    for entry in transcript:
        if entry["op"] in HARNESS_OPS:
            steps.append({"step": entry["step"], "harness": entry["op"], "args": entry["args"],
                          "instruction": instruction(entry, endpoint)})
        else:
            steps.append({"step": entry["step"], "op": entry["op"], "args": entry["args"]})
        if entry["verdict"] == "mismatch":
            break
    return {"scenario": {"id": scenario.id, "title": scenario.title},
            "sdk": hello.get("sdk") or {}, "build_dir": build.build_dir, "steps": steps,
            "server": {"host": getattr(endpoint, "host", ""), "grpc_port": getattr(endpoint, "grpc_port", None),
                       "http_port": getattr(endpoint, "http_port", None),
                       "version": getattr(endpoint, "version", "")}}


def render(manifest: Manifest, build: Build, request: dict, folder: Path) -> dict:
    """Run the driver's renderer; write the program's files into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    request_path = folder / "request.json"
    request_path.write_text(json.dumps(request, indent=2))
    command = expand(manifest.repro_command, manifest, request=str(request_path), build_dir=build.build_dir)
    proc = subprocess.run(command, cwd=manifest.driver_dir, capture_output=True, text=True,
                          timeout=RENDER_TIMEOUT_SECONDS)
    if proc.returncode != 0:
        raise ReproError(f"the renderer failed ({' '.join(command)}): {proc.stderr.strip()[-500:]}")
    try:
        rendered = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError) as exc:
        raise ReproError(f"the renderer printed no JSON line ({exc}): {proc.stdout[-300:]!r}")
    for name, text in rendered["files"].items():
        (folder / name).write_text(text)
    return rendered


class ReproError(Exception):
    pass


def run_program(rendered: dict, manifest: Manifest, build: Build, folder: Path, deadlines: "dict[int, float]",
                act) -> "tuple[dict, str, Optional[str]]":
    """Run the program; answer its harness steps with act(step_number); collect its JSON lines.
    Returns ({step: answer}, its output, the step it was stopped at for not answering in time)."""
    command = expand(rendered["run"], manifest, build_dir=build.build_dir, repro_dir=str(folder))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MILVUS_")}
    env.update({k: expand([v], manifest, build_dir=build.build_dir, repro_dir=str(folder))[0]
                for k, v in (rendered.get("env") or {}).items()})
    # Its temporary files (`go run`'s build folder) stay in the repro folder and go with the program's end,
    # also when it is killed for not answering.
    env["TMPDIR"] = str(folder / ".tmp")
    os.makedirs(env["TMPDIR"], exist_ok=True)
    stderr_path = folder / "stderr.txt"
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(command, cwd=folder, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr, start_new_session=True)
    answers, lines, buffer, stalled = {}, [], b"", None
    pending = sorted(deadlines)
    limit = time.monotonic() + START_ALLOWANCE_SECONDS + (deadlines[pending[0]] if pending else 0)
    try:
        while pending:
            ready = select.select([proc.stdout], [], [], max(0.0, limit - time.monotonic()))[0]
            if not ready:
                stalled = pending[0]
                break
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                line = raw.decode("utf-8", "replace")
                lines.append(line)
                answer = _answer(line)
                if answer is None or answer["step"] not in pending:
                    continue
                if "await" in answer:  # the program waits for the scenario's own action
                    act(answer["step"])
                    proc.stdin.write(b"\n")
                    proc.stdin.flush()
                answers[answer["step"]] = answer
                pending.remove(answer["step"])
                if pending:
                    limit = time.monotonic() + deadlines[pending[0]]
    finally:
        _stop(proc)
        remove_tree(Path(env["TMPDIR"]), patience_seconds=0)
        stderr_text = stderr_path.read_text(errors="replace") if stderr_path.exists() else ""
    output = "\n".join(lines) + (f"\n--- stderr ---\n{stderr_text}" if stderr_text.strip() else "")
    if len(output) > 2 * OUTPUT_CHARS:
        output = f"{output[:OUTPUT_CHARS]}\n[... {len(output) - 2 * OUTPUT_CHARS} characters ...]\n{output[-OUTPUT_CHARS:]}"
    return answers, output, stalled


def _answer(line: str) -> Optional[dict]:
    if not line.startswith("{"):
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("step"), int) else None


def _stop(proc) -> None:
    """End the program and everything it started: end of input and SIGTERM first (a program may
    clean up after itself), SIGKILL to the whole group after a short grace."""
    for sig, grace in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 10)):
        if proc.poll() is None:
            try:
                proc.stdin.close()
                os.killpg(proc.pid, sig)
            except OSError:
                pass
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # what it started in its group, still running after it exited
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    for stream in (proc.stdin, proc.stdout):
        try:
            stream.close()
        except OSError:
            pass


def as_response(answer: Optional[dict], transcript_response: dict) -> dict:
    """The program's answer in the protocol's shape. Its category is the transcript's when its
    error is the same (type and code): categories are the driver's translation, and the question
    is whether the SDK did the same thing again."""
    if answer is None:
        return {"ok": False, "error": {"category": "hang", "type": "NoReturn", "code": None,
                                       "message": "the program did not print this step in time"}}
    response = {"ok": bool(answer.get("ok")), "elapsed_ms": answer.get("elapsed_ms")}
    if response["ok"]:
        response["result"] = answer.get("result") or {}
    else:
        error = dict(answer.get("error") or {})
        theirs = transcript_response.get("error") or {}
        same = _same_error(error, theirs)
        error["category"] = theirs.get("category") if same else "unknown"
        response["error"] = error
    return response


def _same_error(mine: dict, theirs: dict) -> bool:
    return str(mine.get("type")) == str(theirs.get("type")) and str(mine.get("code")) == str(theirs.get("code"))


def _outcome(response: dict) -> str:
    if response.get("ok"):
        return "success"
    return "no return" if (response.get("error") or {}).get("category") == "hang" else "error"


def compare(transcript: list, answers: dict) -> "tuple[bool, str]":
    """(reproduced, why): every step up to the failing one did what it did in the run, and the
    failing one misses its expectation again, judged as in the run."""
    for entry in transcript:
        if entry["op"] in HARNESS_OPS:
            continue
        theirs = entry["response"]
        mine = as_response(answers.get(entry["step"]), theirs)
        n = entry["step"]
        if _outcome(mine) != _outcome(theirs):
            return False, (f"step {n} ({entry['op']}): the program's call ended in {_outcome(mine)}, "
                           f"the run's in {_outcome(theirs)}")
        if _outcome(mine) == "error" and not _same_error(mine["error"], theirs.get("error") or {}):
            return False, (f"step {n} ({entry['op']}): the program got {mine['error'].get('type')} "
                           f"(code {mine['error'].get('code')}), the run "
                           f"{(theirs.get('error') or {}).get('type')} (code {(theirs.get('error') or {}).get('code')})")
        reason, _ = check(entry["expect"], mine, entry["args"])
        if entry["verdict"] == "mismatch":
            if reason is None:
                return False, f"step {n} ({entry['op']}): the program's answer meets the expectation"
            return True, f"step {n} ({entry['op']}) fails again: {reason}"
        if reason is not None:
            return False, f"step {n} ({entry['op']}) fails in the program but passed in the run: {reason}"
    return False, "the run's failing step is not in the transcript"


def reproducer(proc, build: Build, scenario: Scenario, column: str, endpoint, repro_root: Path):
    """run_scenario's on_failure for a confirming attempt in `proc`: the failure, reproduced by a standalone
    program (the driver's hello is read when it runs: a driver restarted since has answered a new one)."""
    from .execution import deadline_for

    def on_failure(run, act):
        return reproduce(proc.manifest, build, proc.hello or {}, scenario, column, endpoint, run, act, repro_root,
                         deadline_for)
    return on_failure


def reproduce(manifest: Manifest, build: Build, hello: dict, scenario: Scenario, column: str, endpoint,
              run, act, repro_root: Path, deadline_for) -> dict:
    """Render, write, run and compare. The result goes into results.json as the cell's `repro`."""
    folder = repro_root / folder_name(scenario.id, column)
    record = {"path": None, "language": None, "reproduced": False, "output": "", "why": ""}
    if manifest.repro_command is None:
        record["why"] = f"driver '{manifest.name}' has no reproducer renderer (repro.render in its manifest)"
        return record
    transcript = []
    for entry in run.transcript:
        transcript.append(entry)
        if entry["verdict"] == "mismatch":
            break
    try:
        rendered = render(manifest, build, request_for(scenario, transcript, hello, build, endpoint), folder)
    except (ReproError, subprocess.TimeoutExpired, OSError, KeyError, TypeError) as exc:
        record["why"] = f"could not render: {exc}"
        return record
    record.update(path=str((folder / rendered["main"]).relative_to(repro_root.parent)),
                  language=rendered["language"], command=rendered["run"], env=rendered.get("env") or {},
                  program=rendered["files"][rendered["main"]])
    steps_by_number = {entry["step"]: (scenario.steps[entry["step"] - 1], entry) for entry in transcript}
    deadlines = {n: deadline_for(step, entry["args"]) for n, (step, entry) in steps_by_number.items()}

    def perform(n: int) -> None:
        step, entry = steps_by_number[n]
        act(step, entry["args"])

    try:
        answers, output, stalled = run_program(rendered, manifest, build, folder, deadlines, perform)
    except OSError as exc:
        record["why"] = f"could not run {rendered['run']}: {exc}"
        return record
    reproduced, why = compare(transcript, answers)
    record.update(reproduced=reproduced, why=why, output=output,
                  **({"stopped_at_step": stalled} if stalled else {}))
    (folder / "output.txt").write_text(output)
    return record
