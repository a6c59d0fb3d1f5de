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
from .servers.lite import DEFAULT_LITE_VERSION, LITE
from .trees import remove_tree

SCRATCH_PREFIX = "milvus-conformance-run-"


@dataclass
class RunContext:
    run_id: str
    owner_pid: int
    scratch: str
    report_dir: str
    drivers: list           # names, in column order
    sdk_requests: dict      # column -> SDK request ("" = manifest default)
    sdk_instances: dict = field(default_factory=dict)  # version column -> its driver (sdk_versions.py)
    milvus_version: str = DEFAULT_MILVUS_VERSION
    server: str = "embedded"  # embedded | container, and milvus-lite[=VERSION]; comma-separated (not with milvus_uri)
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

    @property
    def milvus_provider(self) -> str:
        """How Milvus servers are provided: embedded or container (--server)."""
        return next((p for p in self.server_kinds if not p.startswith(LITE)), "embedded")

    @property
    def server_kinds(self) -> "list[str]":
        return [p.strip() for p in self.server.split(",") if p.strip()]

    @property
    def server_targets(self) -> "list[str]":
        """The servers every scenario runs against, in column order: each Milvus version of the run's
        provider, and `milvus-lite-<version>` for each --server milvus-lite[=VERSION]."""
        targets = []
        for kind in self.server_kinds or ["embedded"]:
            if kind.startswith(LITE):
                targets.append(f"{LITE}-{kind.partition('=')[2] or DEFAULT_LITE_VERSION}")
            else:
                targets += self.milvus_versions
        return list(dict.fromkeys(targets))

    def column(self, driver: str, target: str) -> str:
        """A report column: the driver (or its SDK version column), and the server when there are several."""
        return f"{driver}@{target}" if len(self.server_targets) > 1 else driver

    def columns(self) -> "list[tuple[str, str, str]]":
        return [(self.column(d, t), d, t) for d in self.drivers for t in self.server_targets]

    @property
    def scratch_path(self) -> Path:
        return Path(self.scratch)

    @property
    def report_path(self) -> Path:
        return Path(self.report_dir)


def check_server_option(value: str) -> None:
    """--server: embedded or container (at most one of them), and milvus-lite[=VERSION]."""
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in ("embedded", "container") and k.partition("=")[0] != LITE]
    if unknown or not kinds:
        raise ConformanceError(f"'{unknown[0] if unknown else value}' is not a server kind (embedded, container, "
                               f"{LITE} or {LITE}=VERSION)", where=f"--server {value}")
    if "embedded" in kinds and "container" in kinds:
        raise ConformanceError("Milvus servers come either embedded or in containers, not both in one run",
                               where=f"--server {value}")


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
