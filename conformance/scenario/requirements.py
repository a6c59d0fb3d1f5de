"""Whether a scenario can run with a driver and a server, and if not, why.

Capabilities come from the scenario's `requires` and, implicitly, from its
steps (an op or argument needs the capability that provides it), so an author
cannot forget one and a driver is never passed on a scenario it did not run."""

import datetime
import fnmatch
import re
from typing import Optional

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from .model import Scenario
from .values import REFERENCE, references

OP_CAPABILITIES = {
    "disconnect": "disconnect",
    "list_connections": "alias_registry",
    "has_connection": "alias_registry",
    "connection_address": "alias_registry",
    "server_version": "server_version",
    "open_many": "open_many",
    "close_many": "open_many",
    "http_request": "http",
    "limit": "open_many",
    "list_collections": "list_collections",
    "check_health": "check_health",
    "disconnect_during_call": "disconnect_during_call",
}
CONNECT_ARG_CAPABILITIES = {
    "host": "connect.host_port", "port": "connect.host_port", "address": "connect.address",
    "uri": "connect.uri", "user": "connect.user_password", "password": "connect.user_password",
    "timeout": "connect.timeout", "handler": "connect.handler", "pool": "connect.pool",
    "secure": "connect.secure", "ca_cert": "connect.tls_certs", "client_cert": "connect.tls_certs",
    "client_key": "connect.tls_certs", "server_name": "connect.tls_certs", "db_name": "connect.db_name",
    "token": "connect.token",
}
# A per-call timeout reaches the SDK's call through the same parameter server_version uses.
CALL_TIMEOUT = {"timeout": "server_version.timeout"}
ARG_CAPABILITIES = {"connect": CONNECT_ARG_CAPABILITIES, "server_version": CALL_TIMEOUT,
                    "list_collections": CALL_TIMEOUT, "check_health": CALL_TIMEOUT,
                    "disconnect_during_call": CALL_TIMEOUT}
TARGET_ARGS = ("host", "port", "address", "uri")
# References whose value is an integer (a port); every other reference is a string.
INTEGER_REFERENCES = ("server.grpc_port", "server.http_port", "server.port", "unused_port", "silent_port",
                      "proxy.port")


def json_type(value) -> str:
    """The JSON type a step's value has once its references are resolved (values.py keeps a whole
    reference's type: a port stays an integer, `|str` makes it a string)."""
    if isinstance(value, str):
        whole = REFERENCE.fullmatch(value)
        return "integer" if whole and not whole.group(2) and whole.group(1) in INTEGER_REFERENCES else "string"
    for name, kind in (("boolean", bool), ("integer", int), ("number", float), ("list", list), ("object", dict)):
        if isinstance(value, kind):
            return name
    return "null"


def value_type_capabilities(args: dict) -> "list[str]":
    """What the values' JSON types ask of the SDK's API: a string host and an integer port reach any
    SDK (composed into an address where it takes one); a string port needs a port parameter taking
    text; any other type needs a dynamically typed parameter (drivers/PROTOCOL.md, section 5)."""
    needed = []
    if "port" in args and json_type(args["port"]) != "integer":
        needed.append("connect.port_string" if json_type(args["port"]) == "string" else "connect.port_any_type")
    if "host" in args and json_type(args["host"]) != "string":
        needed.append("connect.host_any_type")
    return needed


def needed_capabilities(scenario: Scenario) -> "list[str]":
    needed = list(scenario.requires.capabilities)
    for step in scenario.steps:
        if step.op in OP_CAPABILITIES:
            needed.append(OP_CAPABILITIES[step.op])
        arg_capabilities = ARG_CAPABILITIES.get(step.op, {})
        needed += [arg_capabilities[a] for a in step.args if a in arg_capabilities and a not in step.optional_args]
        if step.op in ("connect", "open_many"):
            needed += value_type_capabilities(step.args)
        if step.op == "connect":
            if not all(a in step.args for a in ("host", "port")) and not any(
                    a in step.args for a in ("address", "uri")):
                needed.append("connect.defaults")
    return list(dict.fromkeys(needed))


def parse_version(text: str) -> Optional[Version]:
    match = re.search(r"\d+(\.\d+)*", text or "")
    try:
        return Version(match.group(0)) if match else None
    except InvalidVersion:
        return None


def version_in(version: str, spec: str) -> Optional[bool]:
    """None when either side cannot be read as a version range."""
    parsed = parse_version(version)
    try:
        return parsed in SpecifierSet(spec) if parsed else None
    except InvalidSpecifier:
        return None


def driver_gap(scenario: Scenario, driver: str, capabilities, sdk_version: str) -> Optional[str]:
    """The reason this driver cannot run this scenario, or None."""
    missing = [c for c in needed_capabilities(scenario) if c not in capabilities]
    if missing:
        return (f"driver '{driver}' does not declare capabilit{'ies' if len(missing) > 1 else 'y'} "
                f"{', '.join(missing)} (drivers/PROTOCOL.md, section 7)")
    wanted = scenario.requires.sdk.get(driver)
    if wanted and version_in(sdk_version, wanted) is not True:
        return f"needs {driver} SDK {wanted}; this run has {sdk_version}"
    return None


def server_gap(scenario: Scenario, endpoint) -> Optional[str]:
    """The reason this server cannot run this scenario, or None: a Milvus version range it is outside of,
    or an HTTP port it does not have (a Milvus Lite server serves gRPC only)."""
    if not endpoint.http_port and any("server.http_port" in references(step.args) and (
            step.op == "http_request" or step.args.get("tab") == "curl") for step in scenario.steps):
        return (f"needs the server's HTTP port; the {endpoint.provider} server {endpoint.version} has none "
                f"(it serves gRPC only)")
    wanted = scenario.requires.server_version
    if not wanted:
        return None
    if endpoint.provider == "milvus-lite":
        return f"needs Milvus {wanted}; the server is milvus-lite {endpoint.version}, another implementation"
    if not endpoint.version:
        return f"needs Milvus {wanted}; the server's version is unknown"
    if version_in(endpoint.version, wanted) is not True:
        return f"needs Milvus {wanted}; the server is {endpoint.version}"
    return None


def known_deviation(scenario: Scenario, deviations, sdk_version: str, today: str = "") -> Optional[dict]:
    """The manifest's known_deviations entry covering this scenario at this SDK version;
    an entry past its `expires` date covers nothing (the scenario fails again)."""
    today = today or datetime.date.today().isoformat()
    for entry in deviations:
        if not fnmatch.fnmatchcase(scenario.id, entry.get("scenario", "")):
            continue
        if entry.get("expires") and str(entry["expires"]) < today:
            continue
        if entry.get("sdk") and version_in(sdk_version, entry["sdk"]) is not True:
            continue
        return entry
    return None


def droppable_args(step, capabilities) -> "list[str]":
    """Optional arguments of a step that this driver cannot pass (they are left out)."""
    arg_capabilities = ARG_CAPABILITIES.get(step.op, {})
    return [a for a in step.optional_args
            if a in step.args and arg_capabilities.get(a) not in (None, *capabilities)]
