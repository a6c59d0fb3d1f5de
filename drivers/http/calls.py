"""How the http_request op maps onto requests: one place for the driver (which makes the
call) and its reproducer renderer (which writes it as a program, under the curl command a
person would type). Does not import requests, so the renderer runs on the harness's Python.

    response = requests.request(method, url[, timeout=][, auth=(user, password)][, headers=][, data= | json=])

The driver composes only the URL (from a string host and an integer port, PROTOCOL section 5)
and the Bearer header (requests has no token parameter); every other value reaches requests
as it came, and requests decides what it accepts."""

import json
import shlex

ARGS = ("host", "port", "path", "method", "timeout", "user", "password", "token", "headers", "body")


class Refused(Exception):
    """A step requests cannot be given as it is: answered by the driver."""

    def __init__(self, message):
        super().__init__(message)
        self.error = {"category": "param_error", "type": "unsupported_value", "code": None, "message": message}


def url(args):
    """http://<host>[:<port>]<path>: no port means the URL's own default (80, as curl); no path, "/"."""
    host, port, path = args.get("host"), args.get("port"), args.get("path", "/")
    if "host" not in args:
        raise Refused("no host: requests needs a URL with one (curl too)")
    # Composing text from other types would convert them (PROTOCOL section 5).
    if not isinstance(host, str) or ("port" in args and (not isinstance(port, int) or isinstance(port, bool))) \
            or not isinstance(path, str):
        raise Refused("the URL is composed from a string host, an integer port and a string path; got host=%s, "
                      "port=%s, path=%s" % (json.dumps(host), json.dumps(port), json.dumps(path)))
    return "http://%s%s%s" % (host, ":%d" % port if "port" in args else "", path)


def request_call(args):
    """-> ([method, url], keywords): an argument absent from args is not passed, so requests' own
    defaults apply (no timeout, redirects followed); method GET when absent, as curl's."""
    unknown = [k for k in args if k not in ARGS]
    if unknown:
        raise Refused("http_request has no argument %s" % ", ".join(repr(k) for k in unknown))
    target = url(args)
    keywords = {}
    if "timeout" in args:
        keywords["timeout"] = args["timeout"]
    if "token" in args and ("user" in args or "password" in args):
        raise Refused("both token and user/password: two Authorization headers")
    if "user" in args or "password" in args:
        if not ("user" in args and "password" in args):  # requests' Basic auth is a pair: no half to invent
            raise Refused("HTTP Basic (auth=(user, password), curl -u user:password) needs both user and password")
        keywords["auth"] = (args["user"], args["password"])
    headers = {}
    if "token" in args:
        if not isinstance(args["token"], str):
            raise Refused("a Bearer token is composed from a string; got token=%s" % json.dumps(args["token"]))
        headers["Authorization"] = "Bearer " + args["token"]
    if "headers" in args:
        if not isinstance(args["headers"], dict):
            raise Refused("headers must be an object of header names and values")
        headers.update(args["headers"])  # values as given: requests decides what it accepts
    if headers:
        keywords["headers"] = headers
    if "body" in args:  # a string is sent as it is; any other JSON value as JSON (requests' json=)
        keywords["data" if isinstance(args["body"], str) else "json"] = args["body"]
    return [args.get("method", "GET"), target], keywords


def curl_command(args):
    """The curl command line a person would type for the same request (-L: requests follows redirects)."""
    parts = ["curl", "-sS", "-i", "-L"]
    if args.get("method", "GET") != "GET":
        parts += ["-X", str(args["method"])]
    if "timeout" in args:
        parts += ["--max-time", str(args["timeout"])]
    if "user" in args or "password" in args:
        parts += ["-u", "%s:%s" % (args.get("user", ""), args.get("password", ""))]
    if "token" in args:
        parts += ["-H", "Authorization: Bearer %s" % args["token"]]
    for k, v in (args.get("headers") or {}).items() if isinstance(args.get("headers"), dict) else ():
        parts += ["-H", "%s: %s" % (k, v)]
    if "body" in args:
        parts += ["--data-raw", args["body"]] if isinstance(args["body"], str) else ["--json", json.dumps(args["body"])]
    target = "http://%s%s%s" % (args.get("host"), ":%s" % args["port"] if "port" in args else "", args.get("path", "/"))
    return " ".join(shlex.quote(p) for p in parts + [target])


def error_fields(exc):
    """type and code of an exception, as the driver and the reproducer print them: the class name, and
    the HTTP status of an HTTPError (raise_for_status) or the errno of an OSError (None otherwise)."""
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None) if response is not None else getattr(exc, "errno", None)
    return {"type": type(exc).__name__, "code": code if isinstance(code, int) else None,
            "message": str(exc) or repr(exc)}
