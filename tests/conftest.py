import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.paths import REPO_ROOT

FIXTURES = Path(__file__).parent / "fixtures"


class SuiteRun:
    def __init__(self, proc, report_root: Path):
        self.proc = proc
        self.report_root = report_root

    @property
    def results(self) -> dict:
        return json.loads((self.report_root / "latest" / "results.json").read_text())

    def outcomes(self) -> "dict[str, str]":
        return {f"{o['scenario']['id']}[{o['driver']}]": o["outcome"] for o in self.results["outcomes"]}


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
