"""Start one Milvus standalone in a Docker container for a profile (the `container` provider).

The same contract as EmbeddedServer: `start()` returns the Endpoint once
/healthz says OK, `stop()` removes everything. Each container:

- runs an image from image.py (built here from the PyPI `milvus` package, no
  registry; or an image reference such as milvusdb/milvus:v2.3.5);
- uses the host's network only (`--network host`: the default bridge's
  172.17.x addresses are off limits here) on ports picked free, with the
  configuration embedded.py renders (own ports, own etcd config) mounted
  read-only at /milvus/configs. A foreign image keeps its own milvus.yaml and
  gets the same settings as environment overrides (ETCD_USE_EMBED, PROXY_PORT,
  ...), the way the official standalone script configures it;
- keeps its data in its own filesystem (/var/lib/milvus), so removing it
  leaves nothing on the host;
- has `nofile` as high as this process may go, and the labels
  milvus-conformance.run / .owner (the owner pid), .owner-start and .host, so
  `sweep_stale_containers()` can remove what a dead run left;
- is guarded by a watcher process (`python -m conformance.servers.container
  watch ...`, in a session of its own, like keeper.py for processes) that
  copies its log to `log_path` and removes it (and the scratch folder) when
  told to (SIGTERM/SIGINT: the harness's normal stop), when the owner process
  is gone (Ctrl-C, crash, SIGKILL of the harness), or when the server exits by
  itself (not after `stop_server()`, which is meant to be followed by
  `start_server()`). The endpoint's `extra.keeper_pid` is the watcher's pid, so
  ServerPool's liveness check and `stop_keeper()` work unchanged.

Fault helpers for scenarios: pause(), resume() (SIGSTOP-like freeze of every
process in the container), stop_server(), start_server(); any process can get a
handle on a running server with `ContainerServer.attach(endpoint)`.
"""

import argparse
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

from ..errors import ConformanceError, ServerStartError
from . import distribution
from .embedded import (COMPONENTS_WITH_IP, TLS_FOLDER, ServerPaths, choose_ports, crashed, stop_keeper, tail,
                       tls_endpoint_fields, wait_healthy, worth_another_start, write_config)
from .image import CONFIGS_DIR, DATA_DIR, LOGS_DIR, Image, ensure_image
from .pids import alive
from .profiles import PROFILES, Endpoint, Profile

START_ATTEMPTS = 3  # new ports each time, as for the embedded server
STOP_TIMEOUT_SECONDS = 10  # stop_server(): SIGTERM, then SIGKILL after this
WATCH_POLL_SECONDS = 0.5
LABEL = "milvus-conformance"
LABEL_RUN = f"{LABEL}.run"
LABEL_OWNER = f"{LABEL}.owner"
LABEL_OWNER_START = f"{LABEL}.owner-start"
LABEL_HOST = f"{LABEL}.host"
LABEL_PROFILE = f"{LABEL}.profile"
FOREIGN_CONF_DIR = "/milvus/conformance"  # where a foreign image sees our etcd.yaml
COMPONENT_PORT_ENV = {  # milvus.yaml keys as Milvus's environment overrides spell them
    "proxy_port": "PROXY_PORT", "proxy_internal_port": "PROXY_INTERNALPORT",
    "root_coord_port": "ROOTCOORD_PORT", "query_coord_port": "QUERYCOORD_PORT",
    "query_node_port": "QUERYNODE_PORT", "index_coord_port": "INDEXCOORD_PORT",
    "index_node_port": "INDEXNODE_PORT", "data_coord_port": "DATACOORD_PORT", "data_node_port": "DATANODE_PORT",
}


# -- the engine -------------------------------------------------------------
def docker_client(timeout: int = 120):
    """A client of the Docker engine (DOCKER_HOST or the local socket), or a one-paragraph error."""
    try:
        import docker
    except ImportError as exc:
        raise ConformanceError("the container provider needs the Python package 'docker' "
                               "(python -m pip install docker)", where="--server container") from exc
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
        return client
    except docker.errors.DockerException as exc:
        raise ConformanceError(
            f"no Docker engine is reachable ({exc}); start one (as root: `dockerd --bridge=none "
            f"--iptables=false &`), point DOCKER_HOST at one, or use the embedded provider",
            where="--server container",
        ) from exc


def engine_unavailable_reason() -> str:
    """'' when a Docker engine answers; otherwise why not (for skips)."""
    try:
        docker_client(timeout=10).close()
        return ""
    except ConformanceError as exc:
        return str(exc)


def nofile_limit() -> int:
    """The highest open-files limit this process may give a container."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 1048576 if hard == resource.RLIM_INFINITY else hard


def host_id() -> str:
    """Which machine (and pid namespace, roughly) owner pids in labels refer to."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}/{boot}"


def process_start(pid: int) -> str:
    """The start time of `pid` (clock ticks since boot): tells a live owner from a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _alive(pid: int, start: str = "") -> bool:
    if not alive(pid):
        return False
    return not start or not process_start(pid) or process_start(pid) == start


def container_of_ended_run(pid: int) -> bool:
    """Whether `pid` runs in a container of this suite whose owner is gone (its watcher removes it)."""
    try:
        cgroup = Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return False
    match = re.search(r"(?:docker[-/])([0-9a-f]{64})", cgroup)
    if not match:
        return False
    try:
        labels = docker_client(timeout=5).containers.get(match.group(1)).labels
    except Exception:  # no engine, no such container: not one we know to be ending
        return False
    if LABEL_OWNER not in labels or labels.get(LABEL_HOST, host_id()) != host_id():
        return False
    try:
        return not _alive(int(labels[LABEL_OWNER]), labels.get(LABEL_OWNER_START, ""))
    except ValueError:
        return False


def sweep_stale_containers(client=None) -> list:
    """Remove the containers of runs whose owner process is gone; returns their names."""
    client = client or docker_client()
    removed = []
    here = host_id()
    for container in client.containers.list(all=True, filters={"label": LABEL_OWNER}):
        labels = container.labels
        if labels.get(LABEL_HOST, here) != here:
            continue  # another machine's run, on a shared engine
        try:
            owner = int(labels.get(LABEL_OWNER, "0"))
        except ValueError:
            owner = 0
        if owner and _alive(owner, labels.get(LABEL_OWNER_START, "")):
            continue
        _remove(client, container.id)
        removed.append(container.name)
    return removed


def _remove(client, container_id: str) -> None:
    """Remove a container (and anonymous volumes), whatever its state; quiet when it is gone."""
    import docker

    for _ in range(3):
        try:
            state = client.api.inspect_container(container_id)["State"]
            if state.get("Paused"):
                client.api.unpause(container_id)
            client.api.remove_container(container_id, force=True, v=True)
            return
        except docker.errors.NotFound:
            return
        except docker.errors.APIError:  # e.g. "removal already in progress": look again
            time.sleep(0.5)
    try:
        client.api.remove_container(container_id, force=True, v=True)
    except docker.errors.NotFound:
        pass


# -- the provider -------------------------------------------------------------
class ContainerServer:
    """A Milvus container guarded by a watcher; `start()` returns when /healthz says OK."""

    provider = "container"

    def __init__(self, profile: Profile, workdir: Path, log_path: Path, owner_pid: int,
                 version: str = distribution.DEFAULT_MILVUS_VERSION, config_mode: Optional[str] = None):
        self.profile = profile
        self.workdir = Path(workdir)
        self.log_path = Path(log_path)
        self.owner_pid = owner_pid
        self.version = version
        self.config_mode = config_mode  # "file" (render milvus.yaml) or "env"; None: by image
        self.keeper = None  # the watcher (a Popen, when this process started it)
        self.keeper_pid = 0
        self.container_id = ""
        self.container_name = ""
        self.ports: dict = {}
        self.image: Optional[Image] = None
        self.timings: dict = {}
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = docker_client()
        return self._client

    @classmethod
    def attach(cls, endpoint: Endpoint) -> "ContainerServer":
        """A handle on a server another process started (for pause/resume/stop_server/start_server)."""
        extra = endpoint.extra
        server = cls(PROFILES.get(endpoint.profile, Profile(endpoint.profile, "")), Path(extra["workdir"]),
                     Path(endpoint.log_path), int(extra.get("owner_pid", 0)), endpoint.version)
        server.container_id = extra["container_id"]
        server.container_name = extra.get("container_name", "")
        server.keeper_pid = int(extra.get("keeper_pid", 0))
        server.ports = {"proxy_port": endpoint.grpc_port, "http_port": endpoint.http_port}
        return server

    # -- lifecycle -----------------------------------------------------------
    def start(self) -> Endpoint:
        began = time.monotonic()
        client = self.client
        sweep_stale_containers(client)
        self.image = ensure_image(self.version, client)
        self.timings["image_build_seconds"] = round(self.image.built_seconds, 2)
        mode = self.config_mode or ("file" if self.image.local else "env")
        last_error, crashes = None, 0
        for _ in range(START_ATTEMPTS):
            self.ports = choose_ports(self.profile)
            started = time.monotonic()
            try:
                self._create(mode)
                self._spawn_watcher()
                self._start_container()
                self._wait_ready()
            except ServerStartError as error:
                self.stop()
                last_error = error
                again, crashes = worth_another_start(error, crashes, self.log_path)
                if again:
                    continue
                raise
            except BaseException:  # no container, watcher or scratch folder outlives a failed start
                self.stop()
                raise
            self.timings["start_to_healthy_seconds"] = round(time.monotonic() - started, 2)
            self.timings["total_seconds"] = round(time.monotonic() - began, 2)
            return self.endpoint(mode)
        raise last_error

    def endpoint(self, mode: str = "") -> Endpoint:
        from .image import describe

        state = self.client.api.inspect_container(self.container_id)["State"]
        return Endpoint(
            profile=self.profile.name, provider=self.provider, host="127.0.0.1",
            grpc_port=self.ports["proxy_port"], http_port=self.ports["http_port"],
            version=self.image.version if self.image else self.version, auth=self.profile.auth,
            log_path=str(self.log_path), **tls_endpoint_fields(self.profile, self.workdir / "configs"),
            extra={
                "keeper_pid": self.keeper_pid, "server_pid": state.get("Pid", 0),
                "container_id": self.container_id, "container_name": self.container_name,
                **(describe(self.image, self.client) if self.image else {}),
                "config_mode": mode, "network": "host", "nofile": nofile_limit(),
                "workdir": str(self.workdir), "owner_pid": self.owner_pid,
                "docker_host": os.environ.get("DOCKER_HOST", ""), **self.timings,
            },
        )

    def _create(self, mode: str) -> None:
        import docker

        conf = self.workdir / "configs"
        if conf.exists():
            shutil.rmtree(conf)
        (self.workdir / "run").mkdir(parents=True, exist_ok=True)
        environment = {"DEPLOY_MODE": "STANDALONE", "METRICS_PORT": str(self.ports["http_port"])}
        if mode == "file":
            write_config(self.image.dist or distribution.ensure(self.image.version), self.ports,
                         self.profile.auth, conf, ServerPaths(CONFIGS_DIR, LOGS_DIR, DATA_DIR),
                         tls_mode=self.profile.tls_mode)
            volumes = {str(conf): {"bind": CONFIGS_DIR, "mode": "ro"}}
        else:
            environment.update(foreign_image_environment(self.ports, self.profile.auth, conf,
                                                         tls_mode=self.profile.tls_mode))
            volumes = {str(conf): {"bind": FOREIGN_CONF_DIR, "mode": "ro"}}
        self.container_name = f"milvus-conformance-{self.owner_pid}-{self.profile.name}-{secrets.token_hex(3)}"
        labels = {
            LABEL_RUN: str(self.owner_pid), LABEL_OWNER: str(self.owner_pid),
            LABEL_OWNER_START: process_start(self.owner_pid), LABEL_HOST: host_id(),
            LABEL_PROFILE: self.profile.name,
        }
        nofile = nofile_limit()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"--- milvus {self.version} profile {self.profile.name} container {self.container_name} "
                      f"image {self.image.ref} config {mode} ports {json.dumps(self.ports)}\n".encode())
        kwargs = dict(
            command=["milvus", "run", "standalone"], name=self.container_name, detach=True,
            network_mode="host", environment=environment, labels=labels, volumes=volumes,
            ulimits=[docker.types.Ulimit(name="nofile", soft=nofile, hard=nofile)],
            init=self.image.local,  # our image has no init of its own; the official one has tini
            stop_signal="SIGTERM",
        )
        self.container_id = self.client.containers.create(self.image.ref, **kwargs).id

    def _start_container(self) -> None:
        import docker

        try:
            self.client.api.start(self.container_id)
        except docker.errors.APIError as exc:
            log_tail = str(exc)
            raise ServerStartError(f"the Docker engine could not start the Milvus container "
                                   f"'{self.container_name}' ({self.image.ref}): {exc}", log_tail=log_tail)

    def _spawn_watcher(self) -> None:
        with open(self.log_path, "ab") as log:  # the watcher's own complaints, if any
            self.keeper = subprocess.Popen(
                [sys.executable, "-m", "conformance.servers.container", "watch",
                 "--owner-pid", str(self.owner_pid), "--owner-start", process_start(self.owner_pid),
                 "--container", self.container_id, "--workdir", str(self.workdir), "--log", str(self.log_path)],
                cwd=str(Path(__file__).resolve().parents[2]), start_new_session=True, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=log,
            )
        self.keeper_pid = self.keeper.pid

    def _state(self) -> dict:
        import docker

        try:
            return self.client.api.inspect_container(self.container_id)["State"]
        except docker.errors.NotFound:
            return {"Status": "removed"}

    def container_log_tail(self, lines: int = 40) -> str:
        try:
            return self.client.api.logs(self.container_id, tail=lines).decode(errors="replace")
        except Exception:  # gone: the watcher's copy is what is left
            return self.log_tail(lines)

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def _wait_ready(self) -> None:
        what = f"Milvus {self.version} (profile '{self.profile.name}', container {self.container_name})"
        last_check = [0.0]

        def check_alive():  # asking the engine costs a round trip: once a second
            if time.monotonic() - last_check[0] <= 1:
                return
            last_check[0] = time.monotonic()
            state = self._state()
            if state["Status"] in ("exited", "dead", "removed"):
                log_tail = self.container_log_tail()
                raise ServerStartError(f"{what} exited during start-up with status {state.get('ExitCode')}; "
                                       f"its log is {self.log_path}", log_tail=log_tail,
                                       crashed=crashed(state.get("ExitCode"), log_tail))
            if self.keeper is not None and self.keeper.poll() is not None:
                raise ServerStartError(f"the watcher of container {self.container_name} exited "
                                       f"(status {self.keeper.returncode}); see {self.log_path}",
                                       log_tail=self.log_tail())

        wait_healthy(f"http://127.0.0.1:{self.ports['http_port']}/healthz", what, check_alive, self.log_path,
                     self.container_log_tail)

    def stop(self) -> None:
        """Remove the container and the scratch folder (through the watcher when there is one)."""
        stop_keeper(self.keeper_pid)
        if self.keeper is not None:
            try:
                self.keeper.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        if self.container_id:  # the watcher's job; done here too if it could not
            try:
                _remove(self.client, self.container_id)
            except Exception:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- faults --------------------------------------------------------------
    def pause(self) -> None:
        """Freeze every process of the server (connections stay open, nothing answers)."""
        self.client.api.pause(self.container_id)

    def resume(self) -> None:
        self.client.api.unpause(self.container_id)

    def stop_server(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop the server (SIGTERM, SIGKILL after `timeout`), keeping the container for start_server()."""
        self._hold_file().parent.mkdir(parents=True, exist_ok=True)
        self._hold_file().write_text(str(os.getpid()))
        if self._state().get("Paused"):
            self.client.api.unpause(self.container_id)
        self.client.api.stop(self.container_id, timeout=int(timeout))

    def start_server(self) -> None:
        """Start a server stopped by stop_server() again, on the same ports; returns when healthy."""
        self.client.api.start(self.container_id)
        try:
            self._wait_ready()
        finally:
            self._hold_file().unlink(missing_ok=True)

    def _hold_file(self) -> Path:
        return self.workdir / "run" / "hold"


def stop_endpoint(endpoint: Endpoint) -> None:
    """Stop a container server from its endpoint alone (ServerPool.shutdown, any process): ask its
    watcher, then make sure, should the watcher have died, that the container is gone too."""
    stop_keeper(int(endpoint.extra.get("keeper_pid", 0) or 0))
    container_id = endpoint.extra.get("container_id")
    if container_id:
        try:
            _remove(docker_client(timeout=30), container_id)
        except Exception:  # no engine any more: nothing we can do; the next sweep will
            pass
    if endpoint.extra.get("workdir"):
        shutil.rmtree(endpoint.extra["workdir"], ignore_errors=True)


def foreign_image_environment(ports: dict, auth: bool, conf: Path, tls_mode: int = 0) -> dict:
    """A foreign image keeps its milvus.yaml; these environment overrides make it a standalone
    with embedded etcd (own config: own peer port), local storage, our ports, loopback only
    (and, with `tls_mode`, TLS on the gRPC port with certificates made in `conf`/tls)."""
    import yaml

    conf.mkdir(parents=True, exist_ok=True)
    peer, client = f"http://127.0.0.1:{ports['etcd_peer_port']}", f"http://127.0.0.1:{ports['etcd_port']}"
    (conf / "etcd.yaml").write_text(yaml.safe_dump({
        "name": "default", "listen-peer-urls": peer, "initial-advertise-peer-urls": peer,
        "initial-cluster": f"default={peer}", "listen-client-urls": client, "advertise-client-urls": client,
    }))
    env = {
        "ETCD_USE_EMBED": "true", "ETCD_DATA_DIR": f"{DATA_DIR}/etcd",
        "ETCD_CONFIG_PATH": f"{FOREIGN_CONF_DIR}/etcd.yaml", "ETCD_ENDPOINTS": f"127.0.0.1:{ports['etcd_port']}",
        "COMMON_STORAGETYPE": "local", "COMMON_SECURITY_AUTHORIZATIONENABLED": "true" if auth else "false",
        "LOG_LEVEL": "warn",
    }
    env.update({name: str(ports[key]) for key, name in COMPONENT_PORT_ENV.items()})
    env.update({f"{component.upper()}_IP": "127.0.0.1" for component in COMPONENTS_WITH_IP})
    if tls_mode:
        from .tls import ensure_certificates

        certs = ensure_certificates(conf / TLS_FOLDER)
        seen = f"{FOREIGN_CONF_DIR}/{TLS_FOLDER}"
        env.update({"COMMON_SECURITY_TLSMODE": str(tls_mode),
                    "TLS_SERVERPEMPATH": f"{seen}/{certs.server_cert.name}",
                    "TLS_SERVERKEYPATH": f"{seen}/{certs.server_key.name}",
                    "TLS_CAPEMPATH": f"{seen}/{certs.ca_cert.name}"})
    return env


# -- the watcher ----------------------------------------------------------------
def _timestamp_key(stamp: bytes):
    """Docker's RFC 3339 nano timestamp as a sortable (seconds, nanoseconds) pair."""
    import calendar

    try:
        text = stamp.decode()
        main, _, fraction = text.rstrip("Z").partition(".")
        seconds = calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S"))
        return seconds, int((fraction + "000000000")[:9])
    except (ValueError, UnicodeDecodeError):
        return None


def _copy_logs(client, container_id: str, log, done: threading.Event) -> None:
    """Append the container's output to `log` as it comes, across stops and starts, once each line."""
    import docker

    last = None
    while not done.is_set():
        try:
            since = last[0] + last[1] / 1e9 if last else None
            kwargs = {"since": since} if since else {}
            for frame in client.api.logs(container_id, stream=True, follow=True, timestamps=True, **kwargs):
                stamp, _, line = frame.partition(b" ")
                key = _timestamp_key(stamp)
                if key is None:
                    log.write(frame)
                    continue
                if last is not None and key <= last:
                    continue
                last = key
                log.write(line)
        except docker.errors.NotFound:
            return
        except Exception:  # the engine restarting, a stream cut: try again
            pass
        done.wait(WATCH_POLL_SECONDS)


def watch(argv=None) -> int:
    import docker

    parser = argparse.ArgumentParser(prog="python -m conformance.servers.container watch")
    parser.add_argument("--owner-pid", type=int, required=True)
    parser.add_argument("--owner-start", default="")
    parser.add_argument("--container", required=True)
    parser.add_argument("--workdir", required=True, help="deleted with the container")
    parser.add_argument("--log", required=True)
    args = parser.parse_args(argv)

    stop_requested = []
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.append("SIGTERM"))
    signal.signal(signal.SIGINT, lambda *_: stop_requested.append("SIGINT"))
    hold = Path(args.workdir) / "run" / "hold"
    client = docker.from_env(timeout=60)
    done = threading.Event()
    status, reason = 0, ""
    with open(args.log, "ab", buffering=0) as log:
        copier = threading.Thread(target=_copy_logs, args=(client, args.container, log, done), daemon=True)
        copier.start()
        try:
            while True:
                if stop_requested:
                    reason = f"stop requested ({stop_requested[0]})"
                    break
                if not _alive(args.owner_pid, args.owner_start):
                    reason = f"owner process {args.owner_pid} is gone"
                    break
                try:
                    state = client.api.inspect_container(args.container)["State"]
                    if state["Status"] in ("exited", "dead") and not hold.exists():
                        status = state.get("ExitCode", 1) or 0
                        reason = f"the server exited by itself (status {status})"
                        break
                except docker.errors.NotFound:
                    reason = "the container was removed"
                    break
                except docker.errors.DockerException:
                    pass  # the engine is busy or restarting: look again
                time.sleep(WATCH_POLL_SECONDS)
        finally:
            _remove(client, args.container)
            done.set()
            copier.join(timeout=5)
            log.write(f"--- container {args.container[:12]} removed: {reason}\n".encode())
            shutil.rmtree(args.workdir, ignore_errors=True)
    return status


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["watch"]:
        return watch(argv[1:])
    if argv[:1] == ["sweep"]:
        for name in sweep_stale_containers():
            print(f"removed {name}")
        return 0
    print("usage: python -m conformance.servers.container watch ... | sweep", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
