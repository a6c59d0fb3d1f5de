"""grpc reference driver: the scenario operations as plain Milvus gRPC calls (grpcio and
the generated stubs of pymilvus.grpc_gen, no SDK logic), speaking drivers/PROTOCOL.md.
It shows what the server alone does for the requests an SDK makes.

calls.py maps each op's arguments onto the wire functions of wire.py (which the
reproducer renderer embeds); this file adds the protocol: categories, the deadline
guard, the driver-side answers. Runs inside its build's virtualenv (grpcio, protobuf,
pymilvus for its stubs only)."""

import importlib.metadata
import logging
import os
import platform
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

_protocol_out = sys.stdout
sys.stdout = sys.stderr  # stdout carries the protocol only
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import deadlines  # noqa: E402
import openmany  # noqa: E402
from jsonlines import serve  # noqa: E402

import grpc  # noqa: E402

import wire  # noqa: E402
from calls import Refused, alias_of, call_keywords, connect_call, many_call  # noqa: E402

PROTOCOL = 2
CAPABILITIES = [
    "connect.host_port", "connect.address", "connect.uri", "connect.user_password", "connect.token",
    "connect.db_name", "connect.timeout", "connect.secure", "connect.tls_certs",
    "disconnect", "server_version", "server_version.timeout", "check_health", "list_collections",
    "disconnect_during_call", "open_many",
]
SDK_NAME = "grpcio + Milvus stubs (pymilvus.grpc_gen)"


class UnsupportedOp(Exception):
    pass




# -- error normalisation ------------------------------------------------------

TLS_MARKERS = ("tls handshake", "handshake failed", "ssl_error", "ssl routines", "certificate_verify_failed",
               "wrong version number", "certificate required", "bad certificate", "(tsi_")
AUTH_STATUS_CODES = (1800, 1801)  # merr: not authenticated, privilege not permitted
AUTH_ERROR_CODES = ("PermissionDenied", "AuthenticationFailed")


def category_of(exc: BaseException) -> str:
    if isinstance(exc, deadlines.DriverDeadline):
        return "hang"
    if isinstance(exc, wire.MilvusStatus):
        return "auth_failed" if exc.code in AUTH_STATUS_CODES or exc.error_code in AUTH_ERROR_CODES else "internal"
    if isinstance(exc, grpc.RpcError) and callable(getattr(exc, "code", None)):
        code, details = exc.code(), (exc.details() or "")
        text = (details + " " + str(getattr(exc, "debug_error_string", lambda: "")())).lower()
        if any(marker in text for marker in TLS_MARKERS):
            return "tls_error"
        if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            return "auth_failed"
        if code == grpc.StatusCode.UNAVAILABLE:
            return "unavailable"
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return "timeout"
        if code == grpc.StatusCode.CANCELLED:
            return "not_connected" if "channel closed" in details.lower() else "unknown"
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            return "param_error"
        return "internal"  # UNIMPLEMENTED, INTERNAL, UNKNOWN, ...: the server's answer
    if isinstance(exc, grpc.FutureTimeoutError):
        return "timeout"  # channel_ready_future(...).result(timeout=...): not ready in time
    if isinstance(exc, ValueError) and "closed channel" in str(exc):
        return "not_connected"  # grpcio: "Cannot invoke RPC on closed channel!"
    if isinstance(exc, (TypeError, ValueError, OverflowError, UnicodeError)):
        return "param_error"
    return "unknown"


def error_of(exc: BaseException) -> dict:
    error = {"category": category_of(exc), **wire.error_fields(exc)}
    if isinstance(exc, grpc.RpcError) and callable(getattr(exc, "debug_error_string", None)):
        error["detail"] = str(exc.debug_error_string())[:800]
    return error


# -- operations ---------------------------------------------------------------

def op_hello(args):
    return {"protocol": PROTOCOL, "driver": "grpc", "language": "python",
            "runtime": "CPython %s" % platform.python_version(),
            "sdk": {"name": SDK_NAME, "version": importlib.metadata.version("pymilvus"),
                    "grpcio": grpc.__version__, "protobuf": importlib.metadata.version("protobuf"),
                    "stubs": "pymilvus.grpc_gen (pymilvus %s)" % importlib.metadata.version("pymilvus")},
            "capabilities": CAPABILITIES, "role": "reference"}


def close_all() -> int:
    closed = 0
    for session in list(wire.sessions.values()):
        if not session.closed:
            session.channel.close()
            session.closed = True
            closed += 1
    wire.sessions.clear()
    _many.clear()
    return closed


def op_reset(args):
    return {"closed": close_all()}


def held(args) -> str:
    alias = alias_of(args)
    if alias not in wire.sessions:
        raise Refused("no channel was ever opened under alias %r: a program has no such variable" % alias,
                      "not_connected")
    return alias


def evaluated(keywords: dict) -> dict:
    """The metadata values calls.py names as wire.py calls (user_password(...), token(...)), computed
    as the reproducer's literal calls compute them."""
    if "metadata" in keywords:
        keywords = dict(keywords, metadata=[(k, getattr(wire, v[0])(*v[1:]) if isinstance(v, tuple) else v)
                                            for k, v in keywords["metadata"]])
    return keywords


def op_connect(args):
    positional, keywords = connect_call(args)
    return wire.connect(*positional, **evaluated(keywords))


def op_disconnect(args):
    return wire.disconnect(held(args))


def op_server_version(args):
    return wire.server_version(held(args), **call_keywords(args))


def op_check_health(args):
    return wire.check_health(held(args), **call_keywords(args))


def op_list_collections(args):
    return wire.list_collections(held(args), **call_keywords(args))


def op_disconnect_during_call(args):
    """GetVersion in a thread; after after_ms, channel.close(); then wait for the call to end."""
    alias, keywords = held(args), call_keywords(args)
    return deadlines.during_call(lambda: wire.server_version(alias, **keywords), lambda: wire.disconnect(alias),
                                 args.get("after_ms", 500), args.get("timeout"), error_of)


_many = []  # aliases opened by open_many


def op_open_many(args):
    count, concurrency = int(args["count"]), int(args.get("concurrency", 16))
    budget = float(args.get("time_budget_seconds") or 0)
    (_, target), keywords = many_call(args)
    keywords = evaluated(keywords)
    base = len(_many)
    failures, latencies, opened, started = [], [], [], time.monotonic()

    def one(i):
        if budget and time.monotonic() - started > budget:
            return None
        alias = "many-%d" % (base + i)
        began = time.perf_counter()
        try:
            _many.append(alias)
            wire.connect(alias, target, **keywords)
            opened.append(alias)
            wire.server_version(alias, **call_keywords(args))
            latencies.append((time.perf_counter() - began) * 1000)
            return 1
        except Exception as exc:  # each failure is data
            failures.append((time.monotonic() - started, error_of(exc)))
            return 0

    pool = ThreadPoolExecutor(max_workers=concurrency)
    try:
        outcomes = list(pool.map(one, range(count)))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return openmany.summary(count, len(opened), outcomes, failures, latencies)


def op_close_many(args):
    closed = 0
    while _many:
        session = wire.sessions.pop(_many.pop(), None)
        if session is not None and not session.closed:
            session.channel.close()
            closed += 1
    return {"closed": closed}


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}
DRIVER_OPS = ("hello", "reset")


# -- the JSON-lines loop -------------------------------------------------------







def handle(request: dict) -> dict:
    op_name = request.get("op")
    op = OPS.get(op_name)
    response = {"answered_by": "driver" if op_name in DRIVER_OPS or op is None else "sdk"}
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if op is None:
                raise UnsupportedOp("the grpc driver has no op %r" % (op_name,))
            response.update(ok=True, result=deadlines.call_with_deadline(op, request.get("args") or {},
                                                                request.get("deadline_ms")))
        except UnsupportedOp as exc:
            response.update(ok=False, error={"category": "unsupported_op", "type": "UnsupportedOp", "code": None,
                                             "message": str(exc)})
        except Refused as exc:  # nothing reached grpcio: the driver answered
            response.update(ok=False, answered_by="driver", error=exc.error)
        except (Exception, deadlines.DriverDeadline) as exc:
            response.update(ok=False, error=error_of(exc))
    response["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 3)
    response["warnings"] = list(dict.fromkeys("%s: %s" % (w.category.__name__, w.message) for w in caught))
    return response


def main():
    deadlines.install()
    sys.stdout = _protocol_out  # serve() takes it over again, for protocol lines only
    serve(handle, "grpc")
    try:
        close_all()
    finally:
        sys.stderr.flush()
        os._exit(0)  # no gRPC thread left behind may keep the driver past its stdin


if __name__ == "__main__":
    main()
