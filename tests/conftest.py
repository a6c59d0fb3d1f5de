import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from conformance.paths import REPO_ROOT, cache_dir
from suite_runs import SuiteRun

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def documented_ports():
    """For tests whose runs start servers on the documented ports 19530 and 9091, which one server at
    a time can hold: one such test at a time, across xdist workers (a file lock; xdist_group does not
    group here, pytest 9 ignores the nodeid suffix xdist 3.8 sets)."""
    with FileLock(str(cache_dir() / "tests-documented-ports.lock")):
        yield


@pytest.fixture
def run_suite(tmp_path):
    """Run `pytest conformance ...` for real (a real SDK, a real server) in a child process."""

    def run(*args, timeout=900) -> SuiteRun:
        report_root = tmp_path / "reports"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "conformance", "-q", "-p", "no:randomly",
             "--report-dir", str(report_root), *args],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=env,
        )
        return SuiteRun(proc, report_root)

    return run
