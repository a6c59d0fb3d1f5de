"""The container provider for real: an image built here (no registry), Milvus
2.3.5 containers side by side on host networking, pymilvus against them,
pause/resume/stop/start, and no container surviving its owner."""

import glob
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from conformance.drivers.registry import load_registry
from conformance.errors import ConformanceError
from conformance.paths import REPO_ROOT, cache_dir
from conformance.servers.profiles import PROFILES, SCENARIO_PASSWORD, SCENARIO_USER

pytestmark = pytest.mark.slow
VERSION = "2.3.5"

CONNECT = """
import json, sys
from pymilvus import MilvusClient
ep, user, password = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
kwargs = {"user": user, "password": password} if user else {}
client = MilvusClient(uri=f"http://{ep['host']}:{ep['grpc_port']}", timeout=20, **kwargs)
print(json.dumps({"version": client.get_server_version(), "collections": client.list_collections()}))
"""


@pytest.fixture(scope="module")
def client():
    try:
        from conformance.servers.container import docker_client, engine_unavailable_reason
    except ImportError as exc:  # pragma: no cover - the harness depends on it
        pytest.skip(f"the container provider cannot be imported: {exc}")
    reason = engine_unavailable_reason()
    if reason:
        pytest.skip(f"no Docker engine: {reason}")
    client = docker_client()
    yield client
    client.close()


@pytest.fixture(scope="module")
def image(client):
    from conformance.servers.image import ensure_image

    return ensure_image(VERSION, client)


def pymilvus_python() -> str:
    default = load_registry()["python"].default_version
    found = sorted(glob.glob(str(cache_dir() / "drivers" / "python" / f"{default}*" / "venv" / "bin" / "python")))
    if found:
        return found[0]
    from conformance.servers.admin import _python

    return str(_python())


def connect(endpoint, user: str = "", password: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([pymilvus_python(), "-c", CONNECT, json.dumps(endpoint.to_json()), user, password],
                          capture_output=True, text=True, timeout=120)


def container_state(client, container_id: str) -> str:
    import docker

    try:
        return client.api.inspect_container(container_id)["State"]["Status"]
    except docker.errors.NotFound:
        return "removed"


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return predicate()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_the_image_is_built_from_the_distribution_and_reused(client, image):
    from conformance.servers.image import ensure_image

    assert image.local and image.ref.startswith(f"milvus-conformance/milvus:{VERSION}-")
    started = time.monotonic()
    again = ensure_image(VERSION, client)
    assert again.ref == image.ref and again.built_seconds == 0 and time.monotonic() - started < 10
    config = client.images.get(image.ref).attrs["Config"]
    assert config["WorkingDir"] == "/milvus" and config["Cmd"] == ["milvus", "run", "standalone"]
    assert config["Labels"]["milvus-conformance.milvus-version"] == VERSION


def test_the_root_filesystem_is_laid_out_like_the_official_image(tmp_path):
    from conformance.servers import distribution
    from conformance.servers.image import write_rootfs

    tarball = tmp_path / "rootfs.tar"
    try:
        write_rootfs(distribution.ensure(VERSION), tarball)
        with tarfile.open(tarball) as tar:
            members = {m.name: m for m in tar.getmembers()}
            config = tar.extractfile("milvus/configs/milvus.yaml").read().decode()
    finally:
        tarball.unlink(missing_ok=True)  # 250 MB: not for pytest's kept temporary folders
    for name in ("milvus/bin/milvus", "milvus/bin/libmilvus_segcore.so", "milvus/configs/etcd.yaml",
                 "milvus/configs/glog.conf", "lib64/ld-linux-x86-64.so.2", "etc/hosts", "var/lib/milvus"):
        assert name in members, name
    assert members["tmp"].mode == 0o1777 and members["milvus/bin/milvus"].mode & 0o111
    assert not [m.name for m in members.values() if m.issym() or m.islnk()]  # no links into the host's layout
    assert "port: 19530" in config and "/var/lib/milvus" in config


@pytest.fixture(scope="module")
def servers(client, image, tmp_path_factory):
    """A plain and an auth container side by side, owned by this process."""
    from conformance.servers.admin import create_scenario_user
    from conformance.servers.container import ContainerServer

    base = tmp_path_factory.mktemp("containers")
    started, endpoints = [], {}
    try:
        for name in ("plain", "auth"):
            server = ContainerServer(PROFILES[name], base / name, base / f"{name}.log", os.getpid(), VERSION)
            started.append(server)
            endpoints[name] = server.start()
        create_scenario_user(endpoints["auth"])
        yield {name: (server, endpoints[name]) for name, server in zip(("plain", "auth"), started)}
    finally:
        for server in started:
            server.stop()
    for name, endpoint in endpoints.items():
        assert container_state(client, endpoint.extra["container_id"]) == "removed", name
        assert not Path(endpoint.extra["workdir"]).exists()
        assert not alive(endpoint.extra["keeper_pid"])


def test_plain_and_auth_containers_run_side_by_side(client, servers):
    from conformance.servers.embedded import healthy

    plain, auth = servers["plain"][1], servers["auth"][1]
    assert plain.provider == auth.provider == "container"
    assert len({plain.grpc_port, plain.http_port, auth.grpc_port, auth.http_port}) == 4
    for endpoint in (plain, auth):
        assert healthy(f"http://127.0.0.1:{endpoint.http_port}/healthz")
        attrs = client.api.inspect_container(endpoint.extra["container_id"])
        assert attrs["HostConfig"]["NetworkMode"] == "host"
        assert not attrs["NetworkSettings"]["IPAddress"]  # never on a bridge
        assert list(attrs["NetworkSettings"]["Networks"]) == ["host"]
        nofile = [u for u in attrs["HostConfig"]["Ulimits"] if u["Name"] == "nofile"][0]
        assert nofile["Soft"] == nofile["Hard"] == endpoint.extra["nofile"] > 1024
        labels = attrs["Config"]["Labels"]
        assert labels["milvus-conformance.run"] == labels["milvus-conformance.owner"] == str(os.getpid())
        assert Path(endpoint.log_path).read_text().count("Proxy successfully started") >= 1


def test_pymilvus_connects_to_both(servers):
    plain, auth = servers["plain"][1], servers["auth"][1]
    result = connect(plain)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1])["version"].startswith(f"v{VERSION}")

    result = connect(auth, SCENARIO_USER, SCENARIO_PASSWORD)
    assert result.returncode == 0, result.stderr[-2000:]
    denied = connect(auth, SCENARIO_USER, "not-the-password")
    assert denied.returncode != 0 and "auth" in denied.stderr.lower(), denied.stderr[-2000:]
    anonymous = connect(auth)
    assert anonymous.returncode != 0


def test_pause_resume_stop_start(client, servers):
    from conformance.servers.container import ContainerServer
    from conformance.servers.embedded import healthy

    owner_handle, endpoint = servers["plain"]
    server = ContainerServer.attach(endpoint)  # as a fault step in another process would
    url = f"http://127.0.0.1:{endpoint.http_port}/healthz"
    container_id = endpoint.extra["container_id"]

    server.pause()
    assert container_state(client, container_id) == "paused"
    assert not healthy(url, timeout=1)
    server.resume()
    assert wait_for(lambda: healthy(url), 30)

    server.stop_server()
    assert container_state(client, container_id) == "exited"
    time.sleep(2)  # the watcher must not mistake this for a crash
    assert alive(endpoint.extra["keeper_pid"]) and container_state(client, container_id) == "exited"
    started = time.monotonic()
    server.start_server()
    assert healthy(url) and time.monotonic() - started < 120
    assert not (Path(endpoint.extra["workdir"]) / "run" / "hold").exists()
    result = connect(endpoint)
    assert result.returncode == 0, result.stderr[-2000:]
    log = Path(endpoint.log_path).read_text()
    assert log.count("Proxy successfully started") >= 2  # both runs' output, once each


def test_a_foreign_image_is_configured_through_the_environment(client, image, tmp_path):
    """The path an official image (milvusdb/milvus:vX) takes: its own milvus.yaml, our settings as
    environment overrides. Exercised on the local image, whose milvus.yaml has the default ports."""
    from conformance.servers.container import ContainerServer

    server = ContainerServer(PROFILES["plain"], tmp_path / "w", tmp_path / "log", os.getpid(), VERSION,
                             config_mode="env")
    try:
        endpoint = server.start()
        assert endpoint.grpc_port != 19530 and endpoint.extra["config_mode"] == "env"
        env = client.api.inspect_container(endpoint.extra["container_id"])["Config"]["Env"]
        assert f"PROXY_PORT={endpoint.grpc_port}" in env and "ETCD_USE_EMBED=true" in env
        result = connect(endpoint)
        assert result.returncode == 0, result.stderr[-2000:]
    finally:
        server.stop()
    assert container_state(client, server.container_id) == "removed"


def test_an_official_image_without_a_registry_is_a_clear_error(client):
    import docker

    from conformance.servers.image import ensure_image

    reference = "milvusdb/milvus:v2.3.5"
    try:
        client.images.get(reference)
        pytest.skip(f"the engine has {reference}: nothing to pull")
    except docker.errors.ImageNotFound:
        pass
    try:
        image = ensure_image(reference, client)
    except ConformanceError as exc:
        assert exc.where == "--milvus-version"
        assert f"could not pull the image '{reference}'" in str(exc) and "built here" in str(exc)
    else:  # a registry is reachable here
        assert not image.local and image.version == "2.3.5"


OWNER = """
import json, os, sys, time
from pathlib import Path
from conformance.servers.container import ContainerServer
from conformance.servers.profiles import PROFILES
base = Path(sys.argv[1])
server = ContainerServer(PROFILES["plain"], base / "w", base / "log", os.getpid(), sys.argv[2])
print(json.dumps(server.start().to_json()), flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_the_container_goes_when_its_owner_dies(client, image, tmp_path, sig):
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(tmp_path), VERSION], cwd=REPO_ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        endpoint = json.loads(owner.stdout.readline() or "{}")
        assert endpoint, owner.stderr.read()[-3000:] if owner.poll() is not None else "no endpoint"
        extra = endpoint["extra"]
        assert container_state(client, extra["container_id"]) == "running"
    finally:
        owner.send_signal(sig)
        owner.wait(timeout=30)
        owner.stdout.close()
        owner.stderr.close()
    assert wait_for(lambda: container_state(client, extra["container_id"]) == "removed", 30)
    assert wait_for(lambda: not alive(extra["keeper_pid"]), 10)
    assert not Path(extra["workdir"]).exists()
    assert "owner process" in Path(endpoint["log_path"]).read_text().splitlines()[-1]


def test_sweep_removes_containers_of_dead_owners_only(client, image):
    from conformance.servers import container as provider

    gone = subprocess.Popen(["true"])
    gone.wait()

    def create(owner: int):
        labels = {provider.LABEL_OWNER: str(owner), provider.LABEL_RUN: str(owner),
                  provider.LABEL_HOST: provider.host_id(),
                  provider.LABEL_OWNER_START: provider.process_start(owner)}
        return client.containers.create(image.ref, labels=labels, network_mode="host")

    stale, ours = create(gone.pid), create(os.getpid())
    try:
        removed = provider.sweep_stale_containers(client)
        assert stale.name in removed and ours.name not in removed
        assert container_state(client, stale.id) == "removed"
        assert container_state(client, ours.id) == "created"
    finally:
        for leftover in (stale, ours):
            provider._remove(client, leftover.id)
