"""Renders a transcript as a standalone Python program making the driver's http.client calls
(calls.py, the same mapping) with the transcript's argument values as literals, each step
preceded by the curl command a person would type (drivers/PROTOCOL.md, section 8)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from reprokit import harness_instruction, header, main  # noqa: E402

from calls import Refused, connection_call, curl_command, request_call  # noqa: E402

PRELUDE = '''import http.client
import json
import time


class HTTPError(Exception):
    """HTTP 401 and 403 count as failures (the conformance driver reports them so); other statuses are answers."""


def fetch(connection, method, path, **request):
    """One request on its own connection, as curl makes it."""
    try:
        connection.request(method, path, **request)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
    finally:
        connection.close()
    if response.status in (401, 403):
        error = HTTPError(f"HTTP {response.status} {response.reason}: {body}")
        error.errno = response.status
        raise error
    return {"status": response.status, "reason": response.reason, "body": body}


def step(n, call):
    """Run one request; print what it returned or raised, as one JSON line."""
    started = time.perf_counter()
    try:
        line = {"step": n, "ok": True, "result": call()}
    except Exception as exc:
        code = getattr(exc, "errno", None)
        line = {"step": n, "ok": False, "error": {"type": type(exc).__name__,
                                                  "code": code if isinstance(code, int) else None,
                                                  "message": str(exc) or repr(exc)}}
    line["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    print(json.dumps(line), flush=True)


def await_harness(n, instruction):
    """The scenario acts on the server here: do it, then press Enter."""
    print(json.dumps({"step": n, "await": instruction}), flush=True)
    input()


'''


def literals(positional, keywords):
    return [repr(v) for v in positional] + ["%s=%r" % kv for kv in keywords.items()]


def statement(step):
    n, args = step["step"], step.get("args") or {}
    if step["op"] != "http_request":
        raise SystemExit("the http reproducer cannot render op %r" % step["op"])
    try:
        connection = "http.client.HTTPConnection(%s)" % ", ".join(literals(*connection_call(args)))
        request = literals(*request_call(args))
    except Refused as exc:  # the driver answered this step itself: no request was made
        line = {"step": n, "ok": False, "error": {k: exc.error[k] for k in ("type", "code", "message")},
                "elapsed_ms": 0.0}
        return "# step %d: not sent, http.client cannot be given it as it is\nprint(json.dumps(%r), flush=True)" % (
            n, line)
    return "# %s\nstep(%d, lambda: fetch(%s))" % (curl_command(args), n, ", ".join([connection] + request))


def render(request):
    lines = []
    for step in request["steps"]:
        if "harness" in step:
            lines.append("await_harness(%d, %r)" % (step["step"], harness_instruction(step)))
        else:
            lines.append(statement(step))
    text = header(request, "#", "python3 repro.py  (standard library only; the curl commands are above each step)") \
        + PRELUDE + "\n".join(lines) + "\n"
    return {"language": "python", "files": {"repro.py": text}, "main": "repro.py",
            "run": ["{python}", "repro.py"], "env": {}}


if __name__ == "__main__":
    main(render)
