"""Real conformance runs (the python driver, an embedded Milvus) of the
runner's own fixtures, bad input, interruption and cleanup."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.paths import REPO_ROOT
from conformance.run import SCRATCH_PREFIX

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.slow


def test_valid_pass_fixtures_all_pass(run_suite, tmp_path):
    allure_dir = tmp_path / "allure"
    run = run_suite("--scenarios", str(FIXTURES / "valid-pass"), "--driver", "python", "--alluredir", str(allure_dir))
    assert run.proc.returncode == 0, run.proc.stdout[-3000:]
    outcomes = run.outcomes()
    observed = {cell for cell, o in outcomes.items() if cell.startswith("fixture.observed.")}
    assert len(outcomes) == 6 and {outcomes[c] for c in observed} == {"observed"}, outcomes
    assert {o for c, o in outcomes.items() if c not in observed} == {"pass"}, outcomes
    info = [o for o in run.results["outcomes"] if o["scenario"]["id"] == "fixture.observed.recorded-not-judged"][0]
    assert [s["verdict"] for s in info["transcript"]] == ["observed", "observed"]  # the failing first step did not stop it
    assert info["level"] == "info" and info["verdict_source"] == "sdk" and not info["attempts"]
    levels = run.results["summary"]["python"]["levels"]
    assert levels["must"]["pass"] == 5 and levels["info"]["observed"] == 1
    stopped = [o for o in run.results["outcomes"] if o["scenario"]["id"] == "fixture.pass.one-of-with-stop"][0]
    assert len(stopped["transcript"]) == 1  # `stop` ended the scenario after the first step
    assert (run.report_root / "latest" / "index.html").exists()
    assert (run.report_root / "latest" / "junit.xml").exists()
    allure = [json.loads(p.read_text()) for p in allure_dir.glob("*-result.json")]
    assert len(allure) == 6  # allure: labels for scenario, spec section and driver; a step per scenario step
    for result in allure:
        labels = {(label["name"], label["value"]) for label in result["labels"]}
        assert ("tag", "python") in labels and any(name == "spec" for name, _ in labels)
        assert ("level", "must") in labels or ("level", "info") in labels  # and the level as allure severity
        assert ("severity", "critical") in labels or ("severity", "trivial") in labels
        assert result["steps"] and result["steps"][0]["attachments"][0]["name"] == "transcript"
        assert any(a["name"] == "server log (tail)" for a in result.get("attachments", []))


def test_valid_fail_fixtures_are_all_reported_as_failing_with_evidence(run_suite):
    """Every fail: the SDK's raw answer as evidence, confirmed in a fresh driver process, and
    reproduced by a standalone pymilvus program written into the report (tests/test_verdicts.py
    plants the cases that must not end as fails)."""
    run = run_suite("--scenarios", str(FIXTURES / "valid-fail"), "--driver", "python")
    assert run.proc.returncode == 1
    report = run.report_root / "latest"
    results = run.results["outcomes"]
    assert len(results) == 7 and {o["outcome"] for o in results} == {"fail"}, [o["message"] for o in results]
    for outcome in results:
        failed = [s for s in outcome["transcript"] if s["verdict"] == "mismatch"]
        assert len(failed) == 1 and failed[0]["response"]  # the raw SDK response is the evidence
        assert outcome["message"].startswith("step ")
        assert [a["outcome"] for a in outcome["attempts"]] == ["fail", "fail"]
        assert outcome["verdict_source"] == "sdk" and outcome["level"] == "must"
        repro = outcome["repro"]
        assert repro["reproduced"] is True, (outcome["scenario"]["id"], repro)
        program = report / repro["path"]  # relative to the report folder, which can move as a whole
        assert program.is_file() and program.read_text() == repro["program"]
        assert "from pymilvus import connections" in repro["program"]  # the SDK's own calls, nothing else
        assert '"step": 1' in repro["output"]
    html = (report / "index.html").read_text()
    assert "reproduced outside the harness" in html and "copy the program" in html


def test_a_malformed_file_is_reported_and_the_other_files_still_run(run_suite, tmp_path):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "good.yaml").write_text((FIXTURES / "valid-pass" / "runner-features.yaml").read_text())
    (scenarios / "bad.yaml").write_text((FIXTURES / "invalid" / "unknown-op.yaml").read_text())
    run = run_suite("--scenarios", str(scenarios), "--driver", "python")
    assert run.proc.returncode != 0
    assert "bad.yaml:9: at scenarios/0/steps/0/op: 'frobnicate' is not one of" in run.proc.stdout
    results = run.results
    assert set(run.outcomes().values()) == {"pass", "observed"} and len(run.outcomes()) == 6
    assert "frobnicate" in results["collection_errors"][0]["message"]


def test_an_unknown_driver_is_a_one_paragraph_usage_error(run_suite):
    run = run_suite("--driver", "cobol")
    assert run.proc.returncode == 4
    assert re.search(r"ERROR: --driver: unknown driver 'cobol'; the registry \(drivers/registry.yaml\) has: python",
                     run.proc.stderr), run.proc.stderr
    assert "Traceback" not in run.proc.stderr


def test_an_sdk_version_that_does_not_exist_is_a_clear_error(run_suite):
    run = run_suite("--scenarios", str(FIXTURES / "valid-pass"), "--driver", "python", "--sdk", "python=9.9.9")
    assert run.proc.returncode == 1
    outcomes = run.results["outcomes"]
    assert {o["outcome"] for o in outcomes} == {"error"}
    assert "--sdk python=9.9.9: resolving the SDK version of driver 'python' failed: pymilvus 9.9.9 does not exist" \
        in outcomes[0]["message"]


def test_an_older_sdk_version_runs_from_its_own_cached_environment(run_suite):
    run = run_suite("--scenarios", str(FIXTURES / "valid-pass"), "--driver", "python", "--sdk", "python=2.4.9")
    assert run.results["drivers"]["python"]["sdk"]["version"] == "2.4.9"
    assert set(run.outcomes().values()) == {"pass", "observed"}, run.proc.stdout[-3000:]


def _descendants(root: int) -> "set[int]":
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, ValueError, IndexError):
            pass
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _running(pids) -> "list[int]":
    """The pids that still run (a zombie waiting for its reaper does not)."""
    found = []
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(pid)
        except (OSError, IndexError):
            pass
    return found


def _proc_line(pid: int) -> str:
    try:
        return f"{pid}: " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return f"{pid}: gone"


def _processes_mentioning(text: str) -> "list[str]":
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            pass
    return found


def _start_and_wait_for_server(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "conformance", "-q", "--scenarios",
         str(FIXTURES / "valid-pass"), "--driver", "python", "--report-dir", str(tmp_path / "reports")],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    state = None
    while time.monotonic() < deadline and state is None:
        state = next(iter(Path("/tmp").glob(f"{SCRATCH_PREFIX}{proc.pid}-*/servers/plain.json")), None)
        time.sleep(0.2)
    assert state is not None, "the server never started"
    return proc, str(state.parent.parent)


def test_ctrl_c_stops_servers_and_drivers_and_removes_scratch(tmp_path):
    proc, scratch = _start_and_wait_for_server(tmp_path)
    assert _processes_mentioning(scratch)  # the server runs from the run's scratch folder
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    assert _processes_mentioning(scratch) == []
    assert not Path(scratch).exists()
    assert (tmp_path / "reports" / "latest" / "results.json").exists(), out  # what ran is still reported


def test_ctrl_c_while_the_background_restarts_a_shared_private_server_leaves_nothing(tmp_path):
    """-n 2, the fault scenarios in the background (drivers in lockstep on a private server): Ctrl-C in the
    middle stops every server and driver the workers and their background started, and the report is written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "conformance", "-q", "-n", "2", "--scenarios", "scenarios/faults",
         "--driver", "python,go", "--report-dir", str(tmp_path / "reports")],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    private = None
    while time.monotonic() < deadline and private is None:
        private = next(iter(Path("/tmp").glob(f"{SCRATCH_PREFIX}{proc.pid}-*/servers/private/*/server/run/server.pid")),
                       None)
        time.sleep(0.2)
    assert private is not None, "no private server started"
    scratch = str(private.parents[5])  # <scratch>/servers/private/<label>/server/run/server.pid
    time.sleep(3)  # the cells are at their steps
    started = _descendants(proc.pid)  # workers, their drivers (the background's too), keepers, servers
    assert len(started) >= 6
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=180)
    deadline = time.monotonic() + 30
    while (_processes_mentioning(scratch) or Path(scratch).exists() or _running(started)) \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_mentioning(scratch) == [], out[-3000:]
    assert _running(started) == [], [_proc_line(pid) for pid in _running(started)]
    assert not Path(scratch).exists()
    assert (tmp_path / "reports" / "latest" / "results.json").exists(), out[-3000:]


def test_a_killed_run_leaves_no_server_and_no_scratch(tmp_path):
    proc, scratch = _start_and_wait_for_server(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 60
    while (_processes_mentioning(scratch) or Path(scratch).exists()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_mentioning(scratch) == []  # the keeper saw its owner die
    assert not Path(scratch).exists()  # and so did the scratch folder's janitor


def test_the_gate_fails_on_a_planted_regression_and_passes_otherwise(run_suite, tmp_path):
    failing = run_suite("--scenarios", str(FIXTURES / "valid-fail"), "--driver", "python")
    assert failing.proc.returncode == 1
    baseline = failing.results
    unchanged = tmp_path / "unchanged.json"
    unchanged.write_text(json.dumps(baseline))
    again = run_suite("--scenarios", str(FIXTURES / "valid-fail"), "--driver", "python", "--baseline", str(unchanged))
    assert again.proc.returncode == 0, again.proc.stdout[-2000:]  # the same fails: no regression
    assert "gate against" in again.proc.stdout and "PASSED - 0 regression(s)" in again.proc.stdout
    planted = dict(baseline, outcomes=[dict(o, outcome="pass") for o in baseline["outcomes"]])
    (tmp_path / "planted.json").write_text(json.dumps(planted))
    regressed = run_suite("--scenarios", str(FIXTURES / "valid-fail"), "--driver", "python",
                          "--baseline", str(tmp_path / "planted.json"))
    assert regressed.proc.returncode == 1
    assert "FAILED - 7 regression(s)" in regressed.proc.stdout
    gate = json.loads((regressed.report_root / "latest" / "gate.json").read_text())
    assert len(gate["regressions"]) == 7 and not gate["passed"]


def test_a_run_with_failures_keeps_the_server_log_and_links_it_from_each_cell(run_suite):
    run = run_suite("--scenarios", str(FIXTURES / "valid-fail"), "--driver", "python")
    latest = run.report_root / "latest"
    logs = list((latest / "logs").glob("server-plain-*.log"))
    assert len(logs) == 1 and logs[0].stat().st_size > 0
    assert f"href='logs/{logs[0].name}'" in (latest / "index.html").read_text()
