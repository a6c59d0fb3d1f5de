"""The baseline gate's comparison (unit) and a planted regression (real runs)."""

import json

import pytest

from conformance.errors import ConformanceError
from conformance.report.gate import compare, load_baseline


def results(levels=None, **cells):
    """cells: scenario__driver=outcome; levels: scenario -> level (default must)."""
    return {"outcomes": [{"scenario": {"id": cell.split("__")[0]}, "driver": cell.split("__")[1], "outcome": o,
                          "level": (levels or {}).get(cell.split("__")[0], "must")}
                         for cell, o in cells.items()]}


def test_regressions_improvements_and_new_cells():
    before = results(a__py="pass", b__py="fail", c__py="xfail", d__py="pass", e__py="pass")
    after = results(a__py="fail", b__py="pass", c__py="error", d__py="skip", f__py="pass", a__node="fail")
    gate = compare(before, after)
    assert [e["cell"] for e in gate["regressions"]] == ["a[py]", "c[py]"]
    assert [e["cell"] for e in gate["improvements"]] == ["b[py]"]
    assert [e["cell"] for e in gate["new_scenarios"]] == ["f[py]"]
    assert [e["cell"] for e in gate["new_columns"]] == ["a[node]"]
    assert [e["cell"] for e in gate["now_skipped"]] == ["d[py]"]
    assert gate["not_run"] == ["e[py]"] and gate["passed"] is False


def test_same_failures_pass_the_gate():
    same = results(a__py="fail", b__py="pass")
    assert compare(same, same)["passed"] is True


def test_a_file_that_is_not_results_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ConformanceError, match=r"--baseline .*x\.json: not a results.json"):
        load_baseline(str(bad))


def test_a_should_regression_fails_the_gate_only_at_gate_level_should():
    levels = {"s": "should", "m": "must"}
    before = results(levels, s__py="pass", m__py="pass")
    after = results(levels, s__py="fail", m__py="pass")
    by_default = compare(before, after)
    assert by_default["passed"] is True and by_default["regressions"] == []
    assert [e["cell"] for e in by_default["regressions_not_enforced"]] == ["s[py]"]
    with_should = compare(before, after, gate_level="should")
    assert with_should["passed"] is False and [e["cell"] for e in with_should["regressions"]] == ["s[py]"]


def test_info_cells_and_flaky_cells_never_fail_the_gate():
    levels = {"i": "info", "f": "must"}
    before = results(levels, i__py="pass", f__py="pass")
    after = results(levels, i__py="error", f__py="flaky")
    for gate_level in ("must", "should"):
        gate = compare(before, after, gate_level=gate_level)
        assert gate["passed"] is True, gate
    assert [e["cell"] for e in compare(before, after)["flaky"]] == ["f[py]"]
