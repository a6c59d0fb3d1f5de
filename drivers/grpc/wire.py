"""Milvus over plain gRPC: grpcio and the generated MilvusService stubs that pymilvus
ships (pymilvus.grpc_gen), and nothing of pymilvus's client. The driver calls these
functions; every reproducer contains this file's text, so it makes the same calls."""

import base64
import importlib.util
import sys
import types

import grpc
from google.protobuf.json_format import MessageToDict


def load_stubs():
    """pymilvus.grpc_gen, without running pymilvus/__init__.py (which would load pymilvus's client)."""
    if "pymilvus" not in sys.modules:
        package = types.ModuleType("pymilvus")
        package.__path__ = list(importlib.util.find_spec("pymilvus").submodule_search_locations)
        sys.modules["pymilvus"] = package
    from pymilvus.grpc_gen import common_pb2, milvus_pb2, milvus_pb2_grpc
    return common_pb2, milvus_pb2, milvus_pb2_grpc


common_pb2, milvus_pb2, milvus_pb2_grpc = load_stubs()

sessions = {}  # alias -> Session: what a program holds


class Session:
    """A channel, its MilvusService stub, and the metadata every call on it sends."""

    def __init__(self, target, channel, metadata):
        self.target, self.channel, self.metadata = target, channel, list(metadata)
        self.stub = milvus_pb2_grpc.MilvusServiceStub(channel)
        self.closed = False


class MilvusStatus(Exception):
    """The RPC returned, with a common.Status that is not success."""

    def __init__(self, status):
        self.error_code = (common_pb2.ErrorCode.Name(status.error_code)
                           if status.error_code in common_pb2.ErrorCode.values() else str(status.error_code))
        self.code = status.code or status.error_code
        self.reason = status.reason
        super().__init__(status.reason)


def check(status):
    if status.error_code != common_pb2.Success or status.code != 0:
        raise MilvusStatus(status)


def user_password(user, password):
    """The `authorization` header Milvus's proxy reads: base64("<user>:<password>")."""
    return base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def token(value):
    """The same header for a token ("user:password", or an API key): base64(<token>)."""
    return base64.b64encode(value.encode()).decode()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def connect(alias, target, secure=False, ca_cert=None, client_cert=None, client_key=None, server_name=None,
            metadata=(), **call):
    """A channel to `target`, kept under `alias`; with a timeout, a wait until it is ready; then the
    Connect RPC. Its identifier goes into the metadata of later calls, as the server hands it out."""
    if secure:
        files = {"root_certificates": ca_cert, "private_key": client_key, "certificate_chain": client_cert}
        credentials = grpc.ssl_channel_credentials(**{k: read(path) for k, path in files.items() if path})
        options = [("grpc.ssl_target_name_override", server_name)] if server_name else None
        channel = grpc.secure_channel(target, credentials, options=options)
    else:
        channel = grpc.insecure_channel(target)
    sessions[alias] = session = Session(target, channel, metadata)
    if "timeout" in call:
        ready = grpc.channel_ready_future(channel)
        try:
            ready.result(timeout=call["timeout"])
        finally:
            ready.cancel()
    request = milvus_pb2.ConnectRequest(client_info=common_pb2.ClientInfo(sdk_type="grpc-reference",
                                                                           sdk_version="grpcio " + grpc.__version__))
    reply = session.stub.Connect(request, metadata=session.metadata, **call)
    check(reply.status)
    session.metadata.append(("identifier", str(reply.identifier)))
    return {"target": target, "identifier": reply.identifier,
            "server_info": MessageToDict(reply.server_info, preserving_proto_field_name=True)}


def disconnect(alias):
    """channel.close(): the program still holds the closed channel."""
    sessions[alias].channel.close()
    sessions[alias].closed = True
    return {}


def server_version(alias, **call):
    session = sessions[alias]
    reply = session.stub.GetVersion(milvus_pb2.GetVersionRequest(), metadata=session.metadata, **call)
    check(reply.status)
    return {"version": reply.version}


def check_health(alias, **call):
    session = sessions[alias]
    reply = session.stub.CheckHealth(milvus_pb2.CheckHealthRequest(), metadata=session.metadata, **call)
    check(reply.status)
    return {"healthy": reply.isHealthy, "reasons": list(reply.reasons),
            "quota_states": [milvus_pb2.QuotaState.Name(q) for q in reply.quota_states]}


def list_collections(alias, **call):
    """ShowCollections with db_name unset: the proxy fills it from the dbname header (or "default")."""
    session = sessions[alias]
    reply = session.stub.ShowCollections(milvus_pb2.ShowCollectionsRequest(), metadata=session.metadata, **call)
    check(reply.status)
    return {"collections": list(reply.collection_names)}


def error_fields(exc):
    """type, code and message, as the driver reports them and a reproducer prints them."""
    if isinstance(exc, grpc.RpcError) and callable(getattr(exc, "code", None)):
        return {"type": "RpcError", "code": exc.code().name, "message": exc.details()}
    if isinstance(exc, MilvusStatus):
        return {"type": "MilvusStatus", "code": exc.code, "message": exc.reason, "error_code": exc.error_code}
    return {"type": type(exc).__name__, "code": None, "message": str(exc) or repr(exc)}
