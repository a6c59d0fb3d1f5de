"""A run's scratch folder does not outlive the run: removed at its end, by its janitor
once the run's process is gone however it ended, or by the next run's sweep."""

import os
import subprocess
import sys
import time
from pathlib import Path

from conformance import run
from conformance.paths import REPO_ROOT
from conformance.run import SCRATCH_PREFIX, new_scratch, remove_scratch, sweep_stale_scratch
from conformance.servers.pids import alive


def _gone_within(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return not path.exists()


def test_the_janitor_deletes_the_folder_once_its_owner_is_gone():
    # the owner makes its scratch folder, writes into it and dies without cleaning up (a crash)
    owner = subprocess.run([sys.executable, "-c", "import os\nfrom conformance.run import new_scratch\n"
                            "path = new_scratch()\n(path / 'left.txt').write_text('x')\nprint(path)\nos._exit(3)"],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    path = Path(owner.stdout.strip())
    assert owner.returncode == 3 and path.name.startswith(SCRATCH_PREFIX), owner.stderr
    assert _gone_within(path, 10)


def test_removing_the_folder_stops_and_reaps_its_janitor():
    path = new_scratch()
    janitor = run._janitors[path]
    assert alive(janitor.pid) and path.is_dir()
    remove_scratch(path)
    assert not path.exists() and janitor.returncode is not None  # reaped: no zombie left


def test_the_sweep_removes_folders_of_runs_that_are_gone(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale, live = tmp_path / f"{SCRATCH_PREFIX}{dead.pid}-abc", tmp_path / f"{SCRATCH_PREFIX}{os.getpid()}-abc"
    stale.mkdir()
    live.mkdir()
    sweep_stale_scratch()
    assert not stale.exists() and live.exists()
