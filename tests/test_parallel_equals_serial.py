"""`pytest conformance -n 2` gives the same outcomes as a serial run, with the
servers shared across workers and one merged report."""

import pytest

from suite_runs import differences

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("documented_ports")]


def test_parallel_and_serial_runs_agree(run_suite):
    common = ("--driver", "python,go", "--suite", "quick")
    serial = run_suite(*common)
    parallel = run_suite(*common, "-n", "2")
    assert set(serial.outcomes()) == set(parallel.outcomes())
    assert differences(serial, parallel) == {}
    assert len(parallel.outcomes()) >= 30
    # one merged report: every cell once, the servers both workers shared listed once per profile
    assert len(parallel.results["outcomes"]) == len(set(parallel.outcomes()))
    assert set(parallel.results["servers"]) <= {"plain", "auth", "default_port", "tls", "mtls"}
