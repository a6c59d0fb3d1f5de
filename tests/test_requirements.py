"""Capabilities implied by steps, version ranges, known deviations."""

from conformance.scenario.model import Requirements, Scenario, Step
from conformance.scenario.requirements import driver_gap, known_deviation, needed_capabilities, server_gap


def scenario(*steps, **requires):
    return Scenario(id="x.y", title="t", spec=("connect.returns",), group="g", tags=(),
                    requires=Requirements.merged({}, requires), path="f.yaml", line=1,
                    steps=tuple(Step(op=op, args=args, expect={"ok": True}, line=1) for op, args in steps))


def test_capabilities_follow_from_ops_and_arguments():
    s = scenario(("connect", {"host": "h", "port": 1, "timeout": 2, "user": "u"}), ("list_connections", {}),
                 ("server_version", {}))
    assert needed_capabilities(s) == ["connect.host_port", "connect.timeout", "connect.user_password",
                                      "alias_registry", "server_version"]


def test_connect_without_a_target_needs_defaults():
    assert "connect.defaults" in needed_capabilities(scenario(("connect", {"host": "h"})))
    assert "connect.defaults" in needed_capabilities(scenario(("connect", {})))
    assert "connect.defaults" not in needed_capabilities(scenario(("connect", {"address": "h:1"})))


def test_driver_gap_names_the_missing_capability_and_sdk_range():
    s = scenario(("has_connection", {}), sdk={"node": ">=2.4"})
    assert "alias_registry" in driver_gap(s, "node", ["connect.host_port"], "2.6.0")
    assert driver_gap(s, "node", ["alias_registry"], "2.6.0") is None
    assert "needs node SDK >=2.4; this run has 2.3.1" == driver_gap(s, "node", ["alias_registry"], "2.3.1")


def test_server_version_range():
    s = scenario(("connect", {}), server_version=">=2.3")
    assert server_gap(s, _server("2.3.5")) is None
    assert server_gap(s, _server("v2.2.16")) == "needs Milvus >=2.3; the server is v2.2.16"
    assert "unknown" in server_gap(s, _server(""))
    assert "another implementation" in server_gap(s, _server("3.2.2", provider="milvus-lite"))


def _server(version, provider="embedded", http_port=9091):
    from conformance.servers.profiles import Endpoint

    return Endpoint(profile="plain", provider=provider, host="127.0.0.1", grpc_port=19530, http_port=http_port,
                    version=version)


def test_a_server_without_an_http_port_skips_the_http_scenarios_only():
    http = scenario(("http_request", {"host": "${server.host}", "port": "${server.http_port}", "path": "/healthz"}))
    grpc = scenario(("connect", {"host": "${server.host}", "port": "${server.grpc_port}"}))
    lite = _server("3.2.2", "milvus-lite", http_port=0)
    assert "has none" in server_gap(http, lite)
    assert server_gap(grpc, lite) is None
    assert server_gap(http, _server("2.3.5")) is None


def test_known_deviation_matches_id_glob_and_sdk_range():
    s = scenario(("connect", {}))
    entries = [{"scenario": "x.*", "reason": "r", "sdk": "<2.5"}]
    assert known_deviation(s, entries, "2.4.9")["reason"] == "r"
    assert known_deviation(s, entries, "v2.6.1") is None
    assert known_deviation(s, [{"scenario": "other", "reason": "r"}], "1") is None


def test_optional_arguments_are_left_out_instead_of_skipping():
    from conformance.scenario.requirements import droppable_args

    step = Step(op="connect", args={"host": "h", "port": 1, "timeout": 3}, expect={"ok": True}, line=1,
                optional_args=("timeout",))
    s = Scenario(id="x.y", title="t", spec=("connect.returns",), group="g", tags=(), requires=Requirements(),
                 path="f.yaml", line=1, steps=(step,))
    assert "connect.timeout" not in needed_capabilities(s)
    assert droppable_args(step, ["connect.host_port"]) == ["timeout"]
    assert droppable_args(step, ["connect.host_port", "connect.timeout"]) == []


def test_an_expired_known_deviation_no_longer_applies():
    s = scenario(("connect", {}))
    entry = [{"scenario": "x.y", "reason": "r", "expires": "2026-06-30"}]
    assert known_deviation(s, entry, "1.0", today="2026-06-30")["reason"] == "r"
    assert known_deviation(s, entry, "1.0", today="2026-07-01") is None


def test_value_types_need_what_the_sdk_api_can_express():
    """A string host and an integer port reach every SDK; other types only a driver that declares them."""
    plain = scenario(("connect", {"host": "${server.host}", "port": "${server.grpc_port}"}))
    assert needed_capabilities(plain) == ["connect.host_port"]
    as_text = scenario(("connect", {"host": "${server.host}", "port": "${server.grpc_port|str}"}))
    assert "connect.port_string" in needed_capabilities(as_text)
    listed = scenario(("connect", {"host": "h", "port": ["${server.grpc_port}"]}))
    assert "connect.port_any_type" in needed_capabilities(listed)
    numeric_host = scenario(("connect", {"host": 127, "port": 1}))
    assert needed_capabilities(numeric_host) == ["connect.host_port", "connect.host_any_type"]


def test_a_server_version_timeout_needs_the_sdk_to_take_one_unless_optional():
    timed = scenario(("server_version", {"timeout": 5}))
    assert "server_version.timeout" in needed_capabilities(timed)
