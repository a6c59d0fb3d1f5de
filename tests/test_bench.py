"""The benchmark command writes its JSON (numbers are for people, not asserted: machines are noisy)."""

import json
import subprocess
import sys

import pytest

from conformance.paths import REPO_ROOT

pytestmark = pytest.mark.slow


def test_bench_writes_ratios_and_startup_times(tmp_path):
    # its own folder: the real numbers in reports/bench/latest.json are not replaced by a 20-call run
    proc = subprocess.run([sys.executable, "-m", "conformance.bench", "--drivers", "python", "--calls", "20",
                           "--out", str(tmp_path)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((tmp_path / "latest.json").read_text())
    python = data["drivers"]["python"]
    assert python["calls"] == 20 and python["harness_median_ms"] > 0 and python["sdk_median_ms"] > 0
    assert python["overhead_ratio"] == round(python["harness_median_ms"] / python["sdk_median_ms"], 3)
    assert python["overhead_vs_direct_script"] > 0  # the same calls in a plain script, no harness
    assert 0 < python["noop_step_median_ms"] < python["harness_median_ms"]  # a step with no SDK work costs less
    assert data["servers"]["embedded_s"] > 0 and data["machine"]["cpus"] >= 1
