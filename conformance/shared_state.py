"""Compute something once per run and share it between processes.

The first process (controller or xdist worker) that asks runs the function
under a file lock and stores its JSON result; every later ask, from any
process, reads it. Used for server starts and driver builds."""

import json
from pathlib import Path
from typing import Callable

from filelock import FileLock


def once(state_file: Path, compute: Callable[[], dict]) -> dict:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(state_file) + ".lock"):
        if state_file.exists():
            return json.loads(state_file.read_text())
        record = compute()
        state_file.write_text(json.dumps(record))
        return record
