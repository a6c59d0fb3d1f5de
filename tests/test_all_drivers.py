"""A real conformance run of the quick suite through every registered driver,
in parallel: every driver gives every scenario a result, none is an error."""

import pytest

from conformance.drivers.registry import load_registry
from conformance.paths import SCENARIOS_DIR
from conformance.scenario.loader import load_tree

pytestmark = pytest.mark.slow


def test_quick_suite_every_driver_every_scenario_has_a_result(run_suite):
    run = run_suite("--suite", "quick", "-n", "2", timeout=3600)
    results = run.results
    drivers = list(load_registry())
    quick = [s.id for s in load_tree(SCENARIOS_DIR) if "quick" in s.tags]
    outcomes = run.outcomes()
    missing = [f"{s}[{d}]" for s in quick for d in drivers if f"{s}[{d}]" not in outcomes]
    assert not missing, missing
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
    assert run.proc.returncode in (0, 1), run.proc.stdout[-3000:]
