"""Build the Node.js driver for @zilliz/milvus2-sdk-node (drivers/PROTOCOL.md section 3).

    python build.py resolve <sdk-request>
        prints {"version": "<exact>"} as the last stdout line; exits 1 with a
        one-line reason on stderr when no published version matches.
    python build.py build <sdk-request> <build_dir>
        npm-installs the SDK into build_dir (its own package.json and
        node_modules, never the harness's environment) and writes
        build_dir/build.json last.

<sdk-request> is an exact version ("2.6.17"), an npm range or tag ("2.5",
">=2.4 <2.6", "^2.4", "latest"), a PEP 440-style range (">=2.4,<2.6": commas
become spaces), the path of a local checkout of milvus-sdk-node, or the path
of a release artifact (the release gate tests the very file it publishes):

- an npm package tarball (what `npm pack` makes: a gzip tar holding
  package/package.json), any file name;
- an unpacked built package: a directory holding package.json and the built
  entry point its "main" names (dist/milvus), i.e. the tarball extracted. A
  directory with .git or tsconfig.json is a source checkout instead.

An artifact is validated without building (package.json must name
@zilliz/milvus2-sdk-node with a semver version) and resolves to
"<version>+artifact.<first 12 hex of its digest>", so a rebuilt artifact of
the same version is a new build. It is npm-installed as it is (a directory with
--install-links: copied, not linked), its dependencies resolved from npm as for
a released version. build.json records "source": "artifact" and "artifact":
{"file", "digest"}: "sha256:<hex>" of the tarball file, or for a directory the
sha256 of its sorted lines "<relative path>\0<sha256 of the file>\n"
(node_modules left out: npm never packs it).

A checkout is built in place when needed (npm install + npm run build, skipped
when dist/ is newer than the sources) and installed into build_dir as a link.

The driver program itself (driver.js) runs from the driver folder and loads
the SDK from build_dir, so editing driver.js never leaves a stale copy in the
cache.
"""

import json
import os
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from buildkit import fail, main  # noqa: E402


PACKAGE = "@zilliz/milvus2-sdk-node"
HERE = os.path.dirname(os.path.abspath(__file__))



def npm() -> str:
    path = shutil.which("npm")
    if not path:
        fail("npm is not on PATH: the node driver needs Node.js (>= 18) and npm")
    return path


def run(cmd, cwd=None, timeout=900, quiet=False):
    """Run a command; its output goes to stderr (stdout is reserved for the JSON answer)."""
    proc = subprocess.run(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout
    )
    if proc.stdout and not quiet:
        sys.stderr.write(proc.stdout)
    return proc


def version_key(v: str):
    """Sort key for semver strings: release parts numerically, a pre-release below its release."""
    main, _, pre = v.partition("-")
    nums = []
    for part in main.split("."):
        nums.append(int(part) if part.isdigit() else -1)
    while len(nums) < 3:
        nums.append(0)
    return (nums, 0 if pre else 1, pre)


def is_checkout(request: str) -> bool:
    return os.path.isdir(request) and not is_unpacked(request)


SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


def is_unpacked(path: str) -> bool:
    """An extracted npm pack tarball, not a source checkout: npm packs only dist/ (the "files" field),
    never the .git or tsconfig.json a checkout that `npm run build` needs has."""
    return os.path.isfile(os.path.join(path, "package.json")) and not any(
        os.path.exists(os.path.join(path, name)) for name in (".git", "tsconfig.json"))


def has_entry(root: str, main: str) -> bool:
    """Whether `main` resolves as require() would: the file, main.js or main/index.js."""
    base = os.path.join(root, main)
    return any(os.path.isfile(p) for p in (base, base + ".js", os.path.join(base, "index.js")))


def tree_digest(root: str) -> str:
    """sha256 of the sorted lines "<relative path>\\0<sha256 of the file>\\n" (node_modules is no part of a package)."""
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "node_modules"]
        for name in filenames:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                lines.append(f"{os.path.relpath(path, root).replace(os.sep, '/')}\0{hashlib.sha256(f.read()).hexdigest()}\n")
    return hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()


def artifact(request: str):
    """(version, sha256 hex) of the release artifact `request` names, validated without building;
    None when the request is no artifact (a version, a range or a source checkout)."""
    if os.path.isfile(request):
        what, pkg = "an npm package tarball", None
        try:
            with tarfile.open(request, "r:gz") as tar:
                pkg = json.load(tar.extractfile("package/package.json"))
        except KeyError:
            fail(f"{request} is not {what} of {PACKAGE} (no package/package.json in it)")
        except Exception as exc:  # noqa: BLE001 - whatever tarfile, gzip or json raise: not a package tarball
            fail(f"{request} is not {what} of {PACKAGE} ({exc or type(exc).__name__})")
        with open(request, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    elif os.path.isdir(request) and is_unpacked(request):
        what = "an unpacked built package"
        try:
            with open(os.path.join(request, "package.json"), encoding="utf-8") as f:
                pkg = json.load(f)
        except ValueError as exc:
            fail(f"{request} is not {what} of {PACKAGE} (its package.json is not JSON: {exc})")
        digest = None
    else:
        return None
    pkg = pkg if isinstance(pkg, dict) else {}
    if pkg.get("name") != PACKAGE:
        fail(f"{request} is not {what} of {PACKAGE} (its package.json names {pkg.get('name')!r})")
    version = pkg.get("version")
    if not isinstance(version, str) or not SEMVER.match(version):
        fail(f"{request} is not {what} of {PACKAGE} (its package.json version {version!r} is not semver)")
    if digest is None:
        main = pkg.get("main") or "index.js"
        if not has_entry(request, main):
            fail(f"{request} is not {what} of {PACKAGE} (no built entry point {main!r}, its package.json's main)")
        digest = tree_digest(request)
    return version, digest


def checkout_info(path: str) -> dict:
    pkg_file = os.path.join(path, "package.json")
    if not os.path.isfile(pkg_file):
        fail(f"{path} is a directory without package.json: not a milvus-sdk-node checkout")
    with open(pkg_file, encoding="utf-8") as f:
        pkg = json.load(f)
    if pkg.get("name") != PACKAGE:
        fail(f"{pkg_file} names package {pkg.get('name')!r}, expected {PACKAGE!r}")
    return pkg


def npm_request(request: str) -> str:
    req = request.strip()
    if req.startswith("=="):
        req = req[2:]
    req = re.sub(r"\s*,\s*", " ", req)  # PEP 440 "a,b" -> npm "a b"
    return req


def resolve(request: str) -> str:
    found = artifact(request)
    if found:
        return f"{found[0]}+artifact.{found[1][:12]}"  # the digest keys the build cache
    if is_checkout(request):
        return checkout_info(os.path.abspath(request)).get("version") or "0.0.0-local"
    if request.startswith((".", "/", "~")) or os.sep in request:
        fail(f"{request}: no such file or directory (an npm pack tarball, an unpacked package or a "
             "local checkout of milvus-sdk-node) and not a version")
    req = npm_request(request)
    if not req:
        fail("empty SDK version request")
    proc = subprocess.run(
        [npm(), "view", f"{PACKAGE}@{req}", "version", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120,
    )
    out = proc.stdout.strip()
    data = None
    if out:
        try:
            data = json.loads(out)
        except ValueError:
            data = None
    if proc.returncode != 0 or not data or (isinstance(data, dict) and "error" in data):
        reason = ""
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            reason = data["error"].get("summary") or ""
        if not reason:
            lines = [l for l in proc.stderr.splitlines() if l.strip()]
            reason = lines[0] if lines else "no such version"
        fail(f"{PACKAGE}@{request}: no published version matches ({reason})")
    versions = data if isinstance(data, list) else [data]
    versions = [v for v in versions if isinstance(v, str)]
    if not versions:
        fail(f"{PACKAGE}@{request}: no published version matches")
    return max(versions, key=version_key)


def newest_mtime(root: str, skip=("node_modules", ".git", "dist", "test", "docs")) -> float:
    newest = 0.0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            try:
                newest = max(newest, os.path.getmtime(os.path.join(dirpath, name)))
            except OSError:
                pass
    return newest


def build_checkout(src: str, build_dir: str) -> str:
    """Build a local checkout in place (incrementally) and return its version.

    The build is skipped when build_dir/checkout-stamp.json records a successful
    build of this checkout newer than every source file."""
    pkg = checkout_info(src)
    scripts = pkg.get("scripts") or {}
    dist = os.path.join(src, "dist")
    main = pkg.get("main") or "dist/milvus"
    has_main = has_entry(src, main)
    node_modules = os.path.join(src, "node_modules")
    lock_stamp = os.path.join(node_modules, ".package-lock.json")
    need_deps = not os.path.isdir(node_modules) or (
        os.path.exists(lock_stamp)
        and os.path.getmtime(os.path.join(src, "package.json")) > os.path.getmtime(lock_stamp)
    )
    if need_deps:
        sys.stderr.write(f"[build] npm install in {src}\n")
        proc = run([npm(), "install", "--no-audit", "--no-fund"], cwd=src)
        if proc.returncode != 0:
            fail(f"npm install failed in checkout {src} (exit {proc.returncode})")
    if "build" in scripts:
        stamp_file = os.path.join(build_dir, "checkout-stamp.json")
        stamp = {}
        try:
            with open(stamp_file, encoding="utf-8") as f:
                stamp = json.load(f)
        except (OSError, ValueError):
            pass
        newest_src = newest_mtime(src)
        stale = (not has_main or not os.path.isdir(dist) or stamp.get("src") != src
                 or newest_src > float(stamp.get("built_at", 0)))
        if stale:
            sys.stderr.write(f"[build] npm run build in {src}\n")
            started = time.time()
            proc = run([npm(), "run", "build"], cwd=src)
            if proc.returncode != 0:
                if os.path.exists(stamp_file):
                    os.remove(stamp_file)
                fail(f"`npm run build` failed in checkout {src} (exit {proc.returncode}); "
                     "see the output above (is the proto submodule checked out?)")
            write_json(stamp_file, {"src": src, "built_at": min(started, time.time())})
    elif not has_main:
        fail(f"checkout {src} has no {main} and no build script")
    return pkg.get("version") or "0.0.0-local"


def write_json(path: str, data: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f)
        f.write("\n")
    os.replace(tmp, path)


def build(request: str, build_dir: str) -> None:
    build_dir = os.path.abspath(build_dir)
    found = artifact(request)
    version = None if found or is_checkout(request) else resolve(request)  # fail before touching build_dir
    os.makedirs(build_dir, exist_ok=True)
    build_json = os.path.join(build_dir, "build.json")
    if os.path.exists(build_json):
        os.remove(build_json)  # written again last: a half-done build never looks complete
    if found:  # a clean install: npm would keep an earlier copy installed from the same path
        shutil.rmtree(os.path.join(build_dir, "node_modules"), ignore_errors=True)
        for name in ("package.json", "package-lock.json"):
            if os.path.exists(os.path.join(build_dir, name)):
                os.remove(os.path.join(build_dir, name))
    pkg_json = os.path.join(build_dir, "package.json")
    if not os.path.exists(pkg_json):
        write_json(pkg_json, {"name": "milvus-conformance-node-driver-build", "private": True,
                              "version": "0.0.0", "description": "SDK install for drivers/node"})
    t0 = time.time()
    flags = []
    if found:
        version, spec, source = found[0], os.path.abspath(request), "artifact"
        flags = ["--install-links"]  # a directory is copied as npm would pack it, not linked
    elif is_checkout(request):
        src = os.path.abspath(request)
        version = build_checkout(src, build_dir)
        spec = src
        source = "checkout"
    else:
        spec = f"{PACKAGE}@{version}"
        source = "npm"
    sys.stderr.write(f"[build] npm install {spec} into {build_dir}\n")
    proc = run([npm(), "install", "--no-audit", "--no-fund", "--no-update-notifier", *flags, spec], cwd=build_dir)
    if proc.returncode != 0:
        fail(f"npm install {spec} failed (exit {proc.returncode}); see the output above")
    # Check that it loads under this Node, with stdout kept clean.
    probe = ("const m=require(" + json.dumps(PACKAGE) + ");"
             "if(typeof m.MilvusClient!=='function'){process.exit(3)}")
    proc = subprocess.run(["node", "-e", probe], cwd=build_dir, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["MilvusClient not exported"])[-1]
        fail(f"{spec} installed but does not load under node {node_version()}: {tail}")
    installed = os.path.join(build_dir, "node_modules", *PACKAGE.split("/"), "package.json")
    try:
        with open(installed, encoding="utf-8") as f:
            version = json.load(f).get("version") or version
    except OSError:
        pass
    info = {"sdk_version": version, "source": source, "node": node_version(),
            "build_seconds": round(time.time() - t0, 1), "artifact": lock_artifact(build_dir)}
    if found:
        info["artifact"] = {"file": os.path.basename(spec), "digest": f"sha256:{found[1]}"}
        if os.path.isdir(spec):
            info["artifact"]["digest_of"] = "sorted lines '<relative path>\\0<sha256 of the file>\\n'"
    if source == "checkout":
        info["checkout"] = spec
    write_json(build_json, info)
    print(json.dumps(info))


def lock_artifact(build_dir: str) -> dict:
    """The tarball npm installed the SDK from and its integrity (package-lock.json), or {}."""
    try:
        with open(os.path.join(build_dir, "package-lock.json"), encoding="utf-8") as f:
            entry = json.load(f).get("packages", {}).get(f"node_modules/{PACKAGE}", {})
    except (OSError, ValueError):
        return {}
    found = {"file": entry.get("resolved", "").rsplit("/", 1)[-1], "digest": entry.get("integrity", "")}
    return {k: v for k, v in found.items() if v}


def node_version() -> str:
    try:
        return subprocess.run(["node", "--version"], stdout=subprocess.PIPE, text=True, timeout=30).stdout.strip()
    except Exception:  # noqa: BLE001
        return "?"



def versions(spec: str) -> list:
    """Every final release on npm in the range `spec` ("" = all, npm or PEP 440 syntax), oldest first."""
    req = npm_request(spec) or "*"
    proc = subprocess.run([npm(), "view", f"{PACKAGE}@{req}", "version", "--json"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    try:
        data = json.loads(proc.stdout.strip() or "[]")
    except ValueError:
        data = []
    if proc.returncode != 0 or isinstance(data, dict):
        fail(f"cannot list {PACKAGE} versions on npm for '{spec}': {proc.stderr.strip()[-300:]}")
    listed = data if isinstance(data, list) else [data]
    return sorted((v for v in listed if isinstance(v, str) and "-" not in v), key=version_key)


if __name__ == "__main__":
    main(resolve, build, versions)
