"""python -m conformance.diff: matching cells of two runs, the categories, the three formats, the exit status."""

import json

import pytest

from conformance.diff import main
from conformance.errors import ConformanceError
from conformance.paths import REPO_ROOT
from conformance.report import gate
from conformance.report.diff import columns, compare, load, regressions_at
from conformance.report.diff_render import as_json, markdown, text

SDK = {"python": ("pymilvus", "3.0.2"), "node": ("milvus2-sdk-node", "3.0.6"), "grpc": ("grpcio", "3.0.2")}


def results(*cells, server="2.3.5"):
    """cells: (scenario, column, outcome[, level[, message]]); a column python-3.0.2 is that SDK version."""
    outcomes = []
    for scenario, column, outcome, *rest in cells:
        level, message = rest[0] if rest else "must", rest[1] if len(rest) > 1 else ""
        driver = column.split("@")[0]
        name, version = SDK.get(driver) or ("sdk", driver.partition("-")[2] or "1")
        outcomes.append({"scenario": {"id": scenario, "title": f"title of {scenario}", "file": "s.yaml:1"},
                         "driver": driver, "column": column, "server_version": server, "level": level,
                         "role": "reference" if driver == "grpc" else "sdk", "outcome": outcome, "message": message,
                         "driver_info": {"name": driver, "sdk": {"name": name, "version": version}}})
    return {"run": {"id": "r"}, "outcomes": outcomes}


def names(entries):
    return [f"{e['scenario']}[{e['column']}]" for e in entries]


OLD = results(("reg.pass", "python", "pass"), ("reg.xfail", "python", "xfail"),
              ("reg.observed", "python", "observed", "info"), ("fix.fail", "python", "fail"),
              ("fix.error", "python", "error"), ("other.skip", "python", "pass"), ("other.xfail", "python", "fail"),
              ("level.up", "python", "pass", "should"), ("flaky.now", "python", "pass"),
              ("flaky.before", "python", "flaky"), ("gone", "python", "pass"), ("same", "python", "fail"),
              ("reg.pass", "grpc", "pass"), ("reg.pass", "node", "pass"))
NEW = results(("reg.pass", "python", "fail", "must", "step 1: expected ok\nsecond line"),
              ("reg.xfail", "python", "error"), ("reg.observed", "python", "fail", "info"),
              ("fix.fail", "python", "pass"), ("fix.error", "python", "pass"), ("other.skip", "python", "skip"),
              ("other.xfail", "python", "xfail"), ("level.up", "python", "pass", "must"),
              ("flaky.now", "python", "flaky"), ("flaky.before", "python", "fail"), ("added", "python", "pass"),
              ("same", "python", "fail"), ("reg.pass", "grpc", "fail"), ("reg.pass", "java", "pass"))


def test_every_category_of_change():
    report = compare(OLD, NEW)
    assert names(report["regressions"]) == ["reg.observed[python]", "reg.pass[python]", "reg.xfail[python]"]
    assert names(report["fixes"]) == ["fix.error[python]", "fix.fail[python]"]
    assert names(report["changes"]) == ["other.skip[python]", "other.xfail[python]"]
    assert names(report["level_changes"]) == ["level.up[python]"]
    assert report["level_changes"][0]["before_level"] == "should" and report["level_changes"][0]["level"] == "must"
    assert names(report["flaky"]) == ["flaky.before[python]", "flaky.now[python]"]  # flaky -> fail: no regression
    assert names(report["new_scenarios"]) == ["added[python]"] and report["new_scenarios"][0]["whole_scenario"]
    assert names(report["removed_scenarios"]) == ["gone[python]"]
    assert [c["column"] for c in report["new_columns"]] == ["java"]
    assert [c["column"] for c in report["removed_columns"]] == ["node"]
    assert report["unchanged"] == 1 and report["counts"]["regressions"] == 3
    assert report["regressions"][1]["message"] == "step 1: expected ok"  # the first line only


def test_the_reference_client_is_apart_and_never_a_regression():
    report = compare(OLD, NEW)
    assert [(e["scenario"], e["column"], e["kind"]) for e in report["reference"]] == [("reg.pass", "grpc",
                                                                                      "regression")]
    assert "grpc" not in str(report["regressions"])


def test_a_version_column_matches_the_same_sdk_under_its_driver_name():
    old = results(("a", "python", "pass"), ("b", "python", "pass"))
    new = results(("a", "python-3.0.2", "fail"), ("b", "python-2.6.17", "pass"))
    report = compare(old, new)
    assert [(e["column"], e["was_column"]) for e in report["regressions"]] == [("python-3.0.2", "python")]
    assert [c["column"] for c in report["new_columns"]] == ["python-2.6.17"]  # another SDK version: a column
    assert columns(new)["python-2.6.17"].identity == ("python", "2.6.17", "2.3.5")


def test_a_changed_sdk_under_the_same_column_name_is_compared_and_named():
    """The gate's case: last release's `python` against a pull request's checkout of it."""
    old = results(("a", "python", "pass"))
    new = results(("a", "python", "fail"))
    new["outcomes"][0]["driver_info"]["sdk"]["version"] = "3.0.3.dev1"
    report = compare(old, new)
    assert names(report["regressions"]) == ["a[python]"]
    assert report["changed_columns"][0]["change"] == "SDK 3.0.2 -> 3.0.3.dev1"


def test_a_changed_server_is_another_column_unless_the_name_pairs_it():
    old = results(("a", "python@2.3.4", "pass"), server="2.3.4")
    new = results(("a", "python@2.3.5", "fail"))
    report = compare(old, new)
    assert not report["regressions"] and [c["server"] for c in report["new_columns"]] == ["2.3.5"]


def test_the_sdk_version_of_skipped_cells_comes_from_the_column():
    data = results(("a", "python", "pass"), ("b", "python", "skip", None))
    data["outcomes"][1]["driver_info"] = None  # a cell that does not apply never starts the driver
    assert columns(data)["python"].sdk == "3.0.2"
    assert compare(data, data)["unchanged"] == 2


def test_text_markdown_and_json():
    report = compare(OLD, NEW)
    out = text(report, "old.json", "new.json")
    assert out.startswith("conformance diff old.json -> new.json\n  3 regression(s) (2 at must or above)")
    assert "  reg.pass [python]  pass -> fail  (must)  step 1: expected ok" in out
    assert out.index("Regressions:") < out.index("Fixes:") < out.index("Reference client")
    md = markdown(report, "old.json", "new.json")
    lines = md.splitlines()
    assert lines[0] == "### Conformance diff: `old.json` → `new.json`"
    assert lines[2].startswith("**3 regression(s)** (2 at must or above) · 2 fix(es) · 2 other change(s)")
    assert "| `reg.pass` | python | pass → fail | must | step 1: expected ok |" in lines
    assert md.index("#### Regressions (3)") < md.index("#### Fixes (2)") < md.index("Other outcome changes")
    assert "| `added` | title of added | python pass | must |" in lines
    data = json.loads(as_json(report, "old.json", "new.json", level="info"))
    assert data["regressions_at_level"] == 3 and data["old"]["path"] == "old.json"
    assert names(data["regressions"]) == names(report["regressions"])


def test_markdown_cells_cannot_break_the_table():
    new = results(("a", "python", "fail", "must", "got a|b <tag>"))
    md = markdown(compare(results(("a", "python", "pass")), new), "o", "n")
    assert "| `a` | python | pass → fail | must | got a\\|b &lt;tag> |" in md.splitlines()


def test_long_tables_are_cut_with_a_count_of_the_rest():
    old = results(*[(f"s{i}", "python", "pass") for i in range(5)])
    new = results(*[(f"s{i}", "python", "fail") for i in range(5)])
    report = compare(old, new)
    assert "... and 3 more" in text(report, "o", "n", max_rows=2)
    assert "… and 3 more" in markdown(report, "o", "n", max_rows=2)
    assert text(report, "o", "n", max_rows=0).count("pass -> fail") == 5


@pytest.fixture
def run_files(tmp_path):
    def write(name, data):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "results.json").write_text(json.dumps(data))
        return folder
    return write


def test_exit_status_by_level(run_files, capsys):
    old = run_files("old", results(("m", "python", "pass"), ("s", "python", "pass", "should")))
    should_only = run_files("should", results(("m", "python", "pass"), ("s", "python", "fail", "should")))
    assert main([str(old), str(should_only)]) == 0
    assert main([str(old), str(should_only), "--fail-on-regression"]) == 0  # must, by default
    assert main([str(old), str(should_only), "--fail-on-regression", "--level", "should"]) == 1
    assert main([str(old), str(should_only / "results.json"), "--fail-on-regression", "--level", "info"]) == 1
    must = run_files("must", results(("m", "python", "error"), ("s", "python", "pass", "should")))
    capsys.readouterr()
    assert main([str(old), str(must), "--fail-on-regression", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["regressions_at_level"] == 1


def test_each_format_is_printed(run_files, capsys):
    old = run_files("old", OLD)
    new = run_files("new", NEW)
    for fmt, start in (("text", "conformance diff"), ("markdown", "### Conformance diff"), ("json", "{")):
        capsys.readouterr()
        assert main([str(old), str(new), "--format", fmt]) == 0
        assert capsys.readouterr().out.startswith(start)


def test_a_file_that_is_not_results_is_exit_status_2(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    assert main([str(bad), str(bad)]) == 2
    assert "not a results.json" in capsys.readouterr().err
    with pytest.raises(ConformanceError):
        load(str(tmp_path / "missing"))


def test_the_gate_counts_the_regressions_the_diff_finds():
    report, verdict = compare(OLD, NEW), gate.compare(OLD, NEW, gate_level="should")
    enforced = [f"{e['scenario']}[{e['column']}]" for e in regressions_at(report, "should")]
    assert [e["cell"] for e in verdict["regressions"]] == enforced == ["reg.pass[python]", "reg.xfail[python]"]


def _real_runs():
    """The two newest run folders under reports/ with cells (latest is a link to one of them)."""
    found = sorted(p for p in (REPO_ROOT / "reports").glob("*/results.json") if not p.parent.is_symlink())
    return [p for p in found if p.stat().st_size > 0][-2:]


@pytest.mark.skipif(len(_real_runs()) < 2, reason="needs two runs' results.json under reports/")
def test_two_real_runs(capsys):
    old_path, new_path = _real_runs()
    old, new = load(str(old_path)), load(str(new_path))
    report = compare(old, new)
    itself = compare(new, new)  # a run against itself: nothing changed but its flaky cells
    assert itself["unchanged"] + len(itself["flaky"]) == sum(o.get("role") != "reference" for o in new["outcomes"])
    reference = {c["column"] for c in new["columns"] if c["driver"] == "grpc"}
    assert not {e["column"] for e in report["regressions"] + report["fixes"] + report["changes"]} & reference
    gated = gate.compare(old, new)
    assert [e["cell"] for e in gated["regressions"]] == [f"{e['scenario']}[{e['column']}]"
                                                        for e in regressions_at(report, "must")]
    for fmt, start in (("text", "conformance diff"), ("markdown", "### Conformance diff"), ("json", "{")):
        capsys.readouterr()
        assert main([str(old_path.parent), str(new_path), "--format", fmt]) == 0
        assert capsys.readouterr().out.startswith(start)
