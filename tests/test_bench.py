"""The benchmark command writes its JSON (numbers are for people, not asserted: machines are noisy)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conformance.paths import REPO_ROOT

pytestmark = pytest.mark.slow


def test_bench_writes_ratios_per_workload_and_startup_times(tmp_path):
    # its own folder: the real numbers in reports/bench/latest.json are not replaced by a short run
    scratch = tmp_path / "tmp"  # where the bench makes its temporary folders
    scratch.mkdir()
    proc = subprocess.run([sys.executable, "-m", "conformance.bench", "--drivers", "python", "--calls", "20",
                           "--connect-calls", "5", "--rounds", "2", "--out", str(tmp_path)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "TMPDIR": str(scratch)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not list(scratch.iterdir())  # nothing the run made is left behind
    data = json.loads((tmp_path / "latest.json").read_text())
    python = data["drivers"]["python"]
    assert set(python["workloads"]) == set(data["workloads"]) == {"server_version", "connect_disconnect"}
    for name, workload in python["workloads"].items():
        assert len(workload["rounds"]) == 2, name  # harness and plain program in turn, twice
        for entry in workload["rounds"]:  # each round's ratio is its own two halves'
            assert entry["ratio"] == round(entry["harness_median_ms"] / entry["direct_median_ms"], 3), name
        ratios = [entry["ratio"] for entry in workload["rounds"]]
        assert workload["overhead_vs_direct_range"] == [min(ratios), max(ratios)], name
        assert workload["within_target"] == (workload["overhead_vs_direct"] <= data["overhead_target"]), name
        assert workload["harness_cpu_us_per_step"] > 0, name
        assert workload["overhead_vs_sdk"] == round(workload["harness_median_ms"] / workload["sdk_median_ms"], 3)
    # a connect + disconnect pair costs more than one server_version call, through the harness and without
    assert python["workloads"]["connect_disconnect"]["direct_median_ms"] > \
        python["workloads"]["server_version"]["direct_median_ms"]
    assert 0 < python["noop_step_median_ms"] < python["workloads"]["server_version"]["harness_median_ms"]
    assert python["one_at_a_time_median_ms"] > 0
    assert data["servers"]["embedded_s"] > 0 and data["machine"]["cpus"] >= 1


def test_ctrl_c_keeps_what_was_measured_and_leaves_nothing_behind(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "conformance.bench", "--drivers", "python", "--calls", "200",
                             "--rounds", "20", "--out", str(tmp_path)], cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(scratch)})
    time.sleep(25)  # somewhere in the middle: the server is up, the python driver being measured
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    data = json.loads((tmp_path / "latest.json").read_text())
    assert "Ctrl-C" in data["interrupted"] and "stopped by Ctrl-C" in err
    assert data["servers"]["embedded_s"] > 0  # measured before the interruption: kept
    assert not list(scratch.iterdir())  # no server folder, driver log or scratch folder left


@pytest.mark.usefixtures("documented_ports")  # the full suite's default_port scenarios hold 19530 and 9091
def test_bench_suites_break_the_full_suite_down_and_compare_it_with_the_background_off(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.run([sys.executable, "-m", "conformance.bench", "--drivers", "python", "--only-suites",
                           "--out", str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "TMPDIR": str(scratch)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not list(scratch.iterdir())
    suites = json.loads((tmp_path / "latest.json").read_text())["suites"]
    assert suites["drivers"] == ["python"]
    for name in ("quick", "full", "full_one_by_one"):
        run = suites[name]
        assert run["cells"] > 0 and run["outcomes"], name
        timing = run["breakdown"]
        assert run["wall_s"] >= timing["wall_s"] > 0, name  # from outside: start-up and shutdown on top
        assert timing["items_s"] + timing["idle_s"] == pytest.approx(timing["capacity_s"], abs=0.5), name
    assert suites["full"]["breakdown"]["background_cells"] > 0
    assert suites["full_one_by_one"]["breakdown"]["background_cells"] == 0
    assert suites["full_same_outcomes_as_one_by_one"]["different"] == {}
    assert suites["full_speedup_from_background"] == round(
        suites["full_one_by_one"]["wall_s"] / suites["full"]["wall_s"], 2)
