"""Python driver: scenario operations through pymilvus's documented
`connections` API (drivers/PROTOCOL.md). Runs inside the pymilvus build's own
virtualenv, so it may use nothing but the standard library and pymilvus."""

import logging
import os
import platform
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

# stdout carries the protocol; everything else the SDK prints goes to stderr.
_protocol_out = sys.stdout
sys.stdout = sys.stderr
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import deadlines  # noqa: E402
import openmany  # noqa: E402
from jsonlines import serve  # noqa: E402

import pymilvus  # noqa: E402
from pymilvus import connections, utility  # noqa: E402

from calls import alias_call, connect_call, error_fields, utility_call  # noqa: E402

PROTOCOL = 2
CAPABILITIES = [
    "connect.host_port", "connect.port_string", "connect.port_any_type", "connect.host_any_type",
    "connect.address", "connect.uri", "connect.user_password",
    "connect.timeout", "connect.handler", "connect.pool", "connect.defaults",
    "connect.secure", "connect.tls_certs", "connect.db_name", "connect.token",
    "alias_registry", "disconnect", "server_version", "server_version.timeout", "open_many",
    "list_collections", "disconnect_during_call",
]


class UnsupportedOp(Exception):
    pass


# -- error normalisation ------------------------------------------------------

def causes(exc: BaseException) -> list:
    """The exception and what it wraps (pymilvus re-raises gRPC errors as MilvusException)."""
    chain = []
    while exc is not None and all(exc is not seen for seen in chain) and len(chain) < 8:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def grpc_status(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    return str(code()) if callable(code) else ""


TLS_MARKERS = ("tls handshake", "handshake failed", "ssl_error", "ssl routines", "certificate_verify_failed",
               "wrong version number", "certificate required", "bad certificate",
               "(tsi_")  # gRPC core's transport-security (TLS) layer, e.g. "Unwrap failed (TSI_DATA_CORRUPTED)"


def grpc_details(exc: BaseException) -> str:
    details = getattr(exc, "details", None)
    try:
        return str(details() if callable(details) else exc)
    except Exception:  # an RpcError without details
        return str(exc)


def categorize(exc: BaseException) -> str:
    """The category of the SDK's exception, read through its causes (pymilvus wraps the gRPC
    error: "Fail connecting to server ..." says nothing of TLS, the wrapped status does)."""
    for cause in causes(exc)[1:]:
        status = grpc_status(cause)
        if status.endswith("UNAUTHENTICATED") or status.endswith("PERMISSION_DENIED"):
            return "auth_failed"
        if any(marker in grpc_details(cause).lower() for marker in TLS_MARKERS):
            return "tls_error"
    return categorize_one(exc)


def categorize_one(exc: BaseException) -> str:
    name = type(exc).__name__
    text = str(exc).lower()
    code = getattr(exc, "code", None)
    if isinstance(exc, NotImplementedError):
        return "not_implemented"
    if name == "DriverDeadline":
        return "hang"  # the SDK call did not return (PROTOCOL section 4)
    if name == "ConnectionNotExistException" or "should create connect" in text:
        return "not_connected"
    if "not the same as passed in" in text:
        return "alias_conflict"
    if "auth" in text or "unauthenticated" in text or "password" in text or code in (1800, 1801):
        return "auth_failed"
    if "ssl" in text or "certificate" in text or "tls" in text or "handshake" in text:
        return "tls_error"
    if name in ("ParamError", "ConnectionConfigException", "TypeError", "ValueError", "DataTypeNotSupportException"):
        return "param_error"
    if "deadline" in text or "timed out" in text:
        return "timeout"
    if name in ("MilvusUnavailableException", "ConnectError") or "fail connecting" in text or "unavailable" in text:
        return "unavailable"
    if name == "MilvusException":
        return "internal"
    return "unknown"


def error_of(exc: BaseException) -> dict:
    error = {"category": categorize(exc), **error_fields(exc)}
    wrapped = causes(exc)[1:]
    if wrapped:  # the innermost cause, raw, for the report
        inner = wrapped[-1]
        error["cause"] = {"type": type(inner).__name__, "code": grpc_status(inner) or None,
                          "message": str(getattr(inner, "details", lambda: inner)() if callable(
                              getattr(inner, "details", None)) else inner)[:500]}
    return error


# -- operations ---------------------------------------------------------------

def op_hello(args):
    return {
        "protocol": PROTOCOL, "driver": "python", "language": "python",
        "runtime": f"CPython {platform.python_version()}",
        "sdk": {"name": "pymilvus", "version": pymilvus.__version__},
        "capabilities": CAPABILITIES,
    }


def op_reset(args):
    """Close every connection, then let pymilvus configure itself as it does at import (its
    `default` alias, localhost:19530): the state a fresh program starts in, as a reproducer does."""
    closed = 0
    for alias, handler in list(connections.list_connections()):
        if handler is not None:
            closed += 1
        connections.remove_connection(alias)
    connections.__init__()
    return {"closed": closed}


def op_connect(args):
    positional, kwargs = connect_call(args)
    connections.connect(*positional, **kwargs)
    return {"address": connections.get_connection_addr(args.get("alias", "default"))}


def op_disconnect(args):
    positional, _ = alias_call(args)
    connections.disconnect(*positional)
    return {}


def op_list_connections(args):
    listed = connections.list_connections()
    return {"aliases": [alias for alias, _ in listed],
            "connected": [alias for alias, handler in listed if handler is not None]}


def op_has_connection(args):
    positional, _ = alias_call(args)
    return {"exists": bool(connections.has_connection(*positional))}


def op_connection_address(args):
    positional, _ = alias_call(args)
    return dict(connections.get_connection_addr(*positional))


def op_server_version(args):
    _, kwargs = utility_call(args)
    return {"version": str(utility.get_server_version(**kwargs))}


def op_list_collections(args):
    _, kwargs = utility_call(args)
    return {"collections": list(utility.list_collections(**kwargs))}


def op_disconnect_during_call(args):
    """A program that closes a connection while another thread waits on a call made through it."""
    _, kwargs = utility_call(args)
    return deadlines.during_call(lambda: {"version": str(utility.get_server_version(**kwargs))},
                                 lambda: connections.disconnect(args["alias"]), args.get("after_ms", 500),
                                 args.get("timeout"), error_of)


_many = []


def op_open_many(args):
    count, concurrency = int(args["count"]), int(args.get("concurrency", 16))
    budget = float(args.get("time_budget_seconds") or 0)  # stop starting new connections after it
    base = len(_many)
    kwargs = {k: args[k] for k in ("host", "port", "user", "password", "timeout") if k in args}
    failures, latencies, started = [], [], time.monotonic()

    def one(i):
        if budget and time.monotonic() - started > budget:
            return None
        alias = f"many-{base + i}"
        began = time.perf_counter()
        try:
            connections.connect(alias, **kwargs)
            _many.append(alias)
            utility.get_server_version(using=alias)
            latencies.append((time.perf_counter() - began) * 1000)
            return 1
        except Exception as exc:  # each failure is data, not a crash
            failures.append((time.monotonic() - started, error_of(exc)))
            return 0

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(one, range(count)))
    return openmany.summary(count, len(_many) - base, outcomes, failures, latencies)


def op_close_many(args):
    closed = 0
    while _many:
        alias = _many.pop()
        connections.disconnect(alias)
        connections.remove_connection(alias)
        closed += 1
    return {"closed": closed}


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}


# -- the JSON-lines loop -------------------------------------------------------

class _WarningLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(f"{record.name}: {record.getMessage()}")










def handle(request: dict) -> dict:
    op = OPS.get(request.get("op"))
    response = {"id": request.get("id")}
    log = _WarningLog()
    logging.getLogger("pymilvus").addHandler(log)
    started = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if op is None:
                raise UnsupportedOp(f"unknown op {request.get('op')!r}")
            response.update(ok=True, result=deadlines.call_with_deadline(op, request.get("args") or {},
                                                                request.get("deadline_ms")))
    except UnsupportedOp as exc:
        caught = []
        response.update(ok=False, error={"category": "unsupported_op", "type": "UnsupportedOp",
                                         "code": None, "message": str(exc)})
    except (Exception, deadlines.DriverDeadline) as exc:
        response.update(ok=False, error=error_of(exc))
    finally:
        logging.getLogger("pymilvus").removeHandler(log)
    # Every answer is the SDK's but the driver's own bookkeeping (hello, reset) and an op it lacks.
    response["answered_by"] = "driver" if request.get("op") in ("hello", "reset") or op is None else "sdk"
    response["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    seen = [f"{w.category.__name__}: {w.message}" for w in caught] + log.messages
    response["warnings"] = list(dict.fromkeys(seen))  # once each, in order
    return response


def main():
    deadlines.install()
    sys.stdout = _protocol_out  # serve() takes it over again, for protocol lines only
    serve(handle, "python")


if __name__ == "__main__":
    main()
