"""Build the grpc reference driver for one pymilvus version (drivers/PROTOCOL.md, section 3):
a virtualenv with that pymilvus, for its generated stubs (pymilvus.grpc_gen), and the
grpcio and protobuf it pulls. The driver never uses pymilvus's client.

    python build.py resolve <request>              -> {"version": "..."} on stdout
    python build.py build <request> <build_dir>    -> venv, build.json
    python build.py versions <range>               -> {"versions": [...]}: releases in the range

<request> is an exact pymilvus version, a PEP 440 range, "latest", or the path of a local
pymilvus checkout. Runs with the harness's interpreter."""

import json
import re
import subprocess
import sys
import venv
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from buildkit import fail, main  # noqa: E402

PACKAGE = "pymilvus"
# Older pymilvus releases declare ranges today's newest packages no longer satisfy.
COMPAT_PINS = [(SpecifierSet("<2.5"), ["setuptools<81", "marshmallow<4"])]
REPORT = ("import importlib.metadata as m, json; "
          "print(json.dumps({p: m.version(p) for p in ('pymilvus', 'grpcio', 'protobuf')}))")


def published_versions() -> "list[Version]":
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", PACKAGE, "--disable-pip-version-check"],
        capture_output=True, text=True, timeout=120,
    )
    match = re.search(r"Available versions: (.*)", proc.stdout)
    if proc.returncode != 0 or not match:
        fail(f"cannot list {PACKAGE} versions on PyPI: {proc.stderr.strip()[-300:]}")
    found = []
    for text in match.group(1).split(","):
        try:
            found.append(Version(text.strip()))
        except InvalidVersion:
            pass
    return found


def resolve(request: str) -> str:
    if Path(request).is_dir():
        return "checkout:" + str(Path(request).resolve())
    published = published_versions()
    if request == "latest":
        return str(max(v for v in published if not v.is_prerelease))
    try:
        exact = Version(request)
    except InvalidVersion:
        exact = None
    if exact is not None:
        if exact not in published:
            fail(f"{PACKAGE} {request} does not exist on PyPI (newest: "
                 f"{', '.join(str(v) for v in sorted(published)[-8:])})")
        return str(exact)
    try:
        spec = SpecifierSet(request)
    except InvalidSpecifier:
        fail(f"'{request}' is neither a {PACKAGE} version, a version range, nor an existing folder")
    matching = [v for v in published if v in spec and not v.is_prerelease]
    if not matching:
        fail(f"no {PACKAGE} release on PyPI matches '{request}'")
    return str(max(matching))


def versions(spec: str) -> "list[str]":
    try:
        wanted = SpecifierSet(spec)
    except InvalidSpecifier:
        fail(f"'{spec}' is not a version range")
    return [str(v) for v in sorted(published_versions()) if v in wanted and not v.is_prerelease]


def build(request: str, build_dir: str) -> None:
    build_dir = Path(build_dir)
    version = resolve(request)
    checkout = version.startswith("checkout:")
    venv.EnvBuilder(with_pip=True, clear=True).create(build_dir / "venv")
    python = build_dir / "venv" / "bin" / "python"
    target = version[len("checkout:"):] if checkout else f"{PACKAGE}=={version}"
    pins = [] if checkout else [p for spec, extra in COMPAT_PINS if Version(version) in spec for p in extra]
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", target, *pins],
        capture_output=True, text=True, timeout=900,
    )
    if proc.returncode != 0:
        fail(f"pip install {target} failed: {proc.stderr.strip()[-600:]}")
    installed = json.loads(subprocess.run([str(python), "-c", REPORT], capture_output=True, text=True,
                                          check=True).stdout)
    (build_dir / "build.json").write_text(json.dumps({
        "sdk_version": installed["pymilvus"], "source": target if checkout else "pypi", "pins": pins,
        "grpcio": installed["grpcio"], "protobuf": installed["protobuf"],
    }))


if __name__ == "__main__":
    main(resolve, build, versions)
