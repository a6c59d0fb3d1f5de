"""The reference client beside each SDK finding (conformance/report/results.py, beside_reference)."""

from conformance.report.results import beside_reference


def cell(scenario, driver, outcome, role="sdk", server="2.3.5"):
    return {"scenario": {"id": scenario}, "driver": driver, "column": f"{driver}@{server}", "outcome": outcome,
            "role": role, "server_version": server, "message": f"{driver} says {outcome}",
            "transcript": [{"op": "connect", "response": {"ok": outcome == "pass",
                                                          "error": {"category": "unavailable", "message": "refused"}}}]}


def test_each_sdk_finding_shows_what_the_server_alone_did_on_the_same_server():
    outcomes = beside_reference([
        cell("a", "node", "fail"), cell("a", "grpc", "pass", "reference"),
        cell("a", "node", "fail", server="milvus-lite-3.2.2"), cell("a", "grpc", "fail", "reference", "milvus-lite-3.2.2"),
        cell("b", "node", "pass"), cell("b", "grpc", "fail", "reference"),
        cell("c", "java", "xfail"),
    ])
    by = {(o["scenario"]["id"], o["driver"], o["server_version"]): o for o in outcomes}
    assert by[("a", "node", "2.3.5")]["reference"]["outcome"] == "pass"  # the SDK's deviation
    assert by[("a", "node", "milvus-lite-3.2.2")]["reference"]["steps"] == ["connect: unavailable (refused)"]
    assert by[("a", "node", "milvus-lite-3.2.2")]["reference"]["outcome"] == "fail"  # the server's
    assert "reference" not in by[("b", "node", "2.3.5")]  # not a finding
    assert "reference" not in by[("a", "grpc", "2.3.5")]  # the reference itself
    assert "reference" not in by[("c", "java", "2.3.5")]  # the reference has no cell for it


def test_without_a_reference_driver_nothing_is_added():
    outcomes = beside_reference([cell("a", "node", "fail")])
    assert "reference" not in outcomes[0]
