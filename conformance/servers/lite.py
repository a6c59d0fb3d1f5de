"""A Milvus Lite server (PyPI `milvus-lite` 3.x): a separate, current implementation
of the Milvus gRPC service, run as `milvus-lite server --data-dir D --host H --port P`.

It is installed into a cached virtualenv per version, like an SDK, and owned by a
keeper like the embedded server, so stop, start, pause and the clean-up after a
crash work the same. What its command line has no option for is not emulated: a
profile needing authorization or TLS is unavailable (its scenarios are skipped with
that reason), and it has no HTTP port, so the HTTP scenarios skip on it."""

import json
import socket
import subprocess
import time
import venv
from pathlib import Path

from filelock import FileLock

from ..errors import ServerStartError, ServerUnavailable
from ..paths import cache_dir
from .embedded import READY_TIMEOUT_SECONDS, EmbeddedServer, choose_ports
from .ports import free_ports
from .profiles import Endpoint

LITE = "milvus-lite"
DEFAULT_LITE_VERSION = "3.2.2"
# milvus-lite imports pymilvus's generated gRPC stubs without declaring the dependency (its 3.2.2 wheel lists
# faiss-cpu, grpcio, numpy, pyarrow only), so its environment gets the pymilvus its users install beside it.
STUBS_PYMILVUS = "3.0.2"
NO_OPTION = "`milvus-lite server` has options --data-dir, --host, --port and --max-workers only"


def ensure_installed(version: str) -> Path:
    """The `milvus-lite` executable of that version, in a cached virtualenv of its own."""
    root = cache_dir() / "servers" / f"{LITE}-{version}"
    executable = root / "venv" / "bin" / LITE
    with FileLock(str(root) + ".lock"):
        if not (root / "ready").exists():
            venv.EnvBuilder(with_pip=True, clear=True).create(root / "venv")
            proc = subprocess.run(
                [str(root / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                 "--report", str(root / "pip-report.json"), f"{LITE}=={version}", f"pymilvus=={STUBS_PYMILVUS}"],
                capture_output=True, text=True, timeout=900)
            if proc.returncode != 0:
                reason = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
                raise ServerStartError(f"could not install {LITE} {version} from PyPI (--server {LITE}={version}): "
                                       f"{reason}", log_tail=proc.stderr[-3000:])
            (root / "ready").write_text(version)
    return executable


def installed_artifact(version: str) -> dict:
    """The milvus-lite wheel the environment was installed from, and its digest (pip's report), or {}."""
    report = cache_dir() / "servers" / f"{LITE}-{version}" / "pip-report.json"
    try:
        for item in json.loads(report.read_text()).get("install", []):
            if (item.get("metadata") or {}).get("name") == LITE:
                info = item.get("download_info") or {}
                sha = ((info.get("archive_info") or {}).get("hashes") or {}).get("sha256")
                return {"file": info.get("url", "").rsplit("/", 1)[-1], **({"digest": f"sha256:{sha}"} if sha else {})}
    except (OSError, ValueError):
        pass
    return {}


class LiteServer(EmbeddedServer):
    """One `milvus-lite server` process for a profile, on free loopback ports."""

    provider = LITE
    fixed_port = 0  # a restart comes back on the port the clients know

    def again_at(self, grpc_port: int, http_port: int) -> "LiteServer":
        """The same server started again at the address its clients know (the fault scenarios' `start`)."""
        server = LiteServer(self.profile, self.workdir, self.log_path, self.owner_pid, version=self.version)
        server.fixed_port = grpc_port
        return server

    def start(self) -> Endpoint:
        profile = self.profile
        if profile.auth:
            raise ServerUnavailable(f"needs authorization, which {LITE} {self.version} has no option for ({NO_OPTION})")
        if profile.tls_mode:
            raise ServerUnavailable(f"needs TLS, which {LITE} {self.version} has no option for ({NO_OPTION})")
        executable = ensure_installed(self.version)
        last_error = None
        for _ in range(3):  # a port picked free can be taken before the server binds it
            port = self.fixed_port or (choose_ports(profile)["proxy_port"] if profile.grpc_port else free_ports(1)[0])
            (self.workdir / "run").mkdir(parents=True, exist_ok=True)
            self._start_keeper([str(executable), "server", "--data-dir", str(self.workdir / "data"),
                                "--host", "127.0.0.1", "--port", str(port)],
                               f"{LITE} {self.version} port {port} profile {profile.name}")
            try:
                self._wait_listening(port)
                self._check_own_ports({"proxy_port": port})
            except ServerStartError as error:
                self.stop()
                last_error = error
                if "address already in use" in error.log_tail.lower():
                    continue
                raise
            return Endpoint(profile=profile.name, provider=LITE, host="127.0.0.1", grpc_port=port, http_port=0,
                            version=self.version, log_path=str(self.log_path),
                            extra={"keeper_pid": self.keeper.pid, "server_pid": self.server_pid(),
                                   "implementation": LITE, "stubs_pymilvus": STUBS_PYMILVUS,
                                   "artifact": installed_artifact(self.version)})
        raise last_error

    def _wait_listening(self, port: int) -> None:
        """Ready once its gRPC port accepts connections (it has no health endpoint of its own)."""
        limit = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < limit:
            if self.keeper.poll() is not None:
                raise ServerStartError(f"{LITE} {self.version} exited during start-up with status "
                                       f"{self.keeper.returncode}; its log is {self.log_path}",
                                       log_tail=self.log_tail())
            with socket.socket() as sock:
                sock.settimeout(1)
                if sock.connect_ex(("127.0.0.1", port)) == 0 and self.server_pid():
                    return
            time.sleep(0.2)
        self.stop()
        raise ServerStartError(f"{LITE} {self.version} did not listen on port {port} within "
                               f"{READY_TIMEOUT_SECONDS} s; its log is {self.log_path}", log_tail=self.log_tail())
