"""milvus-conformance driver for the doc's curl tab: plain HTTP requests made
with Python's standard library (http.client), speaking drivers/PROTOCOL.md
(JSON lines on stdin/stdout).

Ops: hello, reset, http_request. Like curl, every request opens its own
connection and closes it; there is nothing to keep between requests, so
connect/disconnect do not apply. calls.py maps the op's arguments onto the
http.client calls (shared with the reproducer renderer).

Result: status (int), reason, body (str), json (parsed body or null),
headers (object), url, method. HTTP 401/403 are ok: false, category
auth_failed (type "HTTPError", code = status), the response kept in
"result"; any other status (404, 500, ...) is ok: true, as curl without -f.
Everything http.client returned or raised is answered_by: sdk; a step it
cannot be given as it is (calls.Refused) is answered_by: driver.
"""

import errno
import http.client
import json
import os
import platform
import signal
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from jsonlines import serve  # noqa: E402

from calls import Refused, connection_call, error_fields, request_call, url  # noqa: E402

PROTOCOL = 2


class HTTPError(Exception):
    """HTTP 401/403: the server refused the credentials (the response is kept in the result)."""


class DriverDeadline(BaseException):
    """http.client had not returned shortly before the request's deadline (no timeout was given,
    or the server trickles). A BaseException, so that no `except Exception` can swallow it."""


def category_of(exc):
    """The category of an exception raised by http.client / socket."""
    if isinstance(exc, DriverDeadline):
        return "hang"
    if isinstance(exc, HTTPError):
        return "auth_failed"
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return "tls_error"
    if isinstance(exc, (socket.timeout, TimeoutError)) or getattr(exc, "errno", None) == errno.ETIMEDOUT:
        return "timeout"
    if isinstance(exc, (http.client.InvalidURL, OverflowError, ValueError, TypeError, UnicodeError)):
        return "param_error"
    if isinstance(exc, (OSError, http.client.HTTPException)):  # refused, reset, unresolvable, bad answer
        return "unavailable"
    return "unknown"


def _expire(signum, frame):
    raise DriverDeadline("http.client had not returned 1 s before the request's deadline; the driver interrupted it")


def http_request(args):
    """The calls of calls.py, made; -> result. Raises what http.client raised, or HTTPError."""
    connection = None
    try:
        positional, keywords = connection_call(args)
        connection = http.client.HTTPConnection(*positional, **keywords)
        positional, keywords = request_call(args)
        connection.request(*positional, **keywords)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
    finally:
        if connection is not None:
            connection.close()
    headers = {}
    for k, v in response.getheaders():
        headers[k] = (headers[k] + ", " + v) if k in headers else v
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    result = {"status": response.status, "reason": response.reason, "body": text, "json": parsed,
              "headers": headers, "url": url(args), "method": positional[0]}
    if response.status in (401, 403):
        exc = HTTPError("HTTP %d %s: %s" % (response.status, response.reason, text))
        exc.result = result
        raise exc
    return result


def handle(req):
    op = req.get("op")
    args = req.get("args") or {}
    if op == "hello":
        return {"ok": True, "answered_by": "driver", "elapsed_ms": 0.0, "warnings": [], "result": {
            "protocol": PROTOCOL, "driver": "http", "language": "python",
            "runtime": "CPython %s (%s)" % (platform.python_version(), sys.executable),
            "sdk": {"name": "http (curl tab)", "version": platform.python_version()},
            "capabilities": ["http"]}}
    if op == "reset":  # nothing is kept between requests
        return {"ok": True, "answered_by": "driver", "elapsed_ms": 0.0, "warnings": [], "result": {"closed": 0}}
    if op != "http_request":
        return {"ok": False, "answered_by": "driver", "elapsed_ms": 0.0, "warnings": [],
                "error": {"category": "unsupported_op", "type": "unsupported_op", "code": None,
                          "message": "the http driver does not implement op %r (it has hello, reset, http_request)"
                                     % (op,)}}
    # Answer before the harness gives up on a call that does not return.
    alarm = max(0.5, float(req["deadline_ms"]) / 1000 - 1.0) if req.get("deadline_ms") else 0
    started = time.perf_counter()
    try:
        signal.setitimer(signal.ITIMER_REAL, alarm)
        try:
            result = http_request(args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        response = {"ok": True, "answered_by": "sdk", "result": result}
    except Refused as exc:
        response = {"ok": False, "answered_by": "driver", "error": exc.error}
    except (Exception, DriverDeadline) as exc:
        response = {"ok": False, "answered_by": "sdk", "error": {"category": category_of(exc), **error_fields(exc)}}
        if isinstance(exc, HTTPError):
            response["error"]["code"] = exc.result["status"]
            response["result"] = exc.result
        else:
            response["result"] = {"url": url(args), "method": args.get("method", "GET")}
    response["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    response["warnings"] = []
    return response


def main():
    signal.signal(signal.SIGALRM, _expire)
    serve(handle, "http")


if __name__ == "__main__":
    main()
