"""Turn a driver and an SDK request into a runnable, cached build (PROTOCOL section 3).

Builds are cached per exact version and shared by parallel workers under a
file lock; a local checkout is rebuilt once per run."""

import hashlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from ..errors import ConformanceError
from ..paths import cache_dir
from .registry import Manifest

RESOLVE_TIMEOUT_SECONDS = 300


class DriverUnavailable(Exception):
    """The driver cannot run on this machine (a toolchain is missing): its column is skipped."""


@dataclass(frozen=True)
class Build:
    driver: str
    request: str
    version: str
    build_dir: str
    source: str
    artifact: dict = field(default_factory=dict)  # {file, digest}: what the SDK was installed from (build.json)

    def to_json(self) -> dict:
        return self.__dict__.copy()


def expand(command, manifest: Manifest, **values) -> "list[str]":
    mapping = {"python": sys.executable, "driver_dir": str(manifest.driver_dir), **values}
    return [part.format(**mapping) for part in command]


def _run(command, manifest: Manifest, timeout: float, setting: str, what: str) -> str:
    try:
        proc = subprocess.run(command, cwd=manifest.driver_dir, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ConformanceError(f"{what} of driver '{manifest.name}' took more than {timeout:.0f} s", where=setting)
    except OSError as exc:
        raise ConformanceError(f"{what} of driver '{manifest.name}' could not start: {exc}", where=setting)
    if proc.returncode != 0:
        reason = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise ConformanceError(
            f"{what} of driver '{manifest.name}' failed: {reason[-1] if reason else 'exit ' + str(proc.returncode)}",
            where=setting,
        )
    return proc.stdout


def resolve(manifest: Manifest, request: str) -> str:
    setting = f"--sdk {manifest.base_name}={request}"
    if manifest.resolve_command is None:
        return request
    out = _run(expand(manifest.resolve_command, manifest, sdk=request), manifest,
               RESOLVE_TIMEOUT_SECONDS, setting, "resolving the SDK version")
    try:
        return str(json.loads(out.strip().splitlines()[-1])["version"])
    except (IndexError, ValueError, KeyError, TypeError):
        raise ConformanceError(f"the resolve command printed no {{\"version\": ...}} line: {out[-200:]!r}",
                               where=setting)


SKIPPED_IN_SOURCE_HASH = {"node_modules", "__pycache__", "target", ".gradle"}


def source_hash(driver_dir: Path) -> str:
    """A hash of the driver's own files: a changed driver is rebuilt, not run stale."""
    digest = hashlib.sha1()
    for path in sorted(driver_dir.rglob("*")):
        if path.is_file() and not SKIPPED_IN_SOURCE_HASH.intersection(path.relative_to(driver_dir).parts):
            digest.update(str(path.relative_to(driver_dir)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:10]


def _cache_key(version: str, request: str, driver_dir: Path) -> str:
    if is_checkout(version, request):
        path = str(Path(request).resolve()) if Path(request).is_dir() else version[len("checkout:"):]
        return "checkout-" + Path(path).name + "-" + hashlib.sha1(path.encode()).hexdigest()[:10]
    return re.sub(r"[^A-Za-z0-9._+-]", "_", version) + "-" + source_hash(driver_dir)


ARTIFACT_MARK = "+artifact."  # a release artifact's resolved version: <its version>+artifact.<sha256 prefix>


def is_checkout(version: str, request: str) -> bool:
    """A local SDK checkout (rebuilt once per run), whatever version the resolver printed; not a release
    artifact (an unpacked package is a folder too), whose build is keyed by its digest."""
    if ARTIFACT_MARK in version:
        return False
    return version.startswith("checkout:") or Path(request).is_dir()


def prepare(manifest: Manifest, request: str = "", run_id: str = "") -> Build:
    """Resolve and (if needed) build; returns the build to run."""
    missing = manifest.missing_tools()
    if missing:
        raise DriverUnavailable(f"driver '{manifest.name}' needs {', '.join(missing)}, not found on PATH")
    request = request or manifest.default_version
    version = resolve(manifest, request)
    build_dir = cache_dir() / "drivers" / manifest.base_name / _cache_key(version, request, manifest.driver_dir)
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    stamp = build_dir / "build.json"
    with FileLock(str(build_dir) + ".lock"):
        checkout = is_checkout(version, request)
        fresh_for_run = (build_dir / ".run-id").exists() and (build_dir / ".run-id").read_text() == run_id
        if not stamp.exists() or (checkout and not fresh_for_run):
            stamp.unlink(missing_ok=True)
            build_dir.mkdir(parents=True, exist_ok=True)
            _run(expand(manifest.build_command, manifest, sdk=request, sdk_version=version, build_dir=str(build_dir)),
                 manifest, manifest.build_timeout, f"--sdk {manifest.base_name}={request}", "building the driver")
            if not stamp.exists():
                raise ConformanceError("the build command did not write build.json (PROTOCOL section 3)",
                                       where=str(manifest.path))
            (build_dir / ".run-id").write_text(run_id)
    info = json.loads(stamp.read_text())
    return Build(driver=manifest.base_name, request=request, version=str(info.get("sdk_version", version)),
                 build_dir=str(build_dir), source=str(info.get("source", manifest.sdk_registry)),
                 artifact=dict(info.get("artifact") or {}))
