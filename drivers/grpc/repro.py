"""Renders a transcript as a standalone Python program making the same grpcio calls
(drivers/PROTOCOL.md, section 8): wire.py's text (the functions the driver calls),
then one line per step, with the arguments calls.py maps each op onto as literals."""

import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from reprokit import header, main, python_lines  # noqa: E402

from calls import Refused, alias_of, call_keywords, connect_call  # noqa: E402

WIRE = (Path(__file__).resolve().parent / "wire.py").read_text()

PRELUDE = '''

# -- the steps ------------------------------------------------------------------

import json
import threading
import time


class NotComposed(Exception):
    """The driver made no gRPC call for this step (it would have had to decide something)."""


def not_composed(reason):
    raise NotComposed(reason)


def step(n, call):
    """Run one step's calls; print what they returned or raised, as one JSON line."""
    started = time.perf_counter()
    try:
        line = {"step": n, "ok": True, "result": call()}
    except NotComposed as exc:
        line = {"step": n, "ok": False, "error": {"type": "unsupported_value", "code": None, "message": str(exc)}}
    except Exception as exc:
        line = {"step": n, "ok": False, "error": error_fields(exc)}
    line["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    print(json.dumps(line, default=str), flush=True)


def disconnect_during_call(alias, after_s, **call):
    """GetVersion in a thread; after `after_s`, close the channel; report what the call did."""
    outcome, ended = {"pending": True}, []

    def in_flight():
        try:
            outcome.update(ok=True, result=server_version(alias, **call))
        except Exception as exc:
            outcome.update(ok=False, error=error_fields(exc))
        outcome.pop("pending")
        ended.append(time.perf_counter())

    thread = threading.Thread(target=in_flight, daemon=True)
    thread.start()
    time.sleep(after_s)
    disconnect(alias)
    closed = time.perf_counter()
    thread.join(call.get("timeout", 10) + 5)
    return {"call": outcome, "call_ended_ms": round((ended[0] - closed) * 1000, 3) if ended else None}


def await_harness(n, instruction):
    """The scenario acts on the server here: do it, then press Enter."""
    print(json.dumps({"step": n, "await": instruction}), flush=True)
    input()


'''


def literal(value) -> str:
    """A Python literal; the metadata's authorization value as the wire.py call computing it."""
    if isinstance(value, tuple) and value and value[0] in ("user_password", "token"):
        return "%s(%s)" % (value[0], ", ".join(repr(v) for v in value[1:]))
    if isinstance(value, list):
        return "[%s]" % ", ".join("(%r, %s)" % (k, literal(v)) for k, v in value)
    return repr(value)


def call_text(function: str, positional: list, keywords: dict) -> str:
    parts = [repr(v) for v in positional] + ["%s=%s" % (k, literal(v)) for k, v in keywords.items()]
    return "%s(%s)" % (function, ", ".join(parts))


def statement(step: dict) -> str:
    op, args, n = step["op"], step.get("args") or {}, step["step"]
    try:
        if op == "connect":
            return "step(%d, lambda: %s)" % (n, call_text("connect", *connect_call(args)))
        if op == "disconnect":
            return "step(%d, lambda: disconnect(%r))" % (n, alias_of(args))
        if op in ("server_version", "check_health", "list_collections"):
            return "step(%d, lambda: %s)" % (n, call_text(op, [alias_of(args)], call_keywords(args)))
        if op == "disconnect_during_call":
            return "step(%d, lambda: %s)" % (n, call_text(
                "disconnect_during_call", [alias_of(args), float(args.get("after_ms", 500)) / 1000],
                call_keywords(args)))
    except Refused as exc:
        return "step(%d, lambda: not_composed(%r))" % (n, str(exc))
    raise SystemExit("the grpc reproducer cannot render op %r" % op)


def render(request: dict) -> dict:
    text = (header(request, "#", "python repro.py  (with grpcio and pymilvus (for its stubs only) installed)")
            + "\n" + WIRE + PRELUDE + python_lines(request, statement))
    return {"language": "python", "files": {"repro.py": text}, "main": "repro.py",
            "run": ["{build_dir}/venv/bin/python", "repro.py"], "env": {}}


if __name__ == "__main__":
    main(render)
