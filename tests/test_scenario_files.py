"""The scenario files, the schema and the runner's `invalid` fixtures."""

import re
from pathlib import Path

import pytest

import yaml

from conformance.drivers.registry import load_registry
from conformance.errors import ScenarioFormatError
from conformance.paths import SCENARIOS_DIR, SPEC_FILE
from conformance.scenario.doc_examples import example_scenarios
from conformance.scenario.loader import load_file, load_tree, scenario_files, spec_statements
from conformance.scenario.model import LEVELS

FIXTURES = Path(__file__).parent / "fixtures"
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))


def test_every_scenario_file_loads_with_unique_ids():
    scenarios = load_tree(SCENARIOS_DIR)
    ids = [s.id for s in scenarios]
    assert len(ids) == len(set(ids))
    assert len(scenarios) >= 40


def test_every_spec_statement_is_checked_by_some_scenario():
    cited = {ref for s in load_tree(SCENARIOS_DIR) + example_scenarios(SPEC_FILE) for ref in s.spec}
    assert set(spec_statements()) - cited == set()


def test_every_scenario_declares_its_level():
    """A level is a claim: each scenario of the suite says it, rather than inherit it silently."""
    for path in scenario_files(SCENARIOS_DIR):
        for raw in yaml.safe_load(path.read_text())["scenarios"]:
            assert raw.get("level") in LEVELS, (path.name, raw["id"])


def test_every_level_is_grounded_and_every_applies_to_names_a_tab_or_an_api():
    """must quotes the page, should cites the SDK's documentation (with a link) or argues a norm,
    info asks a question (loader.spec_statements refuses anything else); applies_to names only what
    a manifest declares (doc.tab, doc.api), so no statement silently applies to nobody."""
    statements = spec_statements()
    known = {v for m in load_registry().values() for v in (m.doc.get("tab"), m.doc.get("api")) if v}
    tabs = set(yaml.safe_load((SCENARIOS_DIR / "spec-statements.yaml").read_text())["tabs"])
    for statement in statements.values():
        assert set(statement.applies_to) <= known | tabs, (statement.id, set(statement.applies_to) - known - tabs)
        if statement.level == "should" and "link" in statement.source:
            assert statement.source["link"].startswith("https://"), statement.id
    assert {s.level for s in statements.values()} == set(LEVELS)


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_is_rejected_with_file_line_and_reason(path):
    text = path.read_text()
    wanted = re.search(r"# expect-error: (.*)", text).group(1)
    line = re.search(r"# expect-line: (\d+)", text).group(1)
    with pytest.raises(ScenarioFormatError) as info:
        load_file(path)
    message = str(info.value)
    assert wanted in message
    assert message.startswith(f"{info.value.where}:") and info.value.where.endswith(f"{path.name}:{line}")
    assert "Traceback" not in message and "\n" not in message


def test_duplicate_ids_across_files_are_rejected(tmp_path):
    body = ("schema: 1\nscenarios:\n  - id: same.id\n    title: t\n    spec: [connect.returns]\n"
            "    steps:\n      - op: connect\n")
    (tmp_path / "a.yaml").write_text(body)
    (tmp_path / "b.yaml").write_text(body)
    with pytest.raises(ScenarioFormatError, match=r"b\.yaml:3: scenario id 'same.id' is already used at .*a\.yaml:3"):
        load_tree(tmp_path)


def test_file_requirements_are_inherited_and_refined(tmp_path):
    (tmp_path / "r.yaml").write_text(
        "schema: 1\nrequires: {profile: auth, capabilities: [disconnect]}\nscenarios:\n"
        "  - id: r.one\n    title: t\n    spec: [connect.returns]\n"
        "    requires: {capabilities: [open_many], server_version: '>=2.3'}\n"
        "    steps:\n      - op: connect\n")
    (scenario,) = load_tree(tmp_path)
    assert scenario.requires.profile == "auth"
    assert scenario.requires.capabilities == ("disconnect", "open_many")
    assert scenario.requires.server_version == ">=2.3"
    assert scenario.steps[0].expect == {"ok": True}
