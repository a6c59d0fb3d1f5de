"""The Milvus server binaries, taken from the PyPI `milvus` package.

That wheel holds a real Milvus standalone build (lzma-compressed binaries and a
config template). We download it with pip, unpack it once per version into the
cache and share the unpacked folder between every instance of that version.
"""

import json
import lzma
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from ..errors import ConformanceError
from ..paths import cache_dir

DEFAULT_MILVUS_VERSION = "2.3.5"
DEFAULT_GLOG_CONF = "--logtostderr=true\n--minloglevel=2\n"


@dataclass(frozen=True)
class Distribution:
    version: str
    bin_dir: Path
    template: Path
    glog_conf: Path

    @property
    def executable(self) -> Path:
        return self.bin_dir / "milvus"


def available_versions() -> list:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "milvus"],
        capture_output=True, text=True, timeout=120,
    )
    match = re.search(r"Available versions:\s*(.*)", out.stdout)
    return [v.strip() for v in match.group(1).split(",")] if match else []


def ensure(version: str = DEFAULT_MILVUS_VERSION) -> Distribution:
    """Unpack Milvus `version` into the cache (once; safe across processes)."""
    root = cache_dir() / "milvus" / version
    root.mkdir(parents=True, exist_ok=True)
    marker = root / "unpacked.json"
    with FileLock(str(root / ".lock")):
        if not marker.exists():
            _download_and_unpack(version, root)
            marker.write_text(json.dumps({"version": version}))
    if not (root / "glog.conf").exists():  # unpacked by an earlier harness that did not add it
        (root / "glog.conf").write_text(DEFAULT_GLOG_CONF)
    return Distribution(version, root / "bin", root / "config.yaml.template", root / "glog.conf")


def _download_and_unpack(version: str, root: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="milvus-wheel-") as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--disable-pip-version-check", "-q", "-d", tmp, f"milvus=={version}"],
            capture_output=True, text=True, timeout=600,
        )
        wheels = list(Path(tmp).glob("milvus-*.whl"))
        if proc.returncode != 0 or not wheels:
            known = available_versions()
            hint = f" Versions PyPI offers: {', '.join(known[:25])}." if known else ""
            raise ConformanceError(
                f"Milvus server version '{version}' could not be downloaded from the PyPI "
                f"package 'milvus' (pip said: {proc.stderr.strip().splitlines()[-1:] or ['nothing']})."
                f"{hint}",
                where="--milvus-version",
            )
        bin_dir = root / "bin"
        bin_dir.mkdir(exist_ok=True)
        with zipfile.ZipFile(wheels[0]) as wheel:
            for name in wheel.namelist():
                if name.startswith("milvus/data/bin/") and name.endswith(".lzma"):
                    target = bin_dir / Path(name[: -len(".lzma")]).name
                    with wheel.open(name) as packed, open(target, "wb") as out:
                        out.write(lzma.decompress(packed.read()))
                    os.chmod(target, 0o755)
                elif name in ("milvus/data/config.yaml.template", "milvus/data/glog.conf"):
                    (root / Path(name).name).write_bytes(wheel.read(name))
        if not (root / "glog.conf").exists():  # wheels before 2.3 ship none; Milvus needs the file
            (root / "glog.conf").write_text(DEFAULT_GLOG_CONF)


def binary_digest(dist: Distribution) -> str:
    """sha256 of the Milvus binary that runs (computed once per unpacked version)."""
    cached = dist.bin_dir.parent / "milvus.sha256"
    if not cached.exists():
        import hashlib

        digest = hashlib.sha256()
        with open(dist.executable, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        cached.write_text(f"sha256:{digest.hexdigest()}")
    return cached.read_text().strip()

