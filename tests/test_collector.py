"""Turning pytest's reports (serial or from xdist workers) into outcomes."""

from types import SimpleNamespace

from conformance.report.results import Collector
from conformance.run import RunContext


def report(when, outcome, longrepr=None, **extra):
    payload = {"scenario": {"id": "s.one", "file": "f.yaml:1"}, "driver": "python", "column": "python"}
    return SimpleNamespace(nodeid="f.yaml::s.one[python]", when=when, duration=0.5, longrepr=longrepr,
                           longreprtext=str(longrepr or ""), user_properties=[("conformance", payload)],
                           passed=outcome == "passed", failed=outcome == "failed", skipped=outcome == "skipped",
                           **extra)


def collector():
    return Collector(RunContext(run_id="r", owner_pid=1, scratch="/tmp/x", report_dir="/tmp/y",
                                drivers=["python"], sdk_requests={}))


def test_phases_become_one_outcome_each():
    cases = {
        "error": [report("setup", "failed", "driver error: gone")],
        "skip": [report("setup", "skipped", ("f", 1, "Skipped: no capability"))],
        "fail": [report("setup", "passed"), report("call", "failed", "step 1: expected success")],
        "xfail": [report("setup", "passed"), report("call", "skipped", None, wasxfail="known deviation")],
        "pass": [report("setup", "passed"), report("call", "passed"), report("teardown", "passed")],
    }
    for expected, reports in cases.items():
        c = collector()
        for r in reports:
            c.add_test_report(r)
        (entry,) = c.outcomes()
        assert entry["outcome"] == expected, (expected, entry)


def test_a_skip_decided_during_the_run_is_counted_with_its_reason():
    c = collector()
    c.add_test_report(report("setup", "passed"))
    c.add_test_report(report("call", "skipped", ("f", 1, "Skipped: limited by the environment at 19,744")))
    (entry,) = c.outcomes()
    assert entry["outcome"] == "skip" and entry["message"] == "limited by the environment at 19,744"
    assert c.summary()["python"]["skip"] == 1


def test_xdist_header_lines_are_dropped_from_messages():
    c = collector()
    c.add_test_report(report("setup", "failed", "[gw1] linux -- Python 3.11\nserver error: died"))
    assert c.outcomes()[0]["message"] == "server error: died"
