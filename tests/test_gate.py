"""The baseline gate's comparison (unit) and a planted regression (real runs)."""

import json

import pytest

from conformance.errors import ConformanceError
from conformance.report.gate import compare, load_baseline, summary_lines


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


def test_a_pass_that_is_now_skipped_fails_the_gate_with_its_reason_unless_allowed():
    before = results(a__py="pass", b__py="pass")
    after = results(a__py="skip", b__py="pass")
    after["outcomes"][0]["message"] = "profile 'default_port' needs port 9091, which is taken by pid 7"
    gate = compare(before, after)
    assert gate["passed"] is False and gate["regressions"] == []
    assert gate["passed_now_skipped"] == [{"cell": "a[py]", "before": "pass", "after": "skip", "level": "must",
                                           "reason": "profile 'default_port' needs port 9091, which is taken by pid 7"}]
    lines = summary_lines(gate, "base.json")
    assert "FAILED - 0 regression(s), 1 passed and now skipped" in lines[0]
    assert "skipped: a[py] (must): pass -> skip, because profile 'default_port' needs port 9091" in lines[1]
    allowed = compare(before, after, allow_skip=True)
    assert allowed["passed"] is True and allowed["allow_skip"] is True
    assert "1 passed and now skipped (accepted: --gate-allow-skip)" in summary_lines(allowed, "base.json")[0]


def test_a_skip_below_the_gate_level_does_not_fail_it():
    levels = {"s": "should"}
    gate = compare(results(levels, s__py="pass"), results(levels, s__py="skip"))
    assert gate["passed"] is True and gate["passed_now_skipped"] == []
    assert compare(results(levels, s__py="pass"), results(levels, s__py="skip"), gate_level="should")["passed"] is False


def test_the_reference_client_is_never_gated():
    """The grpc reference driver shows what the server alone does; its cells never fail a release's gate."""
    before = results(a__py="pass", a__grpc="pass")
    after = results(a__py="pass", a__grpc="fail")
    for outcome in after["outcomes"] + before["outcomes"]:
        outcome["role"] = "reference" if outcome["driver"] == "grpc" else "sdk"
    gate = compare(before, after)
    assert gate["passed"] and not gate["regressions"] and "a[grpc]" not in str(gate)
