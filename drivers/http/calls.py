"""How the http_request op maps onto Python's http.client: one place for the driver
(which makes the calls) and its reproducer renderer (which writes them as a program,
with the curl command a person would type). Stdlib only.

    connection = http.client.HTTPConnection(*connection_args)   # host[, port][, timeout=]
    connection.request(*request_args)                          # method, path[, body=][, headers=]
    response = connection.getresponse(); response.read(); connection.close()

Values reach http.client as they came (it is dynamically typed, and it decides what
it accepts); the driver composes only the Authorization header, from strings."""

import base64
import json
import shlex

ARGS = ("host", "port", "path", "method", "timeout", "user", "password", "token", "headers", "body")


class Refused(Exception):
    """A step http.client cannot be given as it is: answered by the driver."""

    def __init__(self, message):
        super().__init__(message)
        self.error = {"category": "param_error", "type": "unsupported_value", "code": None, "message": message}


def connection_call(args):
    """HTTPConnection(host[, port][, timeout=]): an absent port or timeout is not passed, so
    http.client's own defaults apply (port 80, as curl; no timeout)."""
    unknown = [k for k in args if k not in ARGS]
    if unknown:
        raise Refused("http_request has no argument %s" % ", ".join(repr(k) for k in unknown))
    if "host" not in args:
        raise Refused("no host: http.client.HTTPConnection has no default host (curl needs one in its URL)")
    positional = [args["host"]] + ([args["port"]] if "port" in args else [])
    return positional, ({"timeout": args["timeout"]} if "timeout" in args else {})


def request_call(args):
    """request(method, path[, body=][, headers=]): method GET and path "/" when absent, as curl
    sends them for a URL without either."""
    headers = {}
    if "token" in args and ("user" in args or "password" in args):
        raise Refused("both token and user/password: two Authorization headers")
    if "user" in args or "password" in args:
        user, password = args.get("user"), args.get("password")
        if not (isinstance(user, str) and isinstance(password, str)):
            raise Refused("HTTP Basic (curl -u user:password) is composed from a string user and password; got "
                          "user=%s, password=%s" % (json.dumps(user), json.dumps(password)))
        headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    if "token" in args:
        if not isinstance(args["token"], str):
            raise Refused("a Bearer token is composed from a string; got token=%s" % json.dumps(args["token"]))
        headers["Authorization"] = "Bearer " + args["token"]
    if "headers" in args:
        if not isinstance(args["headers"], dict):
            raise Refused("headers must be an object of header names and values")
        headers.update(args["headers"])  # values as given: http.client decides what it accepts
    keywords = {}
    if "body" in args:
        keywords["body"] = args["body"]
    if headers:
        keywords["headers"] = headers
    return [args.get("method", "GET"), args.get("path", "/")], keywords


def url(args):
    """The URL the request goes to, as curl would be given it (for the result and the curl line)."""
    port = (":%s" % args["port"]) if "port" in args else ""
    return "http://%s%s%s" % (args.get("host"), port, args.get("path", "/"))


def curl_command(args):
    """The curl command line a person would type for the same request."""
    parts = ["curl", "-sS", "-i"]
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
        parts += ["--data-raw", args["body"] if isinstance(args["body"], str) else json.dumps(args["body"])]
    return " ".join(shlex.quote(p) for p in parts + [url(args)])


def error_fields(exc):
    """type and code of an http.client / socket exception, as the driver and the reproducer print
    them: the class name and its errno (None when it has none)."""
    code = getattr(exc, "errno", None)
    return {"type": type(exc).__name__, "code": code if isinstance(code, int) else None,
            "message": str(exc) or repr(exc)}
