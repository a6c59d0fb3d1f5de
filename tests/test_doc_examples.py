"""Extracting the spec page's code examples (the documentation group)."""

from pathlib import Path

import pytest

from conformance.errors import ScenarioFormatError
from conformance.paths import SPEC_FILE
from conformance.scenario.doc_examples import TABS, example_scenarios, fences


def test_the_page_has_six_connect_and_six_disconnect_examples_all_labelled_python():
    found = fences(SPEC_FILE.read_text())
    assert [f.section for f in found] == ["connect"] * 6 + ["disconnect"] * 6
    assert {f.label for f in found} == {"python"}  # what the page says, right or wrong
    assert "connections.connect(" in found[0].code and "curl localhost:9091" in found[5].code
    assert found[10].code.strip() == "connect -D"


def test_each_tab_becomes_a_label_scenario_and_a_run_scenario_for_the_docs_driver():
    scenarios = {s.id: s for s in example_scenarios(SPEC_FILE)}
    assert set(scenarios) == {f"docs.{kind}.{tab}" for tab in TABS for kind in ("labels", "example")}
    run = scenarios["docs.example.go"]
    assert run.requires.drivers == ("docs",) and run.group == "documentation"
    (step,) = run.steps
    assert step.op == "run_example" and "client.NewGrpcClient" in step.args["code"]
    assert step.args["disconnect_code"].strip() == "milvusClient.Close()"
    assert step.args["grpc_port"] == "${server.grpc_port}"
    labels = scenarios["docs.labels.java"]
    assert [s.args["label"] for s in labels.steps] == ["python", "python"]
    # judged on label_matches alone: the docs driver answers it with the labelled language's own
    # parser; its guess of the language is evidence, not a verdict
    assert labels.steps[0].expect == {"ok": True, "result": {"label_matches": True}}
    assert labels.level == "should" and labels.spec == ("norm.code-fence-label",) and run.level == "must"


def test_a_page_without_the_examples_is_a_clear_error(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("Connect to a Milvus server\n---\n\n```python\nprint(1)\n```\n")
    with pytest.raises(ScenarioFormatError, match="expected 6 examples"):
        example_scenarios(page)
    with pytest.raises(ScenarioFormatError, match="cannot read"):
        example_scenarios(Path(tmp_path / "missing.md"))
