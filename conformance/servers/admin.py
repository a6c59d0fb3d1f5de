"""Administrative setup of a server through its own API: the scenario user on an
auth server, the scenario database on a databases server. Runs a pinned pymilvus
in a cached tool environment of its own, so neither the harness nor the SDK
under test is involved."""

import json
import subprocess
import venv
from pathlib import Path

from filelock import FileLock

from ..errors import ServerStartError
from ..paths import cache_dir
from .profiles import (DATABASE_COLLECTION, DEFAULT_COLLECTION, PROFILES, SCENARIO_DATABASE, SCENARIO_PASSWORD,
                       SCENARIO_USER, Endpoint)

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

# Idempotent: a restarted server keeps its data, and the setup runs again after a restart.
_SEED_DATABASES = """
import json, sys
from pymilvus import Collection, CollectionSchema, DataType, FieldSchema, connections, db, utility
ep, database, in_db, in_default = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
schema = CollectionSchema([FieldSchema("id", DataType.INT64, is_primary=True),
                           FieldSchema("vector", DataType.FLOAT_VECTOR, dim=2)])
connections.connect("admin", host=ep["host"], port=ep["grpc_port"], timeout=30)
if database not in db.list_database(using="admin"):
    db.create_database(database, using="admin")
listed = {}
for name, collection in (("default", in_default), (database, in_db)):
    connections.connect(name, host=ep["host"], port=ep["grpc_port"], db_name=name, timeout=30)
    if not utility.has_collection(collection, using=name):
        Collection(collection, schema, using=name)
    listed[name] = utility.list_collections(using=name)
print(json.dumps(listed))
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


def seed_databases(endpoint: Endpoint) -> None:
    """Give `endpoint` the scenario database and one collection in it and one in `default`, and record them."""
    proc = subprocess.run(
        [str(_python()), "-c", _SEED_DATABASES, json.dumps(endpoint.to_json()), SCENARIO_DATABASE,
         DATABASE_COLLECTION, DEFAULT_COLLECTION],
        capture_output=True, text=True, timeout=180,
    )
    if proc.returncode != 0:
        raise ServerStartError(
            f"could not create database '{SCENARIO_DATABASE}' and its collections on {endpoint.address}: "
            f"{proc.stderr.strip().splitlines()[-1:]}", log_tail=proc.stderr[-3000:])
    endpoint.database, endpoint.database_collection = SCENARIO_DATABASE, DATABASE_COLLECTION
    endpoint.default_collection = DEFAULT_COLLECTION


def prepare_endpoint(endpoint: Endpoint) -> None:
    """What the endpoint's profile asks of a server once it is up (and again after a restart)."""
    if endpoint.auth:
        create_scenario_user(endpoint)
    if PROFILES[endpoint.profile].databases:
        seed_databases(endpoint)
