"""drivers/PROTOCOL.md, scenarios/FORMAT.md, the schema, the registry and the
harness must agree: a name in one is a name in the others."""

import json
import re

import pytest

from conformance.drivers.process import ANSWERERS, PROTOCOL_VERSION
from conformance.drivers.registry import load_registry
from conformance.paths import DRIVERS_DIR, SCENARIOS_DIR
from conformance.scenario.loader import schema
from conformance.scenario.model import HARNESS_OPS
from conformance.scenario.requirements import CONNECT_ARG_CAPABILITIES, OP_CAPABILITIES
from conformance.scenario.values import KNOWN

PROTOCOL = (DRIVERS_DIR / "PROTOCOL.md").read_text()
FORMAT = (SCENARIOS_DIR / "FORMAT.md").read_text()
SCHEMA = schema(1)
OPS = SCHEMA["$defs"]["step"]["properties"]["op"]["enum"]
CAPABILITIES = SCHEMA["$defs"]["capability"]["enum"]
CATEGORIES = SCHEMA["$defs"]["category"]["enum"]


def test_protocol_version_is_the_harness_version():
    assert f"# Driver protocol, version {PROTOCOL_VERSION}" in PROTOCOL


@pytest.mark.parametrize("op", OPS + ["hello", "reset"])
def test_every_op_is_documented_in_the_protocol_table(op):
    assert re.search(rf"^\| `{op}` \|", PROTOCOL, re.M), op


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_every_capability_is_documented(capability):
    assert re.search(rf"^\| `{re.escape(capability)}` \|", PROTOCOL, re.M)


@pytest.mark.parametrize("category", CATEGORIES + ["unknown"])
def test_every_category_is_documented_in_both(category):
    assert re.search(rf"^\| `{category}` \|", PROTOCOL, re.M)
    assert category in FORMAT


def test_implied_capabilities_exist():
    assert set(OP_CAPABILITIES) <= set(OPS) | set(HARNESS_OPS)
    assert set(OP_CAPABILITIES.values()) | set(CONNECT_ARG_CAPABILITIES.values()) <= set(CAPABILITIES)


@pytest.mark.parametrize("reference", KNOWN)
def test_every_reference_is_documented_in_the_format(reference):
    assert "${" + reference + "}" in FORMAT


def test_every_expect_key_and_step_key_is_documented_in_the_format():
    keys = list(SCHEMA["$defs"]["expect"]["properties"]) + list(SCHEMA["$defs"]["step"]["properties"])
    keys += list(SCHEMA["$defs"]["requires"]["properties"]) + list(SCHEMA["$defs"]["scenario"]["properties"])
    missing = [k for k in keys if not re.search(rf"\b{k}\b", FORMAT)]
    assert not missing


def test_every_registered_manifest_is_valid_and_declares_known_capabilities():
    registry = load_registry()
    assert "python" in registry
    for name, manifest in registry.items():
        assert manifest.driver_dir.is_dir()
        assert set(manifest.capabilities) <= set(CAPABILITIES), name
        for entry in manifest.known_deviations:
            assert entry.get("scenario") and entry.get("reason"), (name, entry)


def test_schema_is_valid_json_schema():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert json.loads((SCENARIOS_DIR / "schema" / "v1.json").read_text())["properties"]["schema"]["const"] == 1


def test_every_sdk_driver_has_a_plain_program_for_the_benchmark():
    """conformance.bench compares the harness with the same SDK call in a plain program (bench.direct)."""
    for name, manifest in load_registry().items():
        if manifest.sdk_registry in ("pypi", "npm", "go", "maven") and "server_version" in manifest.capabilities \
                and name != "cli":
            assert manifest.direct_bench_command, name
            for placeholder in ("{host}", "{port}", "{calls}", "{workload}"):  # both workloads of the bench
                assert placeholder in manifest.direct_bench_command, (name, placeholder)
            programs = [part for part in manifest.direct_bench_command if "{driver_dir}/" in part]
            for part in programs:
                assert (manifest.driver_dir / part.split("{driver_dir}/", 1)[1]).is_file(), (name, part)


def test_who_answered_and_a_call_that_never_returned_are_documented():
    for who in ANSWERERS:
        assert f"`{who}`" in PROTOCOL
    assert "`answered_by`" in PROTOCOL and "answered_by" in FORMAT
    assert re.search(r"^\| `hang` \|", PROTOCOL, re.M) and "`hang`" in FORMAT


def test_every_driver_says_which_statements_speak_for_it_and_renders_reproducers():
    """doc.tab / doc.api decide which statements (and so which levels) apply to a driver; repro.render
    turns its failures into standalone programs (PROTOCOL sections 2 and 8)."""
    for name, manifest in load_registry().items():
        assert manifest.doc.get("tab") and manifest.doc.get("api"), name
        assert manifest.repro_command and "{request}" in manifest.repro_command, name
        programs = [part for part in manifest.repro_command if part.endswith(".py")]
        assert programs and all((manifest.driver_dir / part).is_file() for part in programs), name
