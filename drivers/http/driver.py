"""milvus-conformance driver for the doc's curl tab: plain HTTP requests made with the
`requests` package (PyPI), speaking drivers/PROTOCOL.md (JSON lines on stdin/stdout).
Runs in the build's virtualenv: the standard library and requests only.

Ops: hello, reset, http_request. Like curl, every request.request() call opens its own
connection and closes it; nothing is kept between requests, so connect/disconnect do not
apply. calls.py maps the op's arguments onto the call (shared with the reproducer renderer).

Result: status, reason, body (response.text), json (response.json() or null), headers, url
(response.url), method. HTTP 401/403 are ok: false, category auth_failed (requests'
raise_for_status() HTTPError, code = status), the response kept in "result"; any other status
is ok: true, as curl without -f. Whatever requests returned or raised is answered_by: sdk; a
step it cannot be given as it is (calls.Refused) is answered_by: driver.
"""

import os
import platform
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import deadlines  # noqa: E402
from jsonlines import serve  # noqa: E402

import requests  # noqa: E402
from requests import exceptions as rx  # noqa: E402

from calls import Refused, error_fields, request_call  # noqa: E402

PROTOCOL = 2


def category_of(exc):
    """The category of what requests raised. Its exceptions are OSErrors (and some ValueErrors),
    so the specific classes are tested first."""
    if isinstance(exc, deadlines.DriverDeadline):
        return "hang"
    if isinstance(exc, rx.HTTPError):
        return "auth_failed"  # raised only for 401/403 (http_request)
    if isinstance(exc, rx.SSLError):
        return "tls_error"
    if isinstance(exc, rx.Timeout):  # ConnectTimeout, ReadTimeout
        return "timeout"
    if isinstance(exc, (rx.InvalidURL, rx.InvalidSchema, rx.MissingSchema, rx.InvalidHeader, rx.URLRequired,
                        rx.InvalidJSONError, ValueError, TypeError, UnicodeError)):
        return "param_error"
    if isinstance(exc, (rx.ConnectionError, rx.ChunkedEncodingError, rx.ContentDecodingError)):
        return "unavailable"  # refused, reset, unresolvable, a broken answer
    if isinstance(exc, rx.RequestException):  # TooManyRedirects, RetryError, ...
        return "unknown"
    if isinstance(exc, OSError):  # a socket error requests did not wrap
        return "unavailable"
    return "unknown"


def innermost(exc):
    """The raw error requests wrapped (urllib3's, then the socket's): its errno says refused or unresolvable."""
    seen = [exc]
    while (seen[-1].__cause__ or seen[-1].__context__) is not None and len(seen) < 8:
        seen.append(seen[-1].__cause__ or seen[-1].__context__)
    return seen[-1] if len(seen) > 1 else None


def http_request(args):
    """The call of calls.py, made; -> result. Raises what requests raised (HTTPError for 401/403)."""
    positional, keywords = request_call(args)
    response = requests.request(*positional, **keywords)
    try:
        parsed = response.json()
    except ValueError:  # requests' JSONDecodeError: not JSON, or empty
        parsed = None
    result = {"status": response.status_code, "reason": response.reason, "body": response.text, "json": parsed,
              "headers": dict(response.headers), "url": response.url, "method": positional[0]}
    if response.status_code in (401, 403):
        try:
            response.raise_for_status()
        except rx.HTTPError as exc:
            exc.result = result
            raise
    return result


def handle(req):
    op = req.get("op")
    args = req.get("args") or {}
    if op == "hello":
        return {"ok": True, "answered_by": "driver", "elapsed_ms": 0.0, "warnings": [], "result": {
            "protocol": PROTOCOL, "driver": "http", "language": "python",
            "runtime": "CPython %s (%s)" % (platform.python_version(), sys.executable),
            "sdk": {"name": "requests", "version": requests.__version__}, "capabilities": ["http"]}}
    if op == "reset":  # nothing is kept between requests
        return {"ok": True, "answered_by": "driver", "elapsed_ms": 0.0, "warnings": [], "result": {"closed": 0}}
    if op != "http_request":
        return {"ok": False, "answered_by": "driver", "elapsed_ms": 0.0, "warnings": [],
                "error": {"category": "unsupported_op", "type": "unsupported_op", "code": None,
                          "message": "the http driver does not implement op %r (it has hello, reset, http_request)"
                                     % (op,)}}
    started = time.perf_counter()
    caught = []
    try:
        with warnings.catch_warnings(record=True) as caught:  # e.g. requests' warning on a non-string user
            warnings.simplefilter("always")
            result = deadlines.call_with_deadline(http_request, args, req.get("deadline_ms"))
        response = {"ok": True, "answered_by": "sdk", "result": result}
    except Refused as exc:
        response = {"ok": False, "answered_by": "driver", "error": exc.error}
    except (Exception, deadlines.DriverDeadline) as exc:
        response = {"ok": False, "answered_by": "sdk", "error": {"category": category_of(exc), **error_fields(exc)}}
        inner = innermost(exc)
        if inner is not None and not isinstance(exc, deadlines.DriverDeadline):
            response["error"]["cause"] = {"type": type(inner).__name__, "code": getattr(inner, "errno", None),
                                          "message": str(inner)[:500]}
        try:
            response["result"] = getattr(exc, "result", None) or {"url": request_call(args)[0][1],
                                                                  "method": args.get("method", "GET")}
        except Refused:
            pass
    response["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    response["warnings"] = list(dict.fromkeys("%s: %s" % (w.category.__name__, w.message) for w in caught))
    return response


def main():
    deadlines.install()
    serve(handle, "http")


if __name__ == "__main__":
    main()
