"""Resolve and build the `cli` driver: the real milvus-cli (PyPI `milvus-cli`,
module `milvus_cli`, command `milvus_cli`) in its own virtual environment.

    python build.py resolve <sdk-request>
        prints {"version": "<exact version>"} as its last stdout line;
        exits 1 with a one-line reason on stderr when nothing matches.
    python build.py build <sdk-request> <build_dir>
        creates <build_dir>/venv, pip-installs milvus-cli there, writes
        <build_dir>/build.json last.

<sdk-request> is an exact version ("1.2.1", "v0.3.3"), a PEP 440 range
(">=0.3,<0.4"), "latest", or the path of a local milvus_cli checkout.

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

PACKAGE = "milvus-cli"
# grpcio/grpcio-tools/numpy/pandas from source would take most of an hour on
# two cores: an interpreter that needs that is skipped instead.
ONLY_BINARY = "grpcio,grpcio-tools,numpy,pandas,protobuf"


def fail(msg):
    sys.stderr.write(msg.replace("\n", " ") + "\n")
    sys.exit(1)


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


def resolve(request):
    request = (request or "").strip()
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
    first = out[:1]
    rest = sorted(out[1:], key=lambda t: tuple(int(x) for x in t[0].split(".")), reverse=True)
    return first + rest


def pip_install(venv_py, target, log):
    cmd = [venv_py, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
           "--prefer-binary", "--only-binary", ONLY_BINARY, target]
    log.write("$ %s\n" % " ".join(cmd))
    log.flush()
    proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=840)
    return proc.returncode == 0


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
    if is_checkout:
        target, source = os.path.abspath(request), "checkout"
    else:
        version = resolve(request)
        target, source = "%s==%s" % (PACKAGE, version), "pypi"
    venv_dir = os.path.join(build_dir, "venv")
    venv_py = os.path.join(venv_dir, "bin", "python")
    log_path = os.path.join(build_dir, "build.log")
    with open(log_path, "a", encoding="utf-8") as log:
        ok = False
        # Incremental rebuild of a checkout: reuse the venv that worked before.
        if is_checkout and os.path.exists(venv_py):
            ok = pip_install(venv_py, target, log)
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
    got = installed_version(venv_py)
    if not got:
        fail("milvus-cli is not importable in %s after install; see %s" % (venv_dir, log_path))
    if not os.path.exists(os.path.join(venv_dir, "bin", "milvus_cli")):
        fail("the milvus_cli command was not installed in %s/bin" % venv_dir)
    py = subprocess.run([venv_py, "-c", "import sys;print('%d.%d.%d' % sys.version_info[:3])"],
                        capture_output=True, text=True).stdout.strip()
    info = {"sdk_version": got, "source": source, "python": py}
    if is_checkout:
        info["checkout"] = os.path.abspath(request)
    with open(build_json + ".tmp", "w") as f:
        json.dump(info, f)
    os.replace(build_json + ".tmp", build_json)
    print(json.dumps(info))


def main(argv):
    if len(argv) >= 2 and argv[0] == "resolve":
        print(json.dumps({"version": resolve(argv[1])}))
    elif len(argv) >= 3 and argv[0] == "build":
        build(argv[1], argv[2])
    else:
        fail("usage: build.py resolve <sdk> | build.py build <sdk> <build_dir>")


if __name__ == "__main__":
    main(sys.argv[1:])
