"""Releases of a PyPI package, for the build.py of drivers whose SDK comes from PyPI
(drivers/PROTOCOL.md, section 3): what `resolve` and `versions` answer. Runs with
the harness's interpreter (pip and packaging are there)."""

import email.parser
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
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


def artifact(package: str, path: str) -> dict:
    """A release artifact of `package`, checked without building: a wheel (.whl, its *.dist-info/METADATA) or an
    sdist (.tar.gz, its top-level PKG-INFO). -> {"version": what it declares, "path", "file", "digest": "sha256:.."};
    anything else fails with one line naming the file and what was expected."""
    file = Path(path)
    kind = "wheel" if file.name.endswith(".whl") else "sdist" if file.name.endswith(".tar.gz") else None
    if kind is None:
        fail(f"{file.name} is not a wheel (.whl) or sdist (.tar.gz) of {package}")
    where = "*.dist-info/METADATA" if kind == "wheel" else "PKG-INFO"
    expected = f"{file.name} is not a{'n' if kind == 'sdist' else ''} {kind} of {package}"
    try:
        if kind == "wheel":
            parse_wheel_filename(file.name)  # pip installs a wheel only under its standard name
            with zipfile.ZipFile(file) as archive:
                names = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
                text = archive.read(names[0]).decode() if names else None
        else:
            with tarfile.open(file, "r:gz") as archive:
                members = [m for m in archive.getmembers() if re.fullmatch(r"[^/]+/PKG-INFO", m.name)]
                text = archive.extractfile(members[0]).read().decode() if members else None
    except InvalidWheelFilename as exc:
        fail(f"{expected} ({exc})")
    except (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, UnicodeDecodeError) as exc:
        fail(f"{expected} (cannot read it: {exc})")
    if text is None:
        fail(f"{expected} (it has no {where})")
    meta = email.parser.Parser().parsestr(text, headersonly=True)
    name, version = meta.get("Name"), (meta.get("Version") or "").strip()
    if canonicalize_name(name or "") != canonicalize_name(package):
        fail(f"{expected} (its {where} names {name!r})")
    try:
        Version(version)
    except InvalidVersion:
        fail(f"{expected} (its {where} declares no valid version: {version!r})")
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    return {"version": version, "path": str(file.resolve()), "file": file.name, "digest": f"sha256:{digest}"}


def resolve(package: str, request: str, artifacts: bool = False) -> str:
    """An exact version, a PEP 440 range (its newest final release), "latest", a local checkout folder, or (with
    `artifacts`) a release artifact's path: its declared version + "+artifact.<sha256 prefix>", so that the build
    cache, keyed by the resolved version, tells a rebuilt file with the same version apart."""
    if Path(request).is_dir():
        return "checkout:" + str(Path(request).resolve())
    if artifacts and Path(request).is_file():
        found = artifact(package, request)
        return f"{found['version']}+artifact.{found['digest'][len('sha256:'):][:12]}"
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


def install(package: str, version: str, build_dir: Path, compat_pins=(),
            release=None) -> "tuple[Path, str, list, dict]":
    """A virtualenv in build_dir/venv with `package` at `version` (or the checkout "checkout:<path>", or exactly
    the file `release`, an artifact() answer declaring `version`), plus the pins its old releases need
    (compat_pins: [(SpecifierSet, [requirement, ...])]).
    -> (its python, what was installed, the pins, the artifact {file, digest} pip installed it from)."""
    venv.EnvBuilder(with_pip=True, clear=True).create(build_dir / "venv")
    python = build_dir / "venv" / "bin" / "python"
    checkout = version.startswith("checkout:")
    target = version[len("checkout:"):] if checkout else release["path"] if release else f"{package}=={version}"
    pins = [] if checkout else [p for spec, extra in compat_pins if Version(version) in spec for p in extra]
    report = build_dir / "pip-report.json"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--report", str(report),
         target, *pins],
        capture_output=True, text=True, timeout=900,
    )
    if proc.returncode != 0:
        fail(f"pip install {target} failed: {proc.stderr.strip()[-600:]}")
    found = {"file": release["file"], "digest": release["digest"]} if release else artifact_of(report, package)
    return python, target, pins, found


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


def main(package: str, build, artifacts: bool = False) -> None:
    """build.py's command line for a driver whose SDK is the PyPI package `package` (`artifacts`: it also takes
    a release artifact's path)."""
    buildkit.main(lambda request: resolve(package, request, artifacts), build, lambda spec: versions(package, spec))
