"""Administrative setup of a server (creating the scenario user on an auth
server). Runs a pinned pymilvus in a cached tool environment of its own, so
neither the harness nor the SDK under test is involved."""

import json
import subprocess
import venv
from pathlib import Path

from filelock import FileLock

from ..errors import ServerStartError
from ..paths import cache_dir
from .profiles import SCENARIO_PASSWORD, SCENARIO_USER, Endpoint

ADMIN_PYMILVUS = "2.5.18"

_CREATE_USER = """
import json, sys
from pymilvus import connections, utility
ep = json.loads(sys.argv[1])
connections.connect("admin", host=ep["host"], port=ep["grpc_port"], user=ep["root_user"],
                    password=ep["root_password"], timeout=30)
if ep["user"] not in utility.list_usernames(using="admin"):
    utility.create_user(ep["user"], ep["password"], using="admin")
print(json.dumps(list(utility.list_usernames(using="admin"))))
"""


def _python() -> Path:
    root = cache_dir() / "tools" / f"admin-pymilvus-{ADMIN_PYMILVUS}"
    python = root / "venv" / "bin" / "python"
    with FileLock(str(root) + ".lock"):
        if not (root / "ready").exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(root / "venv")
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                 f"pymilvus=={ADMIN_PYMILVUS}"],
                check=True, capture_output=True, timeout=900,
            )
            (root / "ready").write_text(ADMIN_PYMILVUS)
    return python


def create_scenario_user(endpoint: Endpoint) -> None:
    """Give `endpoint` the account the scenarios use (through root) and record it."""
    endpoint.user, endpoint.password = SCENARIO_USER, SCENARIO_PASSWORD
    proc = subprocess.run(
        [str(_python()), "-c", _CREATE_USER, json.dumps(endpoint.to_json())],
        capture_output=True, text=True, timeout=120,
    )
    if proc.returncode != 0:
        raise ServerStartError(
            f"could not create user '{SCENARIO_USER}' through the root account on "
            f"{endpoint.address}: {proc.stderr.strip().splitlines()[-1:]}",
            log_tail=proc.stderr[-3000:],
        )
