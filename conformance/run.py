"""One run of the suite: its id, scratch folder, report folder and options.

The controller creates it; xdist workers receive it (workerinput) so every
process shares the same servers, builds and report. The scratch folder is
deleted when the run ends, or by its janitor (conformance/janitor.py) once the
controller is gone however it ended (Ctrl-C, a crash, SIGKILL); its name
carries the controller's pid, so a later run also removes it if that pid is
gone (were the janitor killed too)."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import ConformanceError
from .servers.pids import alive
from .servers.distribution import DEFAULT_MILVUS_VERSION
from .trees import remove_tree

SCRATCH_PREFIX = "milvus-conformance-run-"


@dataclass
class RunContext:
    run_id: str
    owner_pid: int
    scratch: str
    report_dir: str
    drivers: list           # names, in column order
    sdk_requests: dict      # driver -> request ("" = manifest default)
    milvus_version: str = DEFAULT_MILVUS_VERSION
    server: str = "embedded"  # embedded | container (ignored with milvus_uri)
    milvus_uri: str = ""
    milvus_http_port: int = 0
    suite: str = "full"
    scenarios: str = ""
    full_scale: bool = False  # run the full-scale connection-limit scenarios
    spec: str = ""          # the spec page whose examples run as scenarios ("" = none)
    registry: str = ""      # the drivers' registry.yaml ("" = drivers/registry.yaml)
    background_slots: int = 4  # cells that mostly wait, run side by side per process (0: none; overlap.py)
    started: float = field(default_factory=time.time)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "RunContext":
        return cls(**data)

    @property
    def milvus_versions(self) -> "list[str]":
        """--milvus-version 2.2.16,2.3.5: every scenario runs against each."""
        return [v.strip() for v in self.milvus_version.split(",") if v.strip()]

    def column(self, driver: str, version: str) -> str:
        """A report column: the driver, and the server version when there are several."""
        return f"{driver}@{version}" if len(self.milvus_versions) > 1 else driver

    def columns(self) -> "list[tuple[str, str, str]]":
        return [(self.column(d, v), d, v) for d in self.drivers for v in self.milvus_versions]

    @property
    def scratch_path(self) -> Path:
        return Path(self.scratch)

    @property
    def report_path(self) -> Path:
        return Path(self.report_dir)


def parse_sdk_requests(values: "list[str]", drivers: "list[str]") -> dict:
    requests = {}
    for value in values:
        name, sep, request = value.partition("=")
        if not sep or not name or not request:
            raise ConformanceError(f"'{value}' is not NAME=VERSION (e.g. python=2.4.9, "
                                   f"\"python=>=2.4,<2.6\" or python=/path/to/checkout)", where="--sdk")
        if name not in drivers:
            raise ConformanceError(f"'{name}' is not a selected driver (selected: {', '.join(drivers)})",
                                   where=f"--sdk {value}")
        requests[name] = request
    return requests


def sweep_stale_scratch() -> None:
    """Remove scratch folders of runs whose controller no longer exists."""
    for path in Path(tempfile.gettempdir()).glob(SCRATCH_PREFIX + "*"):
        match = re.match(re.escape(SCRATCH_PREFIX) + r"(\d+)-", path.name)
        if not match:
            continue
        if not alive(int(match.group(1))):
            remove_tree(path, patience_seconds=0)


_janitors = {}  # scratch folder -> its janitor process


def new_scratch() -> Path:
    """A scratch folder owned by this process, with a janitor that deletes it once this process is gone."""
    path = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    _janitors[path] = subprocess.Popen(
        [sys.executable, "-m", "conformance.janitor", "--owner-pid", str(os.getpid()), str(path)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    return path


def remove_scratch(path) -> None:
    """Delete the scratch folder and stop (and reap) its janitor."""
    remove_tree(path)
    janitor = _janitors.pop(Path(path), None)
    if janitor is not None:
        janitor.terminate()
        try:
            janitor.wait(timeout=5)
        except subprocess.TimeoutExpired:
            janitor.kill()
            janitor.wait()


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)
