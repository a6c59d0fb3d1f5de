"""What every driver's reproducer renderer shares (drivers/PROTOCOL.md, section 8).
Runs with the harness's interpreter; stdlib only.

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from reprokit import main
    def render(request) -> dict: ...   # {"language", "files", "main", "run", "env"}
    if __name__ == "__main__":
        main(render)

A renderer only writes text: it never runs the SDK and never decides an
outcome. The program it writes prints one JSON line per driver step and
awaits a line on stdin at each harness step."""

import json
import sys


def main(render, argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: repro.py <request.json> (drivers/PROTOCOL.md, section 8)\n")
        sys.exit(2)
    with open(argv[0], encoding="utf-8") as f:
        request = json.load(f)
    rendered = render(request)
    missing = [k for k in ("language", "files", "main", "run") if k not in rendered]
    if missing:
        sys.stderr.write(f"renderer returned no {', '.join(missing)}\n")
        sys.exit(1)
    rendered.setdefault("env", {})
    print(json.dumps(rendered))


def header(request: dict, comment: str, run_hint: str) -> str:
    """The program's opening comment: what it reproduces, against what, and how to run it."""
    scenario, sdk, server = request["scenario"], request["sdk"], request["server"]
    lines = [
        f"Reproduces milvus-conformance scenario {scenario['id']}: {scenario.get('title', '')}",
        f"SDK: {sdk.get('name')} {sdk.get('version')}; server: Milvus {server.get('version', '?')} "
        f"at {server.get('host')} (gRPC port {server.get('grpc_port')}, HTTP port {server.get('http_port')})",
        f"Run: {run_hint}",
        "Each step prints one JSON line: what the SDK returned or raised, and how long it took.",
    ]
    return "\n".join(f"{comment} {line}".rstrip() for line in lines) + "\n"


def harness_instruction(step: dict) -> str:
    """What a person does by hand where the harness acted on the server or the network."""
    return step.get("instruction") or f"{step['harness']}: {json.dumps(step.get('args', {}))}"


def python_lines(request: dict, statement) -> str:
    """The body of a Python reproducer: one line per step, statement(step) for an SDK call and an
    await_harness(n, instruction) call (the prelude's) where the scenario acts on the server."""
    return "\n".join(f"await_harness({step['step']}, {harness_instruction(step)!r})" if "harness" in step
                     else statement(step) for step in request["steps"]) + "\n"


def json_literal(value) -> str:
    """A JSON text, usable as a string or number literal in JavaScript and Java too (not in Go: Go
    rejects the surrogate pairs it writes for characters outside the BMP)."""
    return json.dumps(value, ensure_ascii=True)
