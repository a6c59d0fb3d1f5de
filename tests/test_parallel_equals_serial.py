"""`pytest conformance -n 2` gives the same outcomes as a serial run, with the
servers shared across workers and one merged report."""

import pytest

from suite_runs import agreeing_runs, messages

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("documented_ports")]


def test_parallel_and_serial_runs_agree(run_suite):
    common = ("--driver", "python,go", "--suite", "quick")
    serial, parallel, differ = agreeing_runs(lambda: run_suite(*common), lambda: run_suite(*common, "-n", "2"))
    assert set(serial.outcomes()) == set(parallel.outcomes())
    assert differ == {}, (differ, messages(serial, differ), messages(parallel, differ))
    assert len(parallel.outcomes()) >= 30
    # one merged report: every cell once, the servers both workers shared listed once per profile
    assert len(parallel.results["outcomes"]) == len(set(parallel.outcomes()))
    assert set(parallel.results["servers"]) <= {"plain", "auth", "default_port", "tls", "mtls"}


def test_cells_run_in_the_background_give_the_outcomes_of_cells_run_one_by_one(run_suite):
    """The fault scenarios (one private server, its restarts shared in lockstep by the drivers' cells)
    and the timeouts, run in the background with -n 2, against every cell in its turn (--background 0)."""
    common = ("--driver", "python,go", "--scenarios", "scenarios/faults", "-k",
              "call-after-restart or connect-while-paused or disconnect-while-stopped or blackhole")
    one_by_one, background, differ = agreeing_runs(lambda: run_suite(*common, "--background", "0"),
                                                   lambda: run_suite(*common, "-n", "2"))
    assert differ == {}, (differ, messages(one_by_one, differ), messages(background, differ))
    assert len(background.outcomes()) == 8
    timing = {o["nodeid"]: o["timing"] for o in background.results["outcomes"]}
    assert all("background" not in t for t in
               (o["timing"] for o in one_by_one.results["outcomes"]))
    # every cell ran in the background; the private-server ones two at a time, on one server
    assert all("background" in t for t in timing.values())
    shared = [t["background"]["shared_by"] for n, t in timing.items() if "blackhole" not in n]
    assert shared == [2] * 6
    assert background.results["timing"]["background_cells"] == 8
