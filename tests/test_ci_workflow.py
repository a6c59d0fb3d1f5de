"""The reusable CI workflow and its example caller agree with each other and
with the harness: every input the caller passes exists, required ones are
given, and every option the workflow passes to pytest is one the plugin has."""

import re
from pathlib import Path

import pytest
import yaml

from conformance.paths import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "conformance.yml"
CALLER = REPO_ROOT / "docs" / "examples" / "sdk-release-gate.yml"


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def test_the_workflow_is_reusable_with_documented_inputs():
    workflow = load(WORKFLOW)
    inputs = workflow["on"]["workflow_call"]["inputs"]
    assert {"driver", "sdk", "sdk-checkout", "sdk-ref", "milvus-version", "server", "suite", "baseline"} <= set(inputs)
    for name, spec in inputs.items():
        assert spec.get("description") and spec.get("type") in ("string", "boolean", "number"), name
    guide = (REPO_ROOT / "docs" / "ci-gate.md").read_text()
    assert all(f"`{name}`" in guide for name in inputs)


def test_the_example_caller_uses_existing_inputs():
    inputs = load(WORKFLOW)["on"]["workflow_call"]["inputs"]
    job = next(iter(load(CALLER)["jobs"].values()))
    assert job["uses"].endswith(".github/workflows/conformance.yml@main")
    assert set(job["with"]) <= set(inputs)
    assert {n for n, spec in inputs.items() if spec.get("required")} <= set(job["with"])


def test_every_pytest_option_in_the_workflow_exists(pytestconfig):
    text = WORKFLOW.read_text()
    options = set(re.findall(r"(--[a-z][a-z-]+)", text.split("Run the suite", 1)[1].split("- name:", 1)[0]))
    assert options >= {"--driver", "--suite", "--server", "--milvus-version", "--sdk", "--baseline"}
    parser_options = {opt for group in pytestconfig._parser._groups for o in group.options for opt in o.names()}
    missing = [o for o in options if o not in parser_options and o != "-n"]
    assert not missing, missing


@pytest.mark.parametrize("module", ["conformance.setup", "conformance.bench", "conformance.limits.preflight"])
def test_commands_the_docs_name_exist(module):
    assert (REPO_ROOT / (module.replace(".", "/") + ".py")).exists()


MATRIX = REPO_ROOT / ".github" / "workflows" / "matrix.yml"


def test_the_matrix_runs_every_registered_driver_and_publishes_the_combined_site():
    from conformance.drivers.registry import load_registry

    workflow = load(MATRIX)
    assert set(workflow["jobs"]["run"]["strategy"]["matrix"]["driver"]) == set(load_registry())
    steps = " ".join(str(step) for step in workflow["jobs"]["publish"]["steps"])
    assert "python -m conformance.combine runs/* -o site" in steps and "deploy-pages" in steps
    assert {"schedule", "workflow_dispatch"} <= set(workflow["on"])
    assert (REPO_ROOT / "conformance" / "combine.py").exists()


def test_the_reusable_workflow_writes_the_diff_with_the_diff_command():
    text = WORKFLOW.read_text()
    assert "python -m conformance.diff" in text and "GITHUB_STEP_SUMMARY" in text and "actions/cache" in text
    assert (REPO_ROOT / "conformance" / "diff.py").exists()


PIPELINE = REPO_ROOT / "docs" / "examples" / "sdk-release-pipeline.yml"


def test_the_release_pipeline_example_gates_the_uploaded_artifact_before_publishing():
    inputs = load(WORKFLOW)["on"]["workflow_call"]["inputs"]
    jobs = load(PIPELINE)["jobs"]
    gate = jobs["gate"]
    assert gate["uses"].endswith(".github/workflows/conformance.yml@main") and set(gate["with"]) <= set(inputs)
    uploaded = next(s for s in jobs["build"]["steps"] if "upload-artifact" in str(s.get("uses")))["with"]["name"]
    assert gate["with"]["sdk-artifact"] == uploaded and "gate" in jobs["publish"]["needs"]
