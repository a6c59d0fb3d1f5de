"""A cell's requirement level: the strongest statement that speaks for the driver, capped by the
scenario's level; no such statement, no cell that judges (scenarios/FORMAT.md, Levels)."""

from conformance.scenario.levels import cell_level, not_applicable_reason
from conformance.scenario.loader import spec_statements
from conformance.scenario.model import Requirements, Scenario, Statement, Step

PYTHON = {"tab": "python", "api": "pymilvus.connections"}
NODE = {"tab": "node", "api": "milvus2-sdk-node.MilvusClient"}
JAVA_V1 = {"tab": "java", "api": "milvus-sdk-java.MilvusServiceClient"}
JAVA_V2 = {"tab": "java", "api": "milvus-sdk-java.MilvusClientV2"}
STATEMENTS = {
    "page.python": Statement(id="page.python", level="must", en="e", applies_to=("python",)),
    "page.all": Statement(id="page.all", level="must", en="e"),
    "sdk.v1": Statement(id="sdk.v1", level="should", en="e", applies_to=("milvus-sdk-java.MilvusServiceClient",)),
    "norm": Statement(id="norm", level="should", en="e"),
    "info": Statement(id="info", level="info", en="e"),
}


def scenario(spec, level="must"):
    return Scenario(id="x.y", title="t", spec=tuple(spec), group="g", tags=(), requires=Requirements(),
                    steps=(Step(op="connect", args={}, expect={"ok": True}, line=1),), path="f.yaml", line=1,
                    level=level)


def test_the_strongest_statement_that_speaks_for_the_driver_decides():
    s = scenario(["page.python", "norm"])
    assert cell_level(s, STATEMENTS, PYTHON) == ("must", [STATEMENTS["page.python"]])
    assert cell_level(s, STATEMENTS, NODE) == ("should", [STATEMENTS["norm"]])


def test_a_statement_about_one_api_of_an_sdk_does_not_speak_for_its_other_api():
    s = scenario(["sdk.v1"], level="should")
    assert cell_level(s, STATEMENTS, JAVA_V1)[0] == "should"
    assert cell_level(s, STATEMENTS, JAVA_V2) == (None, [])
    assert "speak for milvus-sdk-java.MilvusServiceClient only" in not_applicable_reason(s, STATEMENTS, "java-v2",
                                                                                         JAVA_V2)


def test_the_scenario_level_caps_its_cells():
    capped = scenario(["page.all", "norm"], level="should")
    level, grounds = cell_level(capped, STATEMENTS, NODE)
    assert level == "should" and grounds[0].level == "must"  # grounds: the strongest first
    assert cell_level(scenario(["page.all", "info"], level="info"), STATEMENTS, NODE)[0] == "info"


def test_the_real_statements_speak_for_the_right_sdks():
    statements = spec_statements()
    handler = scenario(["raises.not-implemented-handler"])
    assert cell_level(handler, statements, PYTHON)[0] == "must"
    assert cell_level(handler, statements, NODE)[0] is None  # only pymilvus has a handler parameter
    default_port = scenario(["ports.sdk-default-port"])
    assert {cell_level(default_port, statements, d)[0] for d in (PYTHON, NODE, JAVA_V1, JAVA_V2)} == {"must"}
    assert cell_level(default_port, statements, {"tab": "curl", "api": "requests"})[0] is None
