"""Releases of a PyPI package, for the build.py of drivers whose SDK comes from PyPI
(drivers/PROTOCOL.md, section 3): what `resolve` and `versions` answer. Runs with
the harness's interpreter (pip and packaging are there)."""

import json
import re
import subprocess
import sys
import venv
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

import buildkit
from buildkit import fail


def published_versions(package: str) -> "list[Version]":
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", package, "--disable-pip-version-check"],
        capture_output=True, text=True, timeout=120,
    )
    match = re.search(r"Available versions: (.*)", proc.stdout)
    if proc.returncode != 0 or not match:
        fail(f"cannot list {package} versions on PyPI: {proc.stderr.strip()[-300:]}")
    found = []
    for text in match.group(1).split(","):
        try:
            found.append(Version(text.strip()))
        except InvalidVersion:
            pass
    return found


def resolve(package: str, request: str) -> str:
    """An exact version, a PEP 440 range (its newest final release), "latest", or a local checkout folder."""
    if Path(request).is_dir():
        return "checkout:" + str(Path(request).resolve())
    published = published_versions(package)
    if request == "latest":
        return str(max(v for v in published if not v.is_prerelease))
    try:
        exact = Version(request)
    except InvalidVersion:
        exact = None
    if exact is not None:
        if exact not in published:
            fail(f"{package} {request} does not exist on PyPI (newest: "
                 f"{', '.join(str(v) for v in sorted(published)[-8:])})")
        return str(exact)
    try:
        spec = SpecifierSet(request)
    except InvalidSpecifier:
        fail(f"'{request}' is neither a {package} version, a version range, nor an existing folder")
    matching = [v for v in published if v in spec and not v.is_prerelease]
    if not matching:
        fail(f"no {package} release on PyPI matches '{request}'")
    return str(max(matching))


def versions(package: str, spec: str) -> "list[str]":
    """Every final release on PyPI in the range `spec` ("" = all), oldest first."""
    try:
        wanted = SpecifierSet(spec)
    except InvalidSpecifier:
        fail(f"'{spec}' is not a version range")
    return [str(v) for v in sorted(published_versions(package)) if v in wanted and not v.is_prerelease]


def install(package: str, version: str, build_dir: Path, compat_pins=()) -> "tuple[Path, str, list, dict]":
    """A virtualenv in build_dir/venv with `package` at `version` (or the checkout "checkout:<path>"), plus the
    pins its old releases need (compat_pins: [(SpecifierSet, [requirement, ...])]).
    -> (its python, what was installed, the pins, the artifact {file, digest} pip installed it from)."""
    venv.EnvBuilder(with_pip=True, clear=True).create(build_dir / "venv")
    python = build_dir / "venv" / "bin" / "python"
    checkout = version.startswith("checkout:")
    target = version[len("checkout:"):] if checkout else f"{package}=={version}"
    pins = [] if checkout else [p for spec, extra in compat_pins if Version(version) in spec for p in extra]
    report = build_dir / "pip-report.json"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--report", str(report),
         target, *pins],
        capture_output=True, text=True, timeout=900,
    )
    if proc.returncode != 0:
        fail(f"pip install {target} failed: {proc.stderr.strip()[-600:]}")
    return python, target, pins, artifact_of(report, package)


def artifact_of(report: Path, package: str) -> dict:
    """The file pip installed `package` from and its digest, from `pip install --report` ({} when unknown)."""
    try:
        installed = json.loads(report.read_text()).get("install", [])
    except (OSError, ValueError):
        return {}
    for item in installed:
        if (item.get("metadata") or {}).get("name", "").lower().replace("_", "-") == package.lower().replace("_", "-"):
            info = item.get("download_info") or {}
            hashes = (info.get("archive_info") or {}).get("hashes") or {}
            name = info.get("url", "").rsplit("/", 1)[-1]
            return {"file": name, "digest": f"sha256:{hashes['sha256']}"} if "sha256" in hashes else {"file": name}
    return {}


def main(package: str, build) -> None:
    """build.py's command line for a driver whose SDK is the PyPI package `package`."""
    buildkit.main(lambda request: resolve(package, request), build, lambda spec: versions(package, spec))
