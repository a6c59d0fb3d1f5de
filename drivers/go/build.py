"""Resolve and build the Go conformance drivers (drivers/PROTOCOL.md section 3).

    python build.py <flavour> resolve <sdk-request>
    python build.py <flavour> build   <sdk-request> <build_dir>

<flavour> is a folder beside this file holding a driver's main.go (sdk-go,
client-v2). <sdk-request> is an exact version (2.4.2 or v2.4.2), "latest", a
range (">=2.3,<2.5", "~2.4", "^2.3", "2.4.*", "2.4"), another Go module query
(a branch or commit), the path of a local checkout of the SDK (a folder), or
the path of a release ARTIFACT: a Go module zip as the Go module proxy serves
it (any file, or a path ending in .zip; every entry under
"<module>@v<version>/", e.g. github.com/milvus-io/milvus-sdk-go/v2@v2.4.2/go.mod;
`go mod download -json <module>@<version>` prints the Zip path of one). resolve
checks it without building (the prefix's module and the root go.mod's module
line must be the flavour's module, the version a semantic version) and prints
"<version>+artifact.<first 12 hex of the zip's sha256>".

build writes a Go module into <build_dir>/src (main.go, direct/main.go, a
copy of ../common, go.mod requiring the SDK at the version, or a replace
directive pointing at the checkout or, for an artifact, at the zip's files
extracted into <build_dir>/sdk, required at the zip's own version so that its
dependencies resolve as for that release; no registry copy of the SDK), runs
go get / go mod tidy / go build with GOFLAGS=-mod=mod and the user's module
and build caches (shared by all builds), and leaves the binaries at
<build_dir>/driver and <build_dir>/direct (the plain-program baseline of
`python -m conformance.bench`, same module and go.mod) and, last,
<build_dir>/build.json (with the GOMODCACHE, GOCACHE and GOPATH it used:
repro.py's programs take go.mod/go.sum from <build_dir>/src and build offline
from those caches). An artifact build records "source": "artifact" and
"artifact": {"file", "digest": "sha256:<hex of the zip file>", "h1": <the
zip's go.sum hash, equal to a registry build's for the same release>}.
"""

import base64
import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

FLAVOURS = {
    "sdk-go": {
        "driver": "go",
        "module": "github.com/milvus-io/milvus-sdk-go/v2",
        "min": (2, 2, 3),  # client.NewClient, client.Config and GetVersion
        "checkout_dirs": [""],
        "tag_prefix": "",
    },
    "client-v2": {
        "driver": "go-client-v2",
        "module": "github.com/milvus-io/milvus/client/v2",
        "min": (2, 5, 0),  # milvusclient.New(ctx, *ClientConfig), GetServerVersion
        "checkout_dirs": ["", "client"],  # the client itself, or a milvus checkout
        "tag_prefix": "client/",
    },
}

SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


class Failure(Exception):
    """A one-line reason for the harness (stderr, non-zero exit)."""


def go_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MILVUS_")}
    env["GOFLAGS"] = "-mod=mod"
    env["GO111MODULE"] = "on"
    env["GOWORK"] = "off"
    if not env.get("HOME"):  # go needs it for its default module and build caches
        env["HOME"] = pwd.getpwuid(os.getuid()).pw_dir
    # Never fetch another Go toolchain behind the user's back; a module that
    # needs a newer Go fails with go's own message instead.
    env.setdefault("GOTOOLCHAIN", "local")
    return env


def go(args, cwd, capture=True) -> str:
    go_bin = shutil.which("go") or "/usr/local/go/bin/go"
    proc = subprocess.run(
        [go_bin, *args], cwd=cwd, env=go_env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE if capture else None,
    )
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or "").splitlines() if ln.strip()]
        raise Failure(f"go {' '.join(args)}: " + (lines[-1] if lines else f"exit {proc.returncode}"))
    return proc.stdout


def strip_v(version: str) -> str:
    return version[1:] if version.startswith("v") else version


def parse(version: str):
    """(major, minor, patch, prerelease-key) for comparisons, or None."""
    m = SEMVER.match(version.strip())
    if not m:
        return None
    pre = m.group(4)
    # A release sorts after its pre-releases.
    pre_key = (1,) if pre is None else (0, *[(0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")])
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), pre_key)


def listed_versions(module: str) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        out = go(["list", "-m", "-versions", module], cwd=tmp)
    parts = out.split()
    return parts[1:] if parts and parts[0] == module else []


def query(module: str, q: str) -> str:
    """Ask the Go module proxy for module@q; returns the exact version."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            out = go(["list", "-m", "-json", f"{module}@{q}"], cwd=tmp)
        except Failure as exc:
            raise Failure(f"{module}@{q} is not served by the Go module proxy ({exc})") from None
    return json.loads(out)["Version"]


def comparator_ok(version: tuple, op: str, bound: str) -> bool:
    b = parse(bound)
    if b is None:
        raise Failure(f"cannot read {bound!r} as a version in the range")
    v, w = version[:4], b[:4]
    return {
        ">=": v >= w, ">": v > w, "<=": v <= w, "<": v < w,
        "==": v == w, "=": v == w, "!=": v != w,
    }[op]


def range_match(spec: str, version: str) -> bool:
    v = parse(version)
    if v is None:
        return False
    for clause in re.split(r"[,\s]+", spec.strip()):
        if not clause:
            continue
        m = re.match(r"^(>=|<=|==|!=|~=|>|<|=|~|\^)?\s*v?([0-9][0-9A-Za-z.*+-]*)$", clause)
        if not m:
            raise Failure(f"cannot read version range clause {clause!r}")
        op, bound = m.group(1) or "", m.group(2)
        nums = bound.split("-")[0].split(".")
        if op == "" and (len(nums) < 3 or "*" in nums or "x" in nums):
            # "2.4", "2.4.*", "2.*": a prefix match
            fixed = [n for n in nums if n not in ("*", "x")]
            if list(map(str, v[: len(fixed)])) != fixed:
                return False
            continue
        full = ".".join((nums + ["0", "0"])[:3])
        major, minor, patch = (int(n) for n in full.split("."))
        if op in ("", "==", "="):
            if not comparator_ok(v, "==", full):
                return False
        elif op in ("~", "~="):
            upper = f"{major}.{minor + 1}.0" if (op == "~" or len(nums) >= 3) else f"{major + 1}.0.0"
            if not (comparator_ok(v, ">=", full) and comparator_ok(v, "<", upper)):
                return False
        elif op == "^":
            upper = f"{major + 1}.0.0" if major > 0 else f"0.{minor + 1}.0"
            if not (comparator_ok(v, ">=", full) and comparator_ok(v, "<", upper)):
                return False
        elif not comparator_ok(v, op, full):
            return False
    # Pre-releases only when the range names one.
    return v[3] == (1,) or "-" in spec


def checkout_module_dir(flavour: dict, path: Path) -> Path:
    for sub in flavour["checkout_dirs"]:
        d = (path / sub) if sub else path
        gomod = d / "go.mod"
        if gomod.is_file():
            m = re.search(r"^module\s+(\S+)", gomod.read_text(), re.M)
            if m and m.group(1) == flavour["module"]:
                return d.resolve()
    raise Failure(f"{path} is not a checkout of {flavour['module']} (no go.mod declaring that module"
                  + (" in it or in its client/ folder)" if "client" in flavour["checkout_dirs"] else ")"))


def checkout_local_replaces(moddir: Path) -> list:
    """The checkout's own replace directives that point at local folders
    (e.g. milvus's client/go.mod: pkg/v2 => ../pkg), made absolute: Go applies
    only the main module's replaces, so the driver module must repeat them."""
    text = (moddir / "go.mod").read_text()
    lines = []
    for block in re.findall(r"^replace\s*\((.*?)^\)", text, re.M | re.S):
        lines += block.splitlines()
    lines += re.findall(r"^replace\s+([^(\n].*)$", text, re.M)
    out = []
    for line in lines:
        line = line.split("//")[0].strip()
        m = re.match(r"^(\S+)(?:\s+\S+)?\s*=>\s*(\.{1,2}/\S*|/\S*)$", line)
        if m:
            target = (moddir / m.group(2)).resolve()
            out.append(f"replace {m.group(1)} => {target}")
    return out


def checkout_version(flavour: dict, moddir: Path) -> str:
    for args in (["--match", f"{flavour['tag_prefix']}v*"], []):
        try:
            out = subprocess.run(["git", "-C", str(moddir), "describe", "--tags", "--always", "--dirty", *args],
                                 text=True, capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            break
        if out.returncode == 0 and out.stdout.strip():
            return strip_v(out.stdout.strip().removeprefix(flavour["tag_prefix"]))
    return "0.0.0-local"


def check_min(flavour: dict, version: str) -> None:
    p = parse(version)
    if p is not None and p[:3] < flavour["min"]:
        raise Failure(f"{flavour['module']} {version} is older than this driver supports "
                      f"(v{'.'.join(map(str, flavour['min']))} or newer: the connect API it uses appeared there)")


def resolve(flavour: dict, request: str) -> str:
    """The exact version (without the leading v) for a request that is not a path."""
    module = flavour["module"]
    req = request.strip()
    if req in ("", "latest"):
        version = query(module, "latest")
    elif SEMVER.match(req):
        version = query(module, "v" + strip_v(req))
    elif re.search(r"[<>=~^*,]|^v?\d+(\.\d+)?(\.[x*])?$", req):
        listed = listed_versions(module)
        matching = [v for v in listed if range_match(req, v)]
        if not matching:
            raise Failure(f"no version of {module} matching {req!r} among those the Go module proxy lists "
                          f"({', '.join(listed) or 'none'}); name an exact version to use an unlisted one")
        version = max(matching, key=parse)
    else:
        version = query(module, req)  # a branch, tag or commit: Go makes it a (pseudo-)version
    check_min(flavour, version)
    return strip_v(version)


def write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def sync_tree(src: Path, dst: Path) -> None:
    """Copy src to dst (Go sources and go.mod only), leaving unchanged files alone."""
    dst.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for f in src.iterdir():
        if f.is_file() and (f.suffix == ".go" or f.name == "go.mod") and not f.name.endswith("_test.go"):
            wanted.add(f.name)
            write_if_changed(dst / f.name, f.read_text())
    for f in dst.iterdir():
        if f.is_file() and f.name not in wanted:
            f.unlink()


def as_path(request: str):
    """The checkout folder a request names, or None (a version, range or query)."""
    if not request.strip():
        return None
    path = Path(os.path.expanduser(request) if request.startswith("~/") else request)
    return path if path.is_dir() else None


def as_artifact(request: str):
    """The module zip a request names (an existing file, or any *.zip path), or None."""
    req = request.strip()
    path = Path(os.path.expanduser(req))
    return path if req and (path.is_file() or req.endswith(".zip")) else None


def read_artifact(flavour: dict, path: Path) -> dict:
    """Check a Go module zip without building: {prefix, version, sha256, h1}, or a one-line Failure."""
    module = flavour["module"]

    def bad(why: str) -> Failure:
        return Failure(f"{path} is not a Go module zip of {module} ({why})")

    if not path.is_file():
        raise Failure(f"{path}: no such file (a Go module zip of {module} was expected)")
    data = path.read_bytes()
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if not n.endswith("/")]
            m = re.match(r"^([^@/][^@]*)@([^/]+)/", names[0]) if names else None
            if not m:
                raise bad("its entries are not under a '<module>@<version>/' folder")
            prefix, zmod, zver = m.group(0), m.group(1), m.group(2)
            if any(not n.startswith(prefix) or ".." in n.split("/") for n in names):
                raise bad(f"its entries are not all under {prefix!r}")
            if zmod != module:
                raise bad(f"its entries are under {prefix!r}: a zip of {zmod}")
            if not zver.startswith("v") or not SEMVER.match(zver):
                raise bad(f"{zver!r} in its entry prefix is not a semantic version")
            if prefix + "go.mod" not in names:
                raise bad(f"no go.mod at {prefix!r}")
            gomod = z.read(prefix + "go.mod").decode("utf-8", "replace")
            declared = re.search(r"^module\s+\"?([^\s\"]+)", gomod, re.M)
            if not declared or declared.group(1) != module:
                raise bad(f"its go.mod declares module {declared.group(1) if declared else None!r}")
            # go.sum's h1: hash of the zip (golang.org/x/mod/sumdb/dirhash.HashZip), to compare with a registry build
            summary = "".join(f"{hashlib.sha256(z.read(n)).hexdigest()}  {n}\n" for n in sorted(names))
    except zipfile.BadZipFile:
        raise bad("not a zip archive") from None
    try:
        check_min(flavour, strip_v(zver))
    except Failure as exc:
        raise Failure(f"{path}: {exc}") from None
    return {"prefix": prefix, "version": strip_v(zver), "sha256": hashlib.sha256(data).hexdigest(),
            "h1": "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()}


def extract_artifact(path: Path, prefix: str, dest: Path) -> Path:
    """The zip's files without their '<module>@<version>/' prefix, as the module's folder."""
    shutil.rmtree(dest, ignore_errors=True)
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not name.endswith("/"):
                target = dest / name[len(prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(z.read(name))
    return dest.resolve()


def build(flavour_name: str, flavour: dict, request: str, build_dir: Path) -> None:
    module = flavour["module"]
    path = as_path(request)
    artifact = as_artifact(request) if path is None else None
    checkout = local = art = None  # local: the folder the SDK module is replaced by
    build_dir.mkdir(parents=True, exist_ok=True)
    if path is not None:
        checkout = local = checkout_module_dir(flavour, path)
        version = checkout_version(flavour, checkout)
    elif artifact is not None:
        art = read_artifact(flavour, artifact)
        version = art["version"]
        local = extract_artifact(artifact, art["prefix"], build_dir / "sdk")
    else:
        version = resolve(flavour, request)

    src = build_dir / "src"
    src.mkdir(exist_ok=True)
    sync_tree(HERE / "common", src / "common")
    write_if_changed(src / "main.go", (HERE / flavour_name / "main.go").read_text())
    sync_tree(HERE / flavour_name / "direct", src / "direct")  # the bench's plain program, same module
    gomod = [
        f"module milvus-conformance/drivers/go/{flavour_name}",
        "",
        "go 1.22",
        "",
        "require milvus-conformance/drivers/go/common v0.0.0",
        "",
        "replace milvus-conformance/drivers/go/common => ./common",
    ]
    if local:
        major = re.search(r"/v(\d+)$", module)
        placeholder = f"v{major.group(1)}.0.0" if major else "v0.0.0"  # any version: the replace wins
        pinned = f"v{version}" if art else placeholder  # an artifact's own version, as if released
        gomod[4:5] = [f"require (\n\tmilvus-conformance/drivers/go/common v0.0.0\n\t{module} {pinned}\n)"]
        gomod.append(f"replace {module} => {local}")
        if checkout:  # a released module's own replaces never apply to its users
            gomod += checkout_local_replaces(checkout)
    new_mod = "\n".join(gomod) + "\n"
    # Keep a previous resolution (go.sum and the requires tidy added) when
    # nothing changed: that makes a checkout's rebuild incremental.
    stamp = src / ".gomod.in"
    if not stamp.exists() or stamp.read_text() != new_mod or not (src / "go.sum").exists():
        (src / "go.mod").write_text(new_mod)
        (src / "go.sum").unlink(missing_ok=True)
        if not local:
            go(["get", f"{module}@v{version}"], cwd=src, capture=False)
        go(["mod", "tidy"], cwd=src, capture=False)
        stamp.write_text(new_mod)
    elif checkout:
        go(["mod", "tidy"], cwd=src, capture=False)  # the checkout's requirements may have changed
    stamp_flag = f"-X milvus-conformance/drivers/go/common.stampedSDKVersion={version}"
    go(["build", "-o", str(build_dir / "driver"), "-ldflags", f"-s -w {stamp_flag}", "."], cwd=src, capture=False)
    go(["build", "-o", str(build_dir / "direct"), "-ldflags", "-s -w", "./direct"], cwd=src, capture=False)
    info = {"sdk_version": version, "source": "checkout" if checkout else "artifact" if art else "go", "module": module,
            "go": go(["env", "GOVERSION"], cwd=src).strip(),
            # the caches this build filled: repro.py's programs build offline from them
            "go_env": json.loads(go(["env", "-json", "GOMODCACHE", "GOCACHE", "GOPATH"], cwd=src))}
    if checkout:
        info["path"] = str(checkout)
    elif art:
        info["path"] = str(artifact.resolve())
        info["artifact"] = {"file": artifact.name, "digest": "sha256:" + art["sha256"], "h1": art["h1"]}
    else:  # the module zip's hash the build verified (go.sum), as the Go proxy serves it
        line = next((l for l in (src / "go.sum").read_text().splitlines()
                     if l.startswith(f"{module} v{version} h1:")), "")
        info["artifact"] = {"file": f"{module}@v{version}", "digest": line.split()[-1]} if line else {}
    (build_dir / "build.json").write_text(json.dumps(info) + "\n")


def versions(flavour: dict, spec: str) -> list:
    """Every release (no pre-release) the Go module proxy lists in the range `spec` ("" = all) that this driver
    supports, oldest first."""
    found = [v for v in listed_versions(flavour["module"])
             if parse(v) is not None and parse(v)[3] == (1,) and parse(v)[:3] >= flavour["min"]
             and (not spec.strip() or range_match(spec, v))]
    return [strip_v(v) for v in sorted(found, key=parse)]


def main(argv) -> int:
    usage = ("usage: build.py <flavour> resolve <sdk> | build.py <flavour> build <sdk> <build_dir> | "
             "build.py <flavour> versions <range>")
    if len(argv) < 3 or argv[0] not in FLAVOURS or argv[1] not in ("resolve", "build", "versions"):
        print(usage, file=sys.stderr)
        return 2
    flavour_name, cmd, request = argv[0], argv[1], argv[2]
    flavour = FLAVOURS[flavour_name]
    try:
        if cmd == "versions":
            print(json.dumps({"versions": versions(flavour, request)}))
        elif cmd == "resolve":
            path = as_path(request)
            artifact = as_artifact(request) if path is None else None
            if path is not None:
                version = checkout_version(flavour, checkout_module_dir(flavour, path))
            elif artifact is not None:  # the digest suffix keys the harness's build cache by the zip
                art = read_artifact(flavour, artifact)
                version = f"{art['version']}+artifact.{art['sha256'][:12]}"
            else:
                version = resolve(flavour, request)
            print(json.dumps({"version": version}))
        else:
            if len(argv) != 4:
                print(usage, file=sys.stderr)
                return 2
            build(flavour_name, flavour, request, Path(argv[3]).resolve())
    except Failure as exc:
        print(f"{flavour['driver']}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
