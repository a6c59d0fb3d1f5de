"""conformance.combine: runs of separate CI jobs as one site (report/combine.py, combine.py)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.paths import REPO_ROOT
from conformance.report.combine import combine
from conformance.setup import chromium


def run(run_id, column, version, cells, driver=None):
    driver = driver or column
    return {"run": {"id": run_id, "started": "2026-12-07T00:00:00Z", "finished": "2026-12-07T00:01:00Z",
                    "suite": "full"},
            "spec": {"sha256": "abc"}, "columns": [{"column": column, "driver": driver, "server_version": "2.3.5"}],
            "drivers": {driver: {"name": driver, "sdk": {"name": "pymilvus", "version": version}}},
            "servers": {"plain": {"host": "127.0.0.1", "grpc_port": 1, "http_port": 2, "version": "2.3.5"}},
            "outcomes": [{"scenario": {"id": s, "file": "scenarios/x.yaml:1", "title": s, "spec": [], "group": "g"},
                          "driver": driver, "column": column, "outcome": o, "level": "must"} for s, o in cells.items()]}


def test_one_column_per_sdk_version_and_conflicts_reported_not_picked():
    a = run("a", "python", "2.6.17", {"s.one": "pass", "s.two": "fail"})
    b = run("b", "python", "3.0.2", {"s.one": "pass", "s.two": "pass"})
    c = run("c", "node", "3.0.6", {"s.one": "pass"})
    c_again = run("d", "node", "3.0.6", {"s.one": "fail"})
    merged = combine([a, b, c, c_again])
    assert [col["column"] for col in merged["columns"]] == ["python-2.6.17", "python-3.0.2", "node"]
    cells = {(o["scenario"]["id"], o["column"]): o for o in merged["outcomes"]}
    assert cells[("s.two", "python-2.6.17")]["outcome"] == "fail" and cells[("s.two", "python-3.0.2")]["outcome"] == "pass"
    assert merged["conflicts"] == [{"scenario": "s.one", "column": "node", "runs": {"c": "pass", "d": "fail"}}]
    assert cells[("s.one", "node")]["outcome"] == "error" and "conflict" in cells[("s.one", "node")]["message"]
    assert merged["summary"]["python-3.0.2"]["score"] == 1.0 and merged["summary"]["python-2.6.17"]["score"] == 0.5
    assert merged["run"]["combined_from"] == ["a", "b", "c", "d"]


def test_the_same_answer_from_two_runs_is_kept_once():
    merged = combine([run("a", "node", "3.0.6", {"s.one": "pass"}), run("b", "node", "3.0.6", {"s.one": "pass"})])
    assert merged["conflicts"] == [] and len(merged["outcomes"]) == 1


@pytest.mark.slow
@pytest.mark.skipif(not chromium(), reason="no Chromium here (python -m conformance.setup installs it)")
def test_three_real_runs_combined_into_one_site_that_a_browser_opens(run_suite, tmp_path):
    reports = []
    for driver, sdk in (("python", "3.0.2"), ("node", ""), ("go", ""), ("python", "2.6.17")):
        suite = run_suite("--driver", driver, *(["--sdk", f"{driver}={sdk}"] if sdk else []),
                          "--scenarios", "scenarios/connect/host-port.yaml", timeout=900)
        assert suite.report_dir is not None, suite.proc.stdout[-2000:]
        reports.append(str(suite.report_dir))
    # two runs of two SDK versions, diffed in the three formats
    for fmt, check in (("text", lambda out: "regression" in out.lower()),
                       ("markdown", lambda out: out.startswith("### Conformance diff")),
                       ("json", lambda out: isinstance(json.loads(out)["regressions"], list))):
        diff = subprocess.run([sys.executable, "-m", "conformance.diff", reports[3], reports[0], "--format", fmt],
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        assert diff.returncode == 0 and check(diff.stdout), (fmt, diff.stdout[-2000:], diff.stderr[-2000:])
    reports = reports[:3]
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "conformance.combine", *reports, "-o", str(site)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    merged = json.loads((site / "results.json").read_text())
    assert [c["column"] for c in merged["columns"]] == ["python", "node", "go"]
    assert {p.name for p in (site / "drivers").iterdir()} == {"python.html", "node.html", "go.html"}
    for name in ("python", "node", "go"):  # shields.io endpoints
        badge = json.loads((site / "badges" / f"{name}.json").read_text())
        assert badge["schemaVersion"] == 1 and badge["label"] and badge["message"].endswith(("%", "n/a"))
    shot = Path("reports") / "combined-site.png"
    shot.parent.mkdir(exist_ok=True)
    browser = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
                              f"--screenshot={shot.resolve()}", "--window-size=1400,1800",
                              (site / "index.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000
    console = [line for line in browser.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if re.search(r"error|uncaught", line, re.I)], console


def test_a_combined_site_links_each_finding_to_its_drivers_history(tmp_path):
    sample = json.loads((Path(__file__).parent / "fixtures" / "report" / "results.json").read_text())
    runs = []
    for name in ("a", "b"):  # two jobs: the python column and the node column
        data = dict(sample, run={**sample["run"], "id": name})
        column = "python" if name == "a" else "node"
        data["columns"] = [c for c in sample["columns"] if c["column"] == column]
        data["outcomes"] = [o for o in sample["outcomes"] if o.get("column", o["driver"]) == column]
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(data))
        runs.append(str(tmp_path / name / "results.json"))
    history = tmp_path / "reports" / "history" / "python"
    history.mkdir(parents=True)
    (history / "history.json").write_text(json.dumps({"driver": "python", "versions": ["2.6.17", "3.0.2"]}))
    (history / "index.html").write_text("<!doctype html><title>history of python</title>")
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "conformance.combine", *runs, "-o", str(site), "--history", str(history)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (site / "history" / "python" / "index.html").read_text() == "<!doctype html><title>history of python</title>"
    finding = "history/python/index.html#raises.handler-not-grpc'"  # the sample's python fail
    assert f"href='{finding}" in (site / "index.html").read_text()
    assert f"href='../{finding}" in (site / "drivers" / "python.html").read_text()
    assert "history/" not in (site / "drivers" / "node.html").read_text()  # no history for node
    # a folder that is not a history: one line naming it, exit status 2
    bad = subprocess.run([sys.executable, "-m", "conformance.combine", *runs, "-o", str(tmp_path / "other"),
                          "--history", str(tmp_path / "a")], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and f"'{tmp_path / 'a'}' is not a history folder" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
