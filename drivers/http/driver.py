"""milvus-conformance driver for the doc's curl tab: plain HTTP requests made
with Python's standard library (http.client), speaking drivers/PROTOCOL.md
(JSON lines on stdin/stdout).

Ops: hello, reset, http_request. Like curl, every request opens its own
connection to http://<host>:<port><path> and closes it; there is nothing to
keep between requests, so connect/disconnect do not apply.

http_request args:
  host (str, default "127.0.0.1"), port (int or str, default 9091, the doc's
  RESTful port), path (default "/"), method (default "GET"), timeout
  (seconds; default: the request's deadline less 1.5 s), user + password
  (HTTP Basic, as `curl -u user:password`), token (`Authorization: Bearer`),
  headers (object), body (string, or JSON value sent as application/json).
Result: status (int), reason, body (str), json (parsed body or null),
  headers (object), url, method.
Errors: refused/reset/unreachable -> unavailable; timed out -> timeout;
  HTTP 401/403 -> auth_failed (type "HTTPError", code = status; the response
  is still returned in "result"); a malformed host/port -> param_error;
  TLS -> tls_error. Any other status (404, 500, ...) is ok: true, as curl
  without -f.
"""

import base64
import errno
import http.client
import json
import platform
import socket
import ssl
import os
import sys
import time
import urllib.parse
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from jsonlines import serve  # noqa: E402


PROTOCOL = 1
DEFAULT_PORT = 9091
USER_AGENT = "milvus-conformance-http/1 (Python %s http.client)" % platform.python_version()


class OpError(Exception):
    def __init__(self, category, type_, message, code=None, result=None, elapsed=0.0, warnings=None):
        super().__init__(message)
        self.error = {"category": category, "type": type_, "code": code, "message": message}
        self.result = result
        self.elapsed = elapsed
        self.warnings = warnings or []


def category_of(exc):
    """Map an exception raised by http.client / socket to a category."""
    if isinstance(exc, ssl.SSLError) or isinstance(exc, ssl.CertificateError):
        return "tls_error"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, http.client.InvalidURL):
        return "param_error"
    if isinstance(exc, (OverflowError, ValueError, TypeError, UnicodeError)):
        return "param_error"
    if isinstance(exc, socket.gaierror):
        return "unavailable"
    if isinstance(exc, (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine,
                        http.client.IncompleteRead)):
        return "unavailable"
    if isinstance(exc, http.client.HTTPException):
        return "unavailable"
    if isinstance(exc, OSError):
        if exc.errno in (errno.ETIMEDOUT,):
            return "timeout"
        if exc.errno in (errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH,
                         errno.EADDRNOTAVAIL, errno.ECONNABORTED, errno.EPIPE):
            return "unavailable"
        return "unavailable"
    return "unknown"


def http_request(args, deadline_s):
    host = args.get("host", "127.0.0.1")
    port = args.get("port", DEFAULT_PORT)
    path = args.get("path", "/")
    method = args.get("method", "GET")
    warnings = []
    if "timeout" in args and args["timeout"] is not None:
        timeout = args["timeout"]
    else:
        timeout = max(1.0, deadline_s - 1.5)
        warnings.append("no timeout given: used %.1f s (the request's deadline less 1.5 s)" % timeout)
    if not isinstance(path, str) or not path.startswith("/"):
        path = "/" + str(path)
    # Like curl, the address is one URL authority "host:port"; http.client parses and
    # validates the port from it (a non-number or out-of-range port is refused).
    netloc = "%s:%s" % (host, port)
    url = "http://%s%s" % (netloc, path)
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    if "user" in args or "password" in args:
        cred = "%s:%s" % (args.get("user") or "", args.get("password") or "")
        headers["Authorization"] = "Basic " + base64.b64encode(cred.encode("utf-8")).decode("ascii")
    if args.get("token") is not None:
        headers["Authorization"] = "Bearer %s" % args["token"]
    for k, v in (args.get("headers") or {}).items():
        headers[str(k)] = str(v)
    body = args.get("body")
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode("utf-8")

    t0 = time.monotonic()
    conn = None
    try:
        # The URL is parsed as a URL first (as curl does): a port that is not a
        # number in 0-65535 is a malformed URL, refused before any connection.
        split = urllib.parse.urlsplit(url)
        split.port  # noqa: B018 - raises ValueError for a bad port
        if not split.hostname:
            raise http.client.InvalidURL("no host part in the URL %r" % url)
        conn = http.client.HTTPConnection(netloc, timeout=timeout)
        conn.request(str(method), path, body=body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        elapsed = (time.monotonic() - t0) * 1000.0
        hdrs = {}
        for k, v in resp.getheaders():
            hdrs[k] = (hdrs[k] + ", " + v) if k in hdrs else v
        text = raw.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = None
        result = {"status": resp.status, "reason": resp.reason, "body": text, "json": parsed,
                  "headers": hdrs, "url": url, "method": str(method)}
    except Exception as exc:  # noqa: BLE001 - every failure is reported raw
        elapsed = (time.monotonic() - t0) * 1000.0
        code = getattr(exc, "errno", None)
        raise OpError(category_of(exc), type(exc).__name__, str(exc) or repr(exc),
                      code if isinstance(code, int) else None,
                      {"url": url, "method": str(method)}, elapsed, warnings)
    finally:
        if conn is not None:
            conn.close()
    if result["status"] in (401, 403):
        raise OpError("auth_failed", "HTTPError", "HTTP %d %s: %s" % (result["status"], result["reason"], text),
                      result["status"], result, elapsed, warnings)
    return result, elapsed, warnings


def handle(req):
    op = req.get("op")
    args = req.get("args") or {}
    try:
        deadline_s = float(req.get("deadline_ms") or 30000) / 1000.0
    except (TypeError, ValueError):
        deadline_s = 30.0
    if op == "hello":
        return {"ok": True, "elapsed_ms": 0.0, "warnings": [], "result": {
            "protocol": PROTOCOL,
            "driver": "http",
            "language": "python",
            "runtime": "CPython %s (%s)" % (platform.python_version(), sys.executable),
            "sdk": {"name": "http (curl tab)", "version": platform.python_version()},
            "capabilities": ["http"],
        }}
    if op == "reset":
        return {"ok": True, "elapsed_ms": 0.0, "warnings": [], "result": {"closed": 0}}
    if op == "http_request":
        try:
            result, elapsed, warnings = http_request(args, deadline_s)
            return {"ok": True, "result": result, "elapsed_ms": round(elapsed, 3), "warnings": warnings}
        except OpError as e:
            resp = {"ok": False, "error": e.error, "elapsed_ms": round(e.elapsed, 3), "warnings": e.warnings}
            if e.result is not None:
                resp["result"] = e.result
            return resp
    return {"ok": False, "elapsed_ms": 0.0, "warnings": [],
            "error": {"category": "unsupported_op", "type": "unsupported_op", "code": None,
                      "message": "the http driver does not implement op %r (it has hello, reset, http_request)"
                                 % (op,)}}


def main():
    serve(handle, "http")


if __name__ == "__main__":
    main()
