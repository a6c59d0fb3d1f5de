"""`${...}` references and the harness fixtures behind them."""

import socket

from conformance.scenario.values import Values, references
from conformance.servers.profiles import Endpoint

ENDPOINT = Endpoint(profile="plain", provider="test", host="127.0.0.1", grpc_port=19999, http_port=19998)


def test_whole_references_keep_their_type_and_str_converts():
    values = Values(ENDPOINT)
    assert values.resolve("${server.grpc_port}") == 19999
    assert values.resolve("${server.grpc_port|str}") == "19999"
    assert values.resolve("${server.host}:${server.grpc_port}") == "127.0.0.1:19999"
    assert values.resolve({"a": ["${server.uri}", 3]}) == {"a": ["http://127.0.0.1:19999", 3]}


def test_references_are_listed_for_validation():
    assert references({"a": ["${server.host}", "x${unused_port}"]}) == ["server.host", "unused_port"]


def test_unused_port_refuses_and_is_stable_within_a_scenario():
    values = Values(ENDPOINT)
    port = values.resolve("${unused_port}")
    assert values.resolve("${unused_port}") == port
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_silent_port_accepts_and_never_answers():
    values = Values(ENDPOINT)
    port = values.resolve("${silent_port}")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"PRI * HTTP/2.0\r\n\r\n")
            sock.settimeout(0.5)
            try:
                data = sock.recv(1)
            except socket.timeout:
                data = None
            assert data is None  # no byte, no close: silence
    finally:
        values.close()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # closed with the scenario
