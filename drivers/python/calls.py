"""How each protocol op maps onto pymilvus's `connections` and `utility` calls:
one place for the driver (which makes the calls) and its reproducer renderer
(which writes them as a program). No pymilvus import here: the renderer runs
with the harness's interpreter."""

CONNECT_ARGS = ("host", "port", "address", "uri", "user", "password", "token",
                "db_name", "secure", "timeout", "handler", "pool")


def tls_kwargs(args: dict) -> dict:
    """The protocol's TLS file arguments -> pymilvus's keywords. pymilvus reads server_pem_path as
    the trusted root for one-way TLS and ca_pem_path only together with a client certificate and
    key (two-way TLS), so the CA goes to the keyword of the mode the request asks for."""
    kwargs = {}
    two_way = "client_cert" in args or "client_key" in args
    if "ca_cert" in args:
        kwargs["ca_pem_path" if two_way else "server_pem_path"] = args["ca_cert"]
    if "client_cert" in args:
        kwargs["client_pem_path"] = args["client_cert"]
    if "client_key" in args:
        kwargs["client_key_path"] = args["client_key"]
    if "server_name" in args:
        kwargs["server_name"] = args["server_name"]
    return kwargs


def connect_call(args: dict) -> "tuple[list, dict]":
    """connections.connect(*positional, **keywords): the alias, when given, is positional, as in
    the doc's example; an absent argument is not passed, so pymilvus's default applies."""
    kwargs = {k: args[k] for k in CONNECT_ARGS if k in args}
    kwargs.update(tls_kwargs(args))
    return ([args["alias"]] if "alias" in args else []), kwargs


def alias_call(args: dict) -> "tuple[list, dict]":
    """disconnect / has_connection / get_connection_addr: the alias, positional when given."""
    return ([args["alias"]] if "alias" in args else []), {}


def utility_call(args: dict) -> "tuple[list, dict]":
    """utility.get_server_version / utility.list_collections (using=alias, timeout=...)."""
    kwargs = {"using": args["alias"]} if "alias" in args else {}
    if "timeout" in args:
        kwargs["timeout"] = args["timeout"]
    return [], kwargs


def error_fields(exc: BaseException) -> dict:
    """type, code and message of an SDK exception, as the driver and the reproducer both print them."""
    code = getattr(exc, "code", None)
    if callable(code):  # grpc.RpcError.code() returns a StatusCode
        code = str(code())
    if code is not None and not isinstance(code, (int, str)):
        code = str(code)
    message = getattr(exc, "message", None) or str(exc)
    return {"type": type(exc).__name__, "code": code, "message": str(message)}
