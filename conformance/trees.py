"""Deleting a folder whatever is in it. Standard library only: the janitor uses it too."""

import os
import shutil
import time


def _writable_then_retry(function, name, _):
    """Read-only entries (Go's module cache makes its files and folders read-only) are made writable,
    then removed."""
    try:
        os.chmod(os.path.dirname(name), 0o700)
        os.chmod(name, 0o700)
        function(name)
    except OSError:
        pass


def remove_tree(path, patience_seconds: float = 10) -> None:
    """Delete `path`; a process that still writes there as it ends (a build the run started, killed at
    Ctrl-C) is outwaited for a few seconds."""
    deadline = time.monotonic() + patience_seconds
    while True:
        shutil.rmtree(path, onerror=_writable_then_retry)
        if not os.path.lexists(path) or time.monotonic() > deadline:
            return
        time.sleep(0.5)
