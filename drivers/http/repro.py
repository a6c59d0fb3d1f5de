"""Renders a transcript as a standalone Python program making the driver's requests call
(calls.py, the same mapping) with the transcript's argument values as literals, each step
preceded by the curl command a person would type (drivers/PROTOCOL.md, section 8)."""

import inspect
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from reprokit import header, main, python_lines  # noqa: E402

import calls  # noqa: E402
from calls import Refused, curl_command, request_call  # noqa: E402

# error_fields is the driver's own (calls.py), copied in so both print type and code alike.
PRELUDE = '''import json
import time

import requests


def fetch(method, url, **keywords):
    """One request, on its own connection (requests.request opens and closes a session), as curl makes it.
    HTTP 401 and 403 count as failures (the conformance driver reports them so); other statuses are answers."""
    response = requests.request(method, url, **keywords)
    if response.status_code in (401, 403):
        response.raise_for_status()
    return {"status": response.status_code, "reason": response.reason, "body": response.text}


''' + inspect.getsource(calls.error_fields) + '''

def step(n, call):
    """Run one request; print what it returned or raised, as one JSON line."""
    started = time.perf_counter()
    try:
        line = {"step": n, "ok": True, "result": call()}
    except Exception as exc:
        line = {"step": n, "ok": False, "error": error_fields(exc)}
    line["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    print(json.dumps(line), flush=True)


def await_harness(n, instruction):
    """The scenario acts on the server here: do it, then press Enter."""
    print(json.dumps({"step": n, "await": instruction}), flush=True)
    input()


'''


def statement(step):
    n, args = step["step"], step.get("args") or {}
    if step["op"] != "http_request":
        raise SystemExit("the http reproducer cannot render op %r" % step["op"])
    try:
        positional, keywords = request_call(args)
    except Refused as exc:  # the driver answered this step itself: no request was made
        line = {"step": n, "ok": False, "error": {k: exc.error[k] for k in ("type", "code", "message")},
                "elapsed_ms": 0.0}
        return "# step %d: not sent, requests cannot be given it as it is\nprint(json.dumps(%r), flush=True)" % (
            n, line)
    literals = [repr(v) for v in positional] + ["%s=%r" % kv for kv in keywords.items()]
    return "# %s\nstep(%d, lambda: fetch(%s))" % (curl_command(args), n, ", ".join(literals))


def render(request):
    text = header(request, "#", "python repro.py  (with the requests version above installed; the curl commands "
                                "are above each step)") + PRELUDE + python_lines(request, statement)
    return {"language": "python", "files": {"repro.py": text}, "main": "repro.py",
            "run": ["{build_dir}/venv/bin/python", "repro.py"], "env": {}}


if __name__ == "__main__":
    main(render)
