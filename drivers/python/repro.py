"""Renders a transcript as a standalone pymilvus program (drivers/PROTOCOL.md, section 8):
the driver's calls (calls.py), with the transcript's argument values as literals."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from reprokit import header, main, python_lines  # noqa: E402

from calls import alias_call, connect_call, utility_call  # noqa: E402

PRELUDE = '''import json
import threading
import time

from pymilvus import connections, utility


def step(n, call):
    """Run one SDK call; print what it returned or raised, as one JSON line."""
    started = time.perf_counter()
    try:
        line = {"step": n, "ok": True, "result": call()}
    except Exception as exc:
        code = getattr(exc, "code", None)
        code = str(code()) if callable(code) else code
        code = code if code is None or isinstance(code, (int, str)) else str(code)
        line = {"step": n, "ok": False, "error": {"type": type(exc).__name__, "code": code,
                                                  "message": str(getattr(exc, "message", None) or exc)}}
    line["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    print(json.dumps(line, default=str), flush=True)


def disconnect_during_call(alias, after_s, call):
    """Start `call` in a thread, disconnect `alias` after `after_s`, and report what the call did."""
    outcome = {"pending": True}

    def in_flight():
        try:
            outcome.update(ok=True, result=str(call()))
        except Exception as exc:
            outcome.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        outcome.pop("pending")
        ended.append(time.perf_counter())

    ended = []
    thread = threading.Thread(target=in_flight, daemon=True)
    thread.start()
    time.sleep(after_s)
    connections.disconnect(alias)
    closed = time.perf_counter()
    thread.join(20)
    return {"call": outcome, "call_ended_ms": round((ended[0] - closed) * 1000) if ended else None}


def await_harness(n, instruction):
    """The scenario acts on the server here: do it, then press Enter."""
    print(json.dumps({"step": n, "await": instruction}), flush=True)
    input()


'''


def call_text(function: str, positional: list, keywords: dict) -> str:
    parts = [repr(v) for v in positional] + [f"{k}={v!r}" for k, v in keywords.items()]
    return f"{function}({', '.join(parts)})"


def statement(step: dict) -> str:
    op, args, n = step["op"], step["args"], step["step"]
    if op == "connect":
        return f"step({n}, lambda: {call_text('connections.connect', *connect_call(args))} or {{}})"
    if op == "disconnect":
        return f"step({n}, lambda: {call_text('connections.disconnect', *alias_call(args))} or {{}})"
    if op == "has_connection":
        return f"step({n}, lambda: {{'exists': {call_text('connections.has_connection', *alias_call(args))}}})"
    if op == "connection_address":
        return f"step({n}, lambda: dict({call_text('connections.get_connection_addr', *alias_call(args))}))"
    if op == "list_connections":
        return f"step({n}, lambda: {{'aliases': [a for a, _ in connections.list_connections()]}})"
    if op == "server_version":
        return f"step({n}, lambda: {{'version': {call_text('utility.get_server_version', *utility_call(args))}}})"
    if op == "list_collections":
        return f"step({n}, lambda: {{'collections': {call_text('utility.list_collections', *utility_call(args))}}})"
    if op == "disconnect_during_call":
        return (f"step({n}, lambda: disconnect_during_call({args.get('alias', 'default')!r}, "
                f"{float(args.get('after_ms', 500)) / 1000!r}, "
                f"lambda: {call_text('utility.get_server_version', *utility_call(args))}))")
    raise SystemExit(f"the python reproducer cannot render op {op!r}")


def render(request: dict) -> dict:
    text = header(request, "#", "python repro.py  (with the SDK version above installed)") + PRELUDE + python_lines(request, statement)
    return {"language": "python", "files": {"repro.py": text}, "main": "repro.py",
            "run": ["{build_dir}/venv/bin/python", "repro.py"], "env": {}}


if __name__ == "__main__":
    main(render)
