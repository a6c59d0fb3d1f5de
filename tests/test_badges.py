"""The shields.io endpoint badges written beside each results.json."""

import json

import pytest

from conformance.report.badges import badge, badges, write_badges
from conformance.report.results import Collector
from conformance.run import RunContext


def summary(**scores):
    return {"summary": {column: {"score": score} for column, score in scores.items()}, "outcomes": []}


def assert_endpoint(endpoint: dict) -> None:
    """The shields.io endpoint schema: these keys, these types (https://shields.io/badges/endpoint-badge)."""
    assert set(endpoint) == {"schemaVersion", "label", "message", "color"}
    assert endpoint["schemaVersion"] == 1
    assert all(isinstance(endpoint[k], str) and endpoint[k] for k in ("label", "message", "color"))


@pytest.mark.parametrize("score, message, colour", [
    (1.0, "100%", "brightgreen"), (0.996, "99%", "green"), (0.9259, "93%", "green"), (0.9, "90%", "green"),
    (0.8949, "89%", "yellow"), (0.75, "75%", "yellow"), (0.7, "70%", "orange"), (0.5, "50%", "orange"),
    (0.49, "49%", "red"), (0.0, "0%", "red"), (None, "n/a", "lightgrey")])
def test_message_and_colour_by_must_score(score, message, colour):
    endpoint = badge("python", {"score": score})
    assert_endpoint(endpoint)
    assert (endpoint["label"], endpoint["message"], endpoint["color"]) == ("python must", message, colour)


def test_one_file_per_sdk_column_none_for_the_reference_client(tmp_path):
    data = summary(python=0.9259, **{"python-3.0.2@2.3.5": 1.0, "grpc": 1.0})
    data["outcomes"] = [{"driver": "grpc", "column": "grpc", "role": "reference"}]
    assert set(badges(data)) == {"python", "python-3.0.2@2.3.5"}
    written = write_badges(data, tmp_path)
    assert sorted(p.name for p in written) == ["python-3.0.2@2.3.5.json", "python.json"]
    for path in written:
        assert_endpoint(json.loads(path.read_text()))
    assert json.loads((tmp_path / "badges" / "python.json").read_text())["message"] == "93%"


def test_the_report_writes_its_badges_beside_results_json(tmp_path, monkeypatch):
    monkeypatch.setattr("conformance.report.html.render", lambda data: "")  # the page is another test's
    ctx = RunContext(run_id="r", owner_pid=1, scratch=str(tmp_path / "scratch"), report_dir=str(tmp_path / "run"),
                     drivers=["python"], sdk_requests={})
    collector = Collector(ctx)
    collector.entries["x"] = {"nodeid": "x", "outcome": "pass", "message": "", "duration_s": 0.1,
                              "scenario": {"id": "s.one", "file": "s.yaml:1", "title": "t"}, "driver": "python",
                              "column": "python", "role": "sdk", "server_version": "2.3.5", "level": "must"}
    (tmp_path / "run").mkdir()
    collector.write(tmp_path / "run", {})
    assert json.loads((tmp_path / "run" / "badges" / "python.json").read_text()) == {
        "schemaVersion": 1, "label": "python must", "message": "100%", "color": "brightgreen"}
