"""Prepare this machine for the harness's own tests, where it allows:

    python -m conformance.setup

a Docker engine for the container provider (conformance/servers/engine.py)
and Debian's Chromium for the report's browser check. Never fails: what
cannot be had here is said, and the tests needing it are skipped with that
reason."""

import os
import shutil
import subprocess
import sys

from .servers.engine import ensure as ensure_engine

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> str:
    return next((path for path in map(shutil.which, CHROMIUM_CANDIDATES) if path), "")


def ensure_chromium() -> str:
    if chromium():
        return f"found {chromium()}"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "not found, and installing Debian's chromium needs root and apt-get: the browser check is skipped"
    proc = subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], capture_output=True, text=True,
                          env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=1200)
    if proc.returncode != 0 or not chromium():
        return f"installing chromium failed ({proc.stderr.strip()[-200:]}): the browser check is skipped"
    return f"installed {chromium()}"


if __name__ == "__main__":
    print(f"docker engine: {ensure_engine()}")
    print(f"chromium: {ensure_chromium()}")
    sys.exit(0)
