"""A real conformance run of the quick suite through every registered driver,
in parallel: every driver gives every scenario a result, none is an error, and
every verdict rests on the SDK's own answers (drivers/PROTOCOL.md, section 4)."""

import pytest

from conformance.drivers.registry import load_registry
from conformance.paths import SCENARIOS_DIR, SPEC_FILE
from conformance.scenario.doc_examples import example_scenarios
from conformance.scenario.loader import load_tree

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("documented_ports")]


def test_quick_suite_every_driver_every_scenario_has_a_result(run_suite):
    run = run_suite("--suite", "quick", "-n", "2", timeout=3600)
    results = run.results
    registry = load_registry()
    drivers = list(registry)
    quick = [s for s in load_tree(SCENARIOS_DIR) + example_scenarios(SPEC_FILE) if "quick" in s.tags]
    outcomes = run.outcomes()
    expected = [f"{s.id}[{d}]" for s in quick for d in drivers
                if (not s.requires.drivers or d in s.requires.drivers)
                and (not registry[d].only_groups or s.group in registry[d].only_groups)]
    missing = [cell for cell in expected if cell not in outcomes]
    assert not missing, missing
    assert any(cell.endswith("[docs]") for cell in expected)  # the doc's own examples ran too
    errors = {k: o["message"][:300] for o in results["outcomes"] if o["outcome"] == "error"
              for k in [f"{o['scenario']['id']}[{o['driver']}]"]}
    assert not errors, errors
    for name in drivers:
        info = results["drivers"][name]
        assert info.get("sdk", {}).get("version"), (name, info)  # the exact SDK version that ran
        summary = results["summary"][name]
        assert summary["pass"] + summary["fail"] + summary["xfail"] > 0, (name, summary)
    for outcome in results["outcomes"]:
        if outcome["outcome"] == "skip":
            assert outcome["message"], outcome  # every skip says why
        if outcome["outcome"] == "fail":
            assert any(s["verdict"] == "mismatch" for s in outcome["transcript"])  # with the SDK's evidence
            assert outcome["repro"]["reproduced"] is True, outcome["repro"]  # and shown again without the harness
        assert outcome["verdict_source"] in ("sdk", "driver", "harness") and outcome["level"] in (
            "must", "should", "info", None), outcome
        answerers = [s["response"].get("answered_by") for s in outcome["transcript"]]
        if outcome["outcome"] in ("pass", "fail", "xfail"):  # no verdict rests on a driver-made answer
            assert outcome["verdict_source"] == "sdk" and set(answerers) <= {"sdk", "harness"}, outcome
        if outcome["outcome"] == "observed":  # an observation of the SDK (a driver-made step ends it, marked)
            assert outcome["verdict_source"] == "sdk" and "sdk" in answerers, outcome
        if outcome["message"].startswith("decided by the driver"):
            assert outcome["transcript"][-1]["response"]["answered_by"] == "driver"
    for name, summary in results["summary"].items():
        assert set(summary["levels"]) == {"must", "should", "info"}, name
    assert run.proc.returncode in (0, 1), run.proc.stdout[-3000:]
