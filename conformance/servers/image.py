"""Docker images of Milvus for the container provider, built without a registry.

`ensure_image(version)` gives an image to run:

- a Milvus version (`2.3.5`): an image built here, once, from the same PyPI
  `milvus` distribution the embedded provider runs (distribution.py). Its root
  filesystem is a tarball written by this module: the distribution's `bin/`
  folder at /milvus/bin, the few glibc files the binary needs taken from this
  machine (found with ldd), a default configuration at /milvus/configs
  (milvus.yaml, etcd.yaml, glog.conf) and an empty /var/lib/milvus for data,
  laid out like the official image. It is imported with the engine's
  `import` call (no base image, no pull) and tagged
  `milvus-conformance/milvus:<version>-<hash>`, the hash covering the recipe,
  the binaries and the host libraries, so a later run reuses it and a changed
  input gives a new tag;
- an image reference (`milvusdb/milvus:v2.3.5`, anything with `/` or `:`): used
  as it is when the engine has it, pulled otherwise (which needs a registry).

By hand: `docker run --rm --network host milvus-conformance/milvus:<tag>` runs a
standalone server on the documented ports (19530, 9091; etcd on 2379/2380).
"""

import hashlib
import io
import os
import re
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from filelock import FileLock

from ..errors import ConformanceError
from ..paths import cache_dir
from . import distribution

IMAGE_REPOSITORY = "milvus-conformance/milvus"
RECIPE = "1"  # change when the image's layout changes: the tag's hash covers it
LABEL_PREFIX = "milvus-conformance"
MILVUS_HOME = "/milvus"
BIN_DIR = "/milvus/bin"
CONFIGS_DIR = "/milvus/configs"
LOGS_DIR = "/milvus/logs"
DATA_DIR = "/var/lib/milvus"
ETC_FILES = {
    "etc/hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
    "etc/nsswitch.conf": "hosts: files dns\npasswd: files\ngroup: files\n",
    "etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
    "etc/group": "root:x:0:\nnogroup:x:65534:\n",
}
# Older glibc (< 2.34) loads these to read /etc/hosts; newer ones have them built in.
NSS_EXTRAS = ("libnss_files.so.2", "libnss_dns.so.2", "libresolv.so.2")


@dataclass(frozen=True)
class Image:
    ref: str  # what the engine runs
    version: str  # the Milvus version (for a foreign image: read from its tag, best effort)
    local: bool  # built here from the PyPI distribution (its configuration is ours to render)
    dist: Optional[distribution.Distribution] = None
    built_seconds: float = 0.0  # time spent building it now (0: it existed)


def is_image_reference(version: str) -> bool:
    """`milvusdb/milvus:v2.3.5` names an image; `2.3.5` a PyPI version."""
    return "/" in version or ":" in version


def ensure_image(version: str, client) -> Image:
    if is_image_reference(version):
        return _ensure_foreign(version, client)
    dist = distribution.ensure(version)
    tag = image_tag(dist)
    ref = f"{IMAGE_REPOSITORY}:{tag}"
    if _has_image(client, ref):
        return Image(ref, version, True, dist)
    lock_dir = cache_dir() / "images"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock_dir / f"{tag}.lock")):  # xdist workers, parallel runs
        if _has_image(client, ref):
            return Image(ref, version, True, dist)
        started = time.monotonic()
        build_image(dist, client, tag)
        return Image(ref, version, True, dist, built_seconds=time.monotonic() - started)


def image_tag(dist: distribution.Distribution) -> str:
    digest = hashlib.sha256(RECIPE.encode())
    for path in sorted(dist.bin_dir.iterdir()) + [dist.template, dist.glog_conf]:
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    for path in host_libraries(dist.bin_dir):
        digest.update(path.encode() + b"\0" + hashlib.sha256(Path(path).read_bytes()).digest())
    return f"{dist.version}-{digest.hexdigest()[:12]}"


def build_image(dist: distribution.Distribution, client, tag: str) -> str:
    """Write the root filesystem tarball and import it as IMAGE_REPOSITORY:tag."""
    import docker

    ref = f"{IMAGE_REPOSITORY}:{tag}"
    lib_dirs = sorted({os.path.dirname(p) for p in host_libraries(dist.bin_dir)})
    changes = [
        f"ENV PATH={BIN_DIR}:/usr/local/bin:/usr/bin:/bin",
        f"ENV LD_LIBRARY_PATH={':'.join([BIN_DIR, MILVUS_HOME + '/lib'] + lib_dirs)}",
        "ENV DEPLOY_MODE=STANDALONE",
        f"WORKDIR {MILVUS_HOME}",
        'CMD ["milvus", "run", "standalone"]',
        "EXPOSE 19530 9091",
        f'LABEL {LABEL_PREFIX}.recipe="{RECIPE}" {LABEL_PREFIX}.milvus-version="{dist.version}"',
    ]
    with tempfile.TemporaryDirectory(prefix="milvus-conformance-image-") as tmp:
        tarball = Path(tmp) / "rootfs.tar"
        write_rootfs(dist, tarball)
        try:
            client.api.import_image_from_file(str(tarball), repository=IMAGE_REPOSITORY, tag=tag,
                                              changes=changes)
        except docker.errors.DockerException as exc:
            raise ConformanceError(f"the Docker engine refused to import the Milvus {dist.version} image "
                                   f"({ref}): {exc}", where="--server container") from exc
    if not _has_image(client, ref):
        raise ConformanceError(f"the Docker engine imported the Milvus {dist.version} image but has no "
                               f"'{ref}' afterwards", where="--server container")
    return ref


def write_rootfs(dist: distribution.Distribution, tarball: Path) -> None:
    from .embedded import ServerPaths, write_config

    def entry(name: str, kind=tarfile.DIRTYPE, mode=0o755, size=0) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.size, info.mtime = kind, mode, size, int(time.time())
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    dirs = set()

    def add_dir(tar: tarfile.TarFile, name: str, mode: int = 0o755) -> None:
        parts = name.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub not in dirs:
                dirs.add(sub)
                tar.addfile(entry(sub, mode=mode if i == len(parts) else 0o755))

    def add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
        add_dir(tar, os.path.dirname(name.strip("/")))
        tar.addfile(entry(name.strip("/"), tarfile.REGTYPE, mode, len(data)), io.BytesIO(data))

    def add_file(tar: tarfile.TarFile, name: str, source: Path) -> None:
        add_dir(tar, os.path.dirname(name.strip("/")))
        real = Path(os.path.realpath(source))  # the content, never a symlink into the host's layout
        info = entry(name.strip("/"), tarfile.REGTYPE, real.stat().st_mode & 0o7777, real.stat().st_size)
        with open(real, "rb") as handle:
            tar.addfile(info, handle)

    with tempfile.TemporaryDirectory(prefix="milvus-conformance-image-config-") as tmp, \
            tarfile.open(tarball, "w", format=tarfile.GNU_FORMAT) as tar:
        for name in ("tmp", "var/tmp"):
            add_dir(tar, name, 0o1777)
        for name in ("proc", "sys", "dev", "run", "root", MILVUS_HOME + "/lib", LOGS_DIR, DATA_DIR):
            add_dir(tar, name)
        for name, text in ETC_FILES.items():
            add_bytes(tar, name, text.encode())
        for path in sorted(dist.bin_dir.iterdir()):
            add_file(tar, f"{BIN_DIR}/{path.name}", path)
        for path in host_libraries(dist.bin_dir):
            add_file(tar, path, Path(path))
        # The image's own configuration: the documented ports, data under /var/lib/milvus.
        configs = Path(tmp)
        write_config(dist, default_ports(dist), False, configs, ServerPaths(CONFIGS_DIR, LOGS_DIR, DATA_DIR))
        for path in sorted(configs.iterdir()):
            add_file(tar, f"{CONFIGS_DIR}/{path.name}", path)


def default_ports(dist: distribution.Distribution) -> dict:
    """The template's own port defaults (19530, 2379, ...), plus etcd's peer port and 9091."""
    from .embedded import COMPONENT_PORT_KEYS, TEMPLATE_KEY

    defaults = {m.group(1): m.group(2) for m in TEMPLATE_KEY.finditer(dist.template.read_text())}
    ports = {key: int(defaults[key]) for key in COMPONENT_PORT_KEYS}
    ports.update(etcd_peer_port=2380, http_port=9091)
    return ports


def host_libraries(bin_dir: Path) -> list:
    """The libraries (besides bin_dir's own) the binaries load, as ldd resolves them here."""
    found, missing = set(), set()
    env = dict(os.environ, LD_LIBRARY_PATH=str(bin_dir))
    for path in sorted(bin_dir.iterdir()):
        proc = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env, timeout=60)
        for line in proc.stdout.splitlines():
            line = line.strip()
            match = re.match(r"(\S+)\s*=>\s*(\S+)", line) or re.match(r"()(/\S+)\s+\(", line)
            if not match:
                continue
            name, where = match.groups()
            if where == "not":
                missing.add(name)
            elif where.startswith("/") and not Path(where).resolve().is_relative_to(bin_dir.resolve()):
                found.add(where)
    if missing:
        raise ConformanceError(f"the Milvus binaries in {bin_dir} need libraries this machine lacks: "
                               f"{', '.join(sorted(missing))}", where="--server container")
    libc = next((p for p in found if os.path.basename(p) == "libc.so.6"), None)
    if libc:
        for name in NSS_EXTRAS:
            extra = os.path.join(os.path.dirname(libc), name)
            if os.path.exists(extra) and not (bin_dir / name).exists():
                found.add(extra)
    return sorted(found)


def _ensure_foreign(ref: str, client) -> Image:
    import docker

    match = re.search(r":v?(\d+\.\d+\.\d+[\w.-]*)$", ref)
    version = match.group(1) if match else ref
    if not _has_image(client, ref):
        repository, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "latest")
        try:
            client.images.pull(repository, tag=tag)
        except docker.errors.DockerException as exc:
            raise ConformanceError(
                f"could not pull the image '{ref}' ({_short(exc)}). Without a reachable registry, give a "
                f"Milvus version instead (e.g. {distribution.DEFAULT_MILVUS_VERSION}): its image is built here "
                f"from the PyPI 'milvus' package, or load the image into the engine first (docker load)",
                where="--milvus-version",
            ) from exc
    return Image(ref, version, False)


def _has_image(client, ref: str) -> bool:
    import docker

    try:
        client.images.get(ref)
        return True
    except docker.errors.ImageNotFound:
        return False


def _short(exc: Exception) -> str:
    text = getattr(exc, "explanation", None) or str(exc)
    return text if len(text) < 300 else text[:300] + "..."


def describe(image: Image, client) -> dict:
    """For the endpoint and the report: the image's id and size."""
    try:
        attrs = client.images.get(image.ref).attrs
        return {"image": image.ref, "image_id": attrs.get("Id", ""), "image_size": attrs.get("Size", 0)}
    except Exception:  # best effort
        return {"image": image.ref}
