"""Resolve and build the `cli` driver: the real milvus-cli (PyPI `milvus-cli`,
module `milvus_cli`, command `milvus_cli`) in its own virtual environment.

    python build.py resolve <sdk-request>
        prints {"version": "<exact version>"} as its last stdout line;
        exits 1 with a one-line reason on stderr when nothing matches.
    python build.py build <sdk-request> <build_dir>
        creates <build_dir>/venv, pip-installs milvus-cli there, writes
        <build_dir>/build.json last.

<sdk-request> is an exact version ("1.2.1", "v0.3.3"), a PEP 440 range
(">=0.3,<0.4"), "latest", the path of a local milvus_cli checkout, or the path
of a release artifact: a milvus-cli wheel (.whl) or sdist (.tar.gz), checked by
its METADATA / PKG-INFO without building (pypikit.artifact). An artifact
resolves to "<its version>+artifact.<first 12 hex of its sha256>" and is
installed as that very file, with today's dependencies first as for the newest
release; build.json then says "source": "artifact" and "artifact": {"file",
"digest": "sha256:..."} of the file.

Old milvus-cli releases pin old pymilvus/grpcio versions that publish no
wheels for a current Python (0.3.x needs grpcio<=1.48, wheels up to cp310).
So the build tries interpreters newest first (the harness's own, then other
python3.X found on PATH or under pyenv) and keeps the first one where pip can
install without compiling grpcio from source. Nothing is installed into the
harness's environment.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from buildkit import fail, main  # noqa: E402


PACKAGE = "milvus-cli"
# grpcio/grpcio-tools/numpy/pandas from source would take most of an hour on
# two cores: an interpreter that needs that is skipped instead.
ONLY_BINARY = "grpcio,grpcio-tools,numpy,pandas,protobuf"

# Release dates of milvus-cli (git tags of zilliztech/milvus_cli). Some old
# releases no longer start when pip installs today's dependencies (0.4.3:
# pymilvus 2.4.3 imports pkg_resources, gone from setuptools>=81, and its
# environs 9.5 breaks on marshmallow 4). Then the build is redone with the
# dependencies PyPI had when the next milvus-cli release came out
# (pip --uploaded-prior-to), i.e. what users installed while it was current.
RELEASES = [
    ("0.1.7", "2021-10-15"), ("0.1.8", "2021-11-10"), ("0.1.9", "2022-01-06"),
    ("0.2.0", "2022-01-26"), ("0.3.0", "2022-07-29"), ("0.3.1", "2022-12-19"),
    ("0.3.2", "2023-01-09"), ("0.3.3", "2023-05-02"), ("0.4.0", "2023-08-28"),
    ("0.4.1", "2023-12-08"), ("0.4.2", "2024-01-18"), ("0.4.3", "2024-06-18"),
    ("1.0.0", "2024-07-29"), ("1.0.1", "2024-12-17"), ("1.0.2", "2025-02-10"),
    ("1.2.0", "2026-01-22"), ("1.2.1", "2026-03-06"),
]


# A release whose own dependency list is incomplete or too loose does not start
# even with its era's dependencies: e.g. pymilvus 2.1.0 (milvus-cli 0.3.0)
# imports google.protobuf without requiring it. The build then adds the one
# missing piece, as a user would, and records it in build.json ("repairs").
REPAIRS = [
    ("No module named 'google'", "protobuf<4"),
    ("No module named 'pkg_resources'", "setuptools<81"),
    ("has no attribute '__version_info__'", "marshmallow<4"),
]


def deps_cutoff(version):
    """The date the release after `version` came out (ISO), or None."""
    for i, (v, _date) in enumerate(RELEASES):
        if v == version and i + 1 < len(RELEASES):
            return RELEASES[i + 1][1] + "T00:00:00Z"
    return None



def _packaging():
    try:
        from packaging.specifiers import SpecifierSet
        from packaging.version import InvalidVersion, Version
    except ImportError:  # pip vendors it
        from pip._vendor.packaging.specifiers import SpecifierSet
        from pip._vendor.packaging.version import InvalidVersion, Version
    return SpecifierSet, Version, InvalidVersion


def available_versions():
    """Versions PyPI serves, asked through pip (the ordinary client)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", PACKAGE, "--disable-pip-version-check"],
        capture_output=True, text=True, timeout=180,
    )
    m = re.search(r"Available versions:\s*(.+)", proc.stdout)
    if proc.returncode != 0 or not m:
        fail("cannot list %s versions from PyPI: %s" % (PACKAGE, (proc.stderr or proc.stdout).strip()[-300:]))
    return [v.strip() for v in m.group(1).split(",") if v.strip()]


def checkout_version(path):
    """Version a local checkout declares in setup.py / pyproject.toml."""
    for name in ("setup.py", "pyproject.toml"):
        p = os.path.join(path, name)
        if os.path.isfile(p):
            with open(p, encoding="utf-8", errors="replace") as f:
                m = re.search(r"""version\s*=\s*["']v?([0-9][^"']*)["']""", f.read())
            if m:
                return m.group(1)
    return "checkout"


def release_artifact(request):
    """The artifact `request` names (pypikit.artifact: checked, or one line and exit), or None."""
    if not (request and os.path.isfile(request)):
        return None
    from pypikit import artifact  # the harness's interpreter has packaging

    return artifact(PACKAGE, request)


def resolve(request):
    request = (request or "").strip()
    found = release_artifact(request)
    if found:  # the digest keys the build cache: a rebuilt file with the same version is a new build
        return "%s+artifact.%s" % (found["version"], found["digest"][len("sha256:"):][:12])
    if request and os.path.isdir(request):
        if not (os.path.isfile(os.path.join(request, "setup.py"))
                or os.path.isfile(os.path.join(request, "pyproject.toml"))):
            fail("%s is a directory but not a milvus_cli checkout (no setup.py or pyproject.toml)" % request)
        return checkout_version(request)
    SpecifierSet, Version, InvalidVersion = _packaging()
    versions = available_versions()
    parsed = []
    for v in versions:
        try:
            parsed.append(Version(v))
        except InvalidVersion:
            pass
    if request in ("", "latest", "*"):
        stable = [v for v in parsed if not v.is_prerelease] or parsed
        return str(max(stable))
    req = request[1:] if request[:1] in ("v", "V") and request[1:2].isdigit() else request
    if req[:1].isdigit():
        try:
            want = Version(req)
        except InvalidVersion:
            fail("%s=%s is not a version, a range or a directory" % (PACKAGE, request))
        for v in parsed:
            if v == want:
                return str(v)
        fail("%s %s does not exist on PyPI (available: %s)" % (PACKAGE, request, ", ".join(versions)))
    try:
        spec = SpecifierSet(req)
    except Exception:
        fail("%s=%s is not a version, a range or a directory" % (PACKAGE, request))
    matching = [v for v in parsed if spec.contains(v, prereleases=False)]
    if not matching:
        fail("no %s version on PyPI matches %s (available: %s)" % (PACKAGE, request, ", ".join(versions)))
    return str(max(matching))


def candidate_interpreters():
    """The harness's python first, then other CPython 3.8+ found here."""
    seen, out = set(), []

    def add(path):
        if not path or not os.path.exists(path):
            return
        try:
            proc = subprocess.run([path, "-c", "import sys,venv;print('%d.%d' % sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=30)
        except Exception:
            return
        ver = proc.stdout.strip()
        if proc.returncode != 0 or not re.match(r"^3\.\d+$", ver) or ver in seen:
            return
        if tuple(int(x) for x in ver.split(".")) < (3, 8):
            return
        seen.add(ver)
        out.append((ver, path))

    add(sys.executable)
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for minor in range(14, 7, -1):
        name = "python3.%d" % minor
        add(shutil.which(name))
        for p in sorted(glob.glob(os.path.join(pyenv_root, "versions", "3.%d.*" % minor, "bin", name)), reverse=True):
            add(p)
    # Harness's python first; then older ones, newest first (old milvus-cli
    # releases pin old wheels); then newer ones.
    if not out:
        return out
    key = lambda t: tuple(int(x) for x in t[0].split("."))
    first = out[0]
    older = sorted([t for t in out[1:] if key(t) < key(first)], key=key, reverse=True)
    newer = sorted([t for t in out[1:] if key(t) > key(first)], key=key)
    return [first] + older + newer


def pip_install(venv_py, target, log, cutoff=None):
    cmd = [venv_py, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
           "--prefer-binary", "--only-binary", ONLY_BINARY, target]
    if target.startswith(PACKAGE):  # what it was installed from: the artifact's file and digest
        cmd[4:4] = ["--report", os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(venv_py))),
                                             "pip-report.json")]
    if cutoff:
        cmd[4:4] = ["--uploaded-prior-to", cutoff]
    log.write("$ %s\n" % " ".join(cmd))
    log.flush()
    proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=840)
    return proc.returncode == 0


def smoke(venv_dir, log):
    """Does the installed milvus_cli start? (`milvus_cli --version` imports it all.)"""
    exe = os.path.join(venv_dir, "bin", "milvus_cli")
    if not os.path.exists(exe):
        return False, "no milvus_cli command in %s/bin" % venv_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MILVUS_", "ZILLIZ_"))}
    try:
        proc = subprocess.run([exe, "--version"], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=180, env=env)
    except subprocess.TimeoutExpired:
        return False, "milvus_cli --version did not finish in 180 s"
    out = (proc.stdout + proc.stderr).strip()
    log.write("$ milvus_cli --version -> %d\n%s\n" % (proc.returncode, out))
    log.flush()
    if proc.returncode == 0 and "Milvus_CLI" in proc.stdout:
        # `--version` does not import the SDK; `connect` does. A release whose era's wheels do not fit this
        # Python (numpy "dtype size changed") must fail here, as a build error, not at its first connect as a
        # finding against it.
        py = os.path.join(venv_dir, "bin", "python")
        sdk = subprocess.run([py, "-c", "import pymilvus"], stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=180, env=env)
        log.write("$ python -c 'import pymilvus' -> %d\n%s\n" % (sdk.returncode, sdk.stderr.strip()[-2000:]))
        log.flush()
        if sdk.returncode == 0:
            return True, out
        out = sdk.stderr.strip()
        proc = sdk
    lines = [l for l in out.splitlines() if l.strip()]
    return False, (lines[-1] if lines else "exit status %d" % proc.returncode)


def installed_version(venv_py):
    proc = subprocess.run(
        [venv_py, "-c", "import importlib.metadata as m; print(m.version('milvus-cli'))"],
        capture_output=True, text=True,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def build(request, build_dir):
    os.makedirs(build_dir, exist_ok=True)
    build_json = os.path.join(build_dir, "build.json")
    if os.path.exists(build_json):
        os.remove(build_json)
    is_checkout = os.path.isdir(request)
    release = release_artifact(request)
    if is_checkout:
        target, source = os.path.abspath(request), "checkout"
    elif release:  # exactly that file; today's dependencies first, its era's if they do not start (as for a release)
        target, source = release["path"], "artifact"
    else:
        version = resolve(request)
        target, source = "%s==%s" % (PACKAGE, version), "pypi"
    venv_dir = os.path.join(build_dir, "venv")
    venv_py = os.path.join(venv_dir, "bin", "python")
    log_path = os.path.join(build_dir, "build.log")
    cutoff_used = None
    with open(log_path, "a", encoding="utf-8") as log:
        ok = False
        interp = None
        # Incremental rebuild of a checkout: reuse the venv that worked before.
        if is_checkout and os.path.exists(venv_py):
            ok = pip_install(venv_py, target, log)
            interp = venv_py
        if not ok:
            for ver, interp in candidate_interpreters():
                shutil.rmtree(venv_dir, ignore_errors=True)
                log.write("\n== trying Python %s (%s)\n" % (ver, interp))
                log.flush()
                proc = subprocess.run([interp, "-m", "venv", venv_dir], stdout=log, stderr=subprocess.STDOUT)
                if proc.returncode != 0:
                    continue
                if pip_install(venv_py, target, log):
                    ok = True
                    break
        if not ok:
            shutil.rmtree(venv_dir, ignore_errors=True)
            fail("pip could not install %s with any Python here (3.8+, no grpcio source build); see %s"
                 % (target, log_path))
        started, why = smoke(venv_dir, log)
        cutoff = None if is_checkout else deps_cutoff(installed_version(venv_py) or "")
        if not started and cutoff:
            log.write("\n== milvus_cli does not start with today's dependencies (%s);"
                      " reinstalling with dependencies uploaded before %s\n" % (why, cutoff))
            log.flush()
            shutil.rmtree(venv_dir, ignore_errors=True)
            subprocess.run([interp, "-m", "venv", venv_dir], stdout=log, stderr=subprocess.STDOUT, check=True)
            subprocess.run([venv_py, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-U", "pip"],
                           stdout=log, stderr=subprocess.STDOUT)
            if pip_install(venv_py, target, log, cutoff=cutoff):
                started, why2 = smoke(venv_dir, log)
                cutoff_used = cutoff
                why = why if started else why2
        repairs = []
        for _ in range(len(REPAIRS)):
            if started:
                break
            fix = next((req for needle, req in REPAIRS if needle in why and req not in repairs), None)
            if fix is None:
                break
            log.write("\n== milvus_cli does not start (%s); adding %s\n" % (why, fix))
            log.flush()
            if not pip_install(venv_py, fix, log, cutoff=cutoff_used):
                break
            repairs.append(fix)
            started, why = smoke(venv_dir, log)
        if not started:
            fail("%s installed but milvus_cli does not start: %s (see %s)" % (target, why, log_path))
    got = installed_version(venv_py)
    if not got:
        fail("milvus-cli is not importable in %s after install; see %s" % (venv_dir, log_path))
    if not os.path.exists(os.path.join(venv_dir, "bin", "milvus_cli")):
        fail("the milvus_cli command was not installed in %s/bin" % venv_dir)
    py = subprocess.run([venv_py, "-c", "import sys;print('%d.%d.%d' % sys.version_info[:3])"],
                        capture_output=True, text=True).stdout.strip()
    from pypikit import artifact_of  # the harness's interpreter has packaging; older ones need not

    info = {"sdk_version": release["version"] if release else got, "source": source, "python": py,
            "artifact": {"file": release["file"], "digest": release["digest"]} if release
            else artifact_of(Path(build_dir) / "pip-report.json", PACKAGE)}
    if cutoff_used:
        info["dependencies_uploaded_prior_to"] = cutoff_used
    if repairs:
        info["repairs"] = repairs
    if is_checkout:
        info["checkout"] = os.path.abspath(request)
    with open(build_json + ".tmp", "w") as f:
        json.dump(info, f)
    os.replace(build_json + ".tmp", build_json)
    print(json.dumps(info))



def versions(spec):
    """Every final milvus-cli release on PyPI in the range `spec` ("" = all), oldest first."""
    SpecifierSet, Version, InvalidVersion = _packaging()
    try:
        wanted = SpecifierSet(spec or "")
    except Exception:
        fail("'%s' is not a version range" % spec)
    parsed = []
    for v in available_versions():
        try:
            parsed.append(Version(v))
        except InvalidVersion:
            pass
    return [str(v) for v in sorted(parsed) if wanted.contains(v, prereleases=False)]


if __name__ == "__main__":
    main(resolve, build, versions)
