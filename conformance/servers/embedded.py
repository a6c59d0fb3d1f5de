"""Start one real Milvus standalone (from the PyPI `milvus` package) for a profile.

Each instance gets its own ports, etcd config (so the embedded etcd does not
take the fixed peer port 2380), MILVUS_RUN_DIR and scratch folder, so several
run side by side. A keeper process owns it (see keeper.py).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from ..errors import ServerStartError, ServerUnavailable
from . import distribution, tls
from .pids import alive
from .ports import describe_listener, free_ports, listener_pid, wait_for_port
from .profiles import Endpoint, Profile

READY_TIMEOUT_SECONDS = 180
START_ATTEMPTS = 3  # new ports each time: a port picked free can be taken before Milvus binds it
CRASH_STATUSES = (134, 139, -6, -11)  # SIGABRT, SIGSEGV (as the keeper or Popen report them)
GO_CRASH_DUMP = re.compile(r"^goroutine \d+ \[", re.M)  # what a Go panic or fatal error prints
TEMPLATE_KEY = re.compile(r"\{\{\s*(\w+)\s*(?:\(\w+\))?\s*(?::\s*([^}]*?))?\s*\}\}")
COMPONENT_PORT_KEYS = (
    "proxy_port", "proxy_internal_port", "root_coord_port", "query_coord_port", "query_node_port",
    "index_coord_port", "index_node_port", "data_coord_port", "data_node_port", "etcd_port",
)
COMPONENTS_WITH_IP = ("rootCoord", "proxy", "queryCoord", "queryNode", "indexCoord", "indexNode",
                      "dataCoord", "dataNode")


class EmbeddedServer:
    """A Milvus process owned by a keeper; `start()` returns when /healthz says OK."""

    def __init__(self, profile: Profile, workdir: Path, log_path: Path, owner_pid: int,
                 version: str = distribution.DEFAULT_MILVUS_VERSION):
        self.profile = profile
        self.workdir = workdir
        self.log_path = log_path
        self.owner_pid = owner_pid
        self.version = version
        self.keeper = None

    # -- configuration ----------------------------------------------------
    def _choose_ports(self) -> dict:
        return choose_ports(self.profile)

    def _write_config(self, dist: distribution.Distribution, ports: dict) -> Path:
        for sub in ("configs", "logs", "data", "run"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        return write_config(dist, ports, self.profile.auth, self.workdir / "configs",
                            ServerPaths.under(self.workdir), tls_mode=self.profile.tls_mode)

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> Endpoint:
        dist = distribution.ensure(self.version)
        last_error, crashes = None, 0
        for _ in range(START_ATTEMPTS):
            ports = self._choose_ports()
            self._write_config(dist, ports)
            self._spawn(dist, ports)
            try:
                self._wait_ready(ports["http_port"])
                self._check_own_ports(ports)
            except ServerStartError as error:
                self.stop()
                last_error = error
                again, crashes = worth_another_start(error, crashes, self.log_path)
                if again:
                    continue
                raise
            return Endpoint(
                profile=self.profile.name, provider="embedded", host="127.0.0.1",
                grpc_port=ports["proxy_port"], http_port=ports["http_port"], version=self.version,
                auth=self.profile.auth, log_path=str(self.log_path),
                **tls_endpoint_fields(self.profile, self.workdir / "configs"),
                extra={"keeper_pid": self.keeper.pid, "server_pid": self.server_pid(),
                       "artifact": {"file": f"milvus {self.version} (PyPI milvus, bin/milvus)",
                                    "digest": distribution.binary_digest(dist)}},
            )
        raise last_error

    def _spawn(self, dist: distribution.Distribution, ports: dict) -> None:
        env = dict(os.environ)
        env.update(
            DEPLOY_MODE="STANDALONE",
            METRICS_PORT=str(ports["http_port"]),
            MILVUS_RUN_DIR=str(self.workdir / "run"),
            LD_LIBRARY_PATH=f"{dist.bin_dir}:{env.get('LD_LIBRARY_PATH', '')}",
        )
        self._start_keeper([str(dist.executable), "run", "standalone"],
                           f"milvus {self.version} profile {self.profile.name} ports {json.dumps(ports)}", env=env,
                           # Milvus 2.3 writes this outside MILVUS_RUN_DIR and TMPDIR.
                           remove_after=["/tmp/milvus/server_id_{pid}"])

    def _start_keeper(self, command: list, banner: str, env=None, remove_after=()) -> None:
        """The server `command`, owned by a keeper (keeper.py), its output appended to the log under a banner."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"--- {banner}\n".encode())
        self.keeper = subprocess.Popen(
            [sys.executable, "-m", "conformance.servers.keeper", "--owner-pid", str(self.owner_pid),
             "--workdir", str(self.workdir), "--cwd", str(self.workdir), "--log", str(self.log_path),
             "--pid-file", str(self.workdir / "run" / "server.pid"),
             *[arg for path in remove_after for arg in ("--remove-after", path)], "--", *command],
            env=env, cwd=str(Path(__file__).resolve().parents[2]), start_new_session=True,
            stdin=subprocess.DEVNULL,
        )

    def _check_own_ports(self, ports: dict) -> None:
        """Its gRPC and HTTP ports are its own: a port picked free can be taken by another server starting at
        the same moment, and then /healthz and the SDK's calls reach that server instead (seen: a pause of
        this one that the SDK never saw). Another start, on new ports, follows."""
        for key in ("proxy_port", "http_port"):
            if key not in ports:  # a server without that port (Milvus Lite has no HTTP port)
                continue
            holder = listener_pid(ports[key])
            if holder is not None and holder != self.server_pid():
                found = f"port {ports[key]} ({key}) is held by pid {holder}, not by this server: address already in use"
                raise ServerStartError(found, log_tail=f"{self.log_tail()}\n--- {found}")

    def server_pid(self) -> int:
        try:
            return int((self.workdir / "run" / "server.pid").read_text())
        except (OSError, ValueError):
            return 0

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def _wait_ready(self, http_port: int) -> None:
        what = f"Milvus {self.version} (profile '{self.profile.name}')"

        def check_alive():
            if self.keeper.poll() is not None:
                log_tail = self.log_tail()
                raise ServerStartError(f"{what} exited during start-up with status {self.keeper.returncode}; "
                                       f"its log is {self.log_path}", log_tail=log_tail,
                                       crashed=crashed(self.keeper.returncode, log_tail))

        wait_healthy(f"http://127.0.0.1:{http_port}/healthz", what, check_alive, self.log_path, self.log_tail)

    def stop(self) -> None:
        stop_keeper(self.keeper.pid if self.keeper else 0)
        if self.keeper:
            try:
                self.keeper.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass


def choose_ports(profile: Profile) -> dict:
    """Free loopback ports for every component, the etcd peer and the HTTP (metrics) port;
    the documented ones when the profile asks for them (ServerUnavailable if taken)."""
    ports = dict(zip(COMPONENT_PORT_KEYS + ("etcd_peer_port", "http_port"), free_ports(12)))
    # A profile on the documented ports needs exactly those ports.
    for key, wanted in (("proxy_port", profile.grpc_port), ("http_port", profile.http_port)):
        if wanted is None:
            continue
        if not wait_for_port(wanted):  # a server of an ended run is waited for, briefly; nothing else is
            holder = describe_listener(wanted)
            raise ServerUnavailable(
                f"profile '{profile.name}' needs port {wanted}, which is taken"
                f"{' by ' + holder if holder else ''}; scenarios needing it are skipped"
            )
        ports[key] = wanted
    return ports


@dataclass(frozen=True)
class ServerPaths:
    """The folders as the Milvus process sees them: the host's for an embedded server,
    the container's own for a containerized one. `logs` and `data` must exist at start."""

    configs: str
    logs: str
    data: str

    @classmethod
    def under(cls, root: Path) -> "ServerPaths":
        return cls(str(root / "configs"), str(root / "logs"), str(root / "data"))


TLS_FOLDER = "tls"  # under the configs folder, so a container sees it through the same mount


def tls_endpoint_fields(profile: Profile, configs: Path) -> dict:
    """The Endpoint's TLS fields for a server whose configs folder (host side) is `configs`."""
    if not profile.tls_mode:
        return {}
    return {"tls_mode": profile.tls_mode, **tls.Certificates(configs / TLS_FOLDER).endpoint_fields()}


def write_config(dist: distribution.Distribution, ports: dict, auth: bool, out_dir: Path,
                 seen_as: ServerPaths, tls_mode: int = 0) -> Path:
    """Render milvus.yaml (from the distribution's template), etcd.yaml and glog.conf into
    `out_dir`, which the server sees as `seen_as.configs`; returns milvus.yaml's path.
    With `tls_mode` (1 one-way, 2 two-way) the certificates are made in `out_dir`/tls
    (tls.py; kept when already there) and the gRPC port serves TLS."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(dist.glog_conf, out_dir / "glog.conf")
    logs, data, configs = (PurePosixPath(p) for p in (seen_as.logs, seen_as.data, seen_as.configs))
    values = {
        **{key: ports[key] for key in COMPONENT_PORT_KEYS},
        "etcd_log_level": "warn",
        "etcd_log_path": str(logs / "etcd.log"),
        "etcd_data_dir": str(data / "etcd"),
        "local_storage_dir": str(data),
        "rocksmq_data_dir": str(data / "rocksmq"),
        "system_log_path": "",
        "authorization_enabled": "true" if auth else "false",
        "tls_mode": 0,
        "server_pem_path": "server.pem",
        "server_key_path": "server.key",
        "ca_pem_path": "ca.pem",
    }
    if tls_mode:
        certs = tls.ensure_certificates(out_dir / TLS_FOLDER)
        seen = configs / TLS_FOLDER
        values.update(tls_mode=tls_mode, server_pem_path=str(seen / certs.server_cert.name),
                      server_key_path=str(seen / certs.server_key.name), ca_pem_path=str(seen / certs.ca_cert.name))
    template = dist.template.read_text()
    if tls_mode and not {"tls_mode", "server_pem_path"} <= {m.group(1) for m in TEMPLATE_KEY.finditer(template)}:
        raise ServerUnavailable(f"Milvus {dist.version}'s configuration template has no TLS settings "
                                f"(tls_mode, server_pem_path): the TLS profiles cannot exist with it")
    text = TEMPLATE_KEY.sub(lambda m: str(values.get(m.group(1), m.group(2) or "")), template)
    config = yaml.safe_load(text)
    # Internal components talk over loopback only (the machine's other addresses are off limits).
    for component in COMPONENTS_WITH_IP:
        if isinstance(config.get(component), dict):
            config[component]["ip"] = "127.0.0.1"
    peer = f"http://127.0.0.1:{ports['etcd_peer_port']}"
    client = f"http://127.0.0.1:{ports['etcd_port']}"
    (out_dir / "etcd.yaml").write_text(yaml.safe_dump({
        "name": "default",
        "listen-peer-urls": peer,
        "initial-advertise-peer-urls": peer,
        "initial-cluster": f"default={peer}",
        "listen-client-urls": client,
        "advertise-client-urls": client,
    }))
    config["etcd"].setdefault("config", {})["path"] = str(configs / "etcd.yaml")
    config["etcd"]["endpoints"] = f"127.0.0.1:{ports['etcd_port']}"
    config.setdefault("log", {})["level"] = "warn"
    milvus_yaml = out_dir / "milvus.yaml"
    milvus_yaml.write_text(yaml.safe_dump(config, sort_keys=False))
    return milvus_yaml


def crashed(status, log_tail: str) -> bool:
    """Died by itself: killed by a signal, or a Go runtime crash (a panic or fatal error, its goroutines
    dumped). Milvus 2.3.5 does so now and then during start-up on a loaded machine (seen: SIGABRT,
    status 134, for the embedded server; a goroutine dump in a container)."""
    return status in CRASH_STATUSES or bool(GO_CRASH_DUMP.search(log_tail))


def worth_another_start(error: ServerStartError, crashes: int, log_path) -> "tuple[bool, int]":
    """(start again on new ports?, crashes so far) after a failed start: a port taken meanwhile, always
    (START_ATTEMPTS bounds it); a first crash, once, noted in the log; a second crash is the error."""
    if "address already in use" in error.log_tail:
        return True, crashes
    if error.crashed and not crashes:
        with open(log_path, "ab") as log:
            log.write(f"--- crashed during start-up ({error}); starting once more\n".encode())
        return True, crashes + 1
    return False, crashes


def tail(path, lines: int = 40) -> str:
    """The last lines of a log file ('' when there is none)."""
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_healthy(url: str, what: str, check_alive, log_path, log_tail) -> None:
    """Poll /healthz until it answers OK; check_alive() raises ServerStartError when the server died."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        check_alive()
        if healthy(url):
            return
        time.sleep(0.25)
    raise ServerStartError(f"{what} was not healthy at {url} after {READY_TIMEOUT_SECONDS} s; its log is {log_path}",
                           log_tail=log_tail())


def healthy(url: str, timeout: float = 2) -> bool:
    """Milvus's management API answers OK (/healthz on the HTTP port)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return b"OK" in response.read()
    except (urllib.error.URLError, OSError):
        return False


def stop_keeper(pid: int, wait_seconds: float = 30) -> None:
    """Ask a keeper (possibly started by another process) to stop its server."""
    if not pid:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:  # reap it if it is our child; otherwise wait for it to vanish (or turn zombie)
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if not alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
