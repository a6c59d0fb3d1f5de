"""How each protocol op maps onto the wire functions of wire.py: one place for the
driver (which calls them) and its reproducer renderer (which writes the same calls,
with literal arguments, into a program). Stdlib only: the renderer runs with the
harness's interpreter, without grpcio.

A raw gRPC channel has one target string, TLS credentials and per-call metadata;
nothing else. The driver composes exactly three things, from the step's values as
they came, and refuses (answered_by: driver) what it cannot compose without deciding:

- the target: "<host>:<port>" from a string host and an integer port, an address as
  it is, or the netloc of an http:// or https:// URI (https: TLS);
- the `authorization` header Milvus's proxy reads: base64("<user>:<password>") from a
  string user and password, or base64(<token>) from a string token;
- the `dbname` header the proxy's database interceptor reads, from a string db_name.
"""

import json
import os
from urllib.parse import urlsplit

CONNECT_ARGS = ("alias", "host", "port", "address", "uri", "user", "password", "token", "db_name", "secure",
                "ca_cert", "client_cert", "client_key", "server_name", "timeout")
TLS_FILES = (("ca_cert", "ca_cert"), ("client_cert", "client_cert"), ("client_key", "client_key"))


class Refused(Exception):
    """A step the driver cannot turn into gRPC calls without deciding something itself."""

    def __init__(self, message, category="param_error"):
        super().__init__(message)
        self.error = {"category": category, "type": "unsupported_value", "code": None, "message": message}


def _json(value):
    return json.dumps(value)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def target_of(args: dict) -> "tuple[str, bool]":
    """(the channel's target, whether a URI asked for TLS)."""
    given = [k for k in ("address", "uri") if k in args] + (["host/port"] if "host" in args or "port" in args else [])
    if len(given) != 1:
        raise Refused("a gRPC channel has one target; the step gives %s" % (" and ".join(given) or "none"))
    if "address" in args:
        return args["address"], False  # as it is: grpcio decides what it accepts
    if "uri" in args:
        uri = args["uri"]
        if not isinstance(uri, str):
            raise Refused("a target is composed from a string URI; got uri=%s" % _json(uri))
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https"):
            raise Refused("the driver composes a target only from an http:// or https:// URI (its netloc); "
                          "got %s" % _json(uri))
        if not parts.netloc or "@" in parts.netloc or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise Refused("only a URI's host[:port] reaches the wire: a gRPC target has no user info, path "
                          "(pymilvus reads it as a database), query or fragment; got %s" % _json(uri))
        return parts.netloc, parts.scheme == "https"
    host, port = args.get("host"), args.get("port")
    if not isinstance(host, str) or not _is_int(port):
        raise Refused("the target \"<host>:<port>\" is composed from a string host and an integer port; got "
                      "host=%s, port=%s" % (_json(host), _json(port)))
    return "%s:%d" % (host, port), False


def metadata_of(args: dict) -> list:
    """[(header, value expression)]: ("authorization", ("user_password", user, password)) or
    ("authorization", ("token", token)), then ("dbname", db_name). wire.py computes the values."""
    metadata = []
    if "token" in args and ("user" in args or "password" in args):
        raise Refused("both token and user/password: a call carries one authorization header, and which one "
                      "wins is an SDK's decision")
    if "user" in args or "password" in args:
        user, password = args.get("user"), args.get("password")
        if not (isinstance(user, str) and isinstance(password, str)):
            raise Refused("the authorization header base64(\"<user>:<password>\") is composed from a string user "
                          "and a string password; got user=%s, password=%s" % (_json(user), _json(password)))
        metadata.append(("authorization", ("user_password", user, password)))
    if "token" in args:
        if not isinstance(args["token"], str):
            raise Refused("the authorization header base64(<token>) is composed from a string token; got "
                          "token=%s" % _json(args["token"]))
        metadata.append(("authorization", ("token", args["token"])))
    if "db_name" in args:
        if not isinstance(args["db_name"], str):
            raise Refused("the dbname header takes a string; got db_name=%s" % _json(args["db_name"]))
        metadata.append(("dbname", args["db_name"]))
    return metadata


def connect_call(args: dict) -> "tuple[list, dict]":
    """wire.connect(alias, target, **keywords): an absent argument is not passed."""
    unknown = [k for k in args if k not in CONNECT_ARGS]
    if unknown:
        raise Refused("a gRPC channel has no counterpart for %s" % ", ".join(repr(k) for k in unknown))
    target, https = target_of(args)
    keywords = {}
    secure = args.get("secure")
    if "secure" in args and not isinstance(secure, bool):
        raise Refused("secure chooses between grpc.insecure_channel and grpc.secure_channel: a boolean; got "
                      "secure=%s" % _json(secure))
    if secure is False and https:
        raise Refused("secure=false with an https:// URI: the driver would have to choose")
    tls = secure is True or https
    tls_args = [k for k in ("ca_cert", "client_cert", "client_key", "server_name") if k in args]
    if tls_args and not tls:
        raise Refused("%s without TLS: grpc.insecure_channel takes no certificates" % ", ".join(tls_args))
    if tls:
        keywords["secure"] = True
    for arg, keyword in TLS_FILES:
        if arg in args:
            path = args[arg]
            if not isinstance(path, str) or not os.access(path, os.R_OK):
                raise Refused("cannot read %s %s for grpc.ssl_channel_credentials" % (arg, _json(path)))
            keywords[keyword] = path
    if "server_name" in args:
        if not isinstance(args["server_name"], str):
            raise Refused("server_name reaches the grpc.ssl_target_name_override option as a string; got %s"
                          % _json(args["server_name"]))
        keywords["server_name"] = args["server_name"]
    metadata = metadata_of(args)
    if metadata:
        keywords["metadata"] = metadata
    if "timeout" in args:
        keywords["timeout"] = args["timeout"]  # as it came: grpcio decides what it accepts
    return [args.get("alias", "default"), target], keywords


def alias_of(args: dict) -> str:
    return args.get("alias", "default")


def call_keywords(args: dict) -> dict:
    """server_version / check_health / list_collections: the RPC's own timeout, when given."""
    return {"timeout": args["timeout"]} if "timeout" in args else {}


def many_call(args: dict) -> "tuple[list, dict]":
    """open_many's connect, for one connection (alias filled in per connection)."""
    connect_args = {k: args[k] for k in ("host", "port", "user", "password", "timeout") if k in args}
    return connect_call(connect_args)
