"""Resolve and build the Java drivers (drivers/PROTOCOL.md section 3).

    python build.py resolve [--flavour v1|v2] <sdk-request>
    python build.py build   [--flavour v1|v2] <sdk-request> <build_dir>

<sdk-request> is a milvus-sdk-java version ("2.6.22"), "latest", a range
(">=2.4,<2.6", "2.5.*"), the path of a local checkout of milvus-sdk-java, or
the path of a release artifact: a milvus-sdk-java jar FILE (any name), i.e.
a zip holding META-INF/maven/io.milvus/milvus-sdk-java/pom.properties (its
version) and pom.xml. resolve validates it without building and prints
"<version>+artifact.<first 12 hex of its sha256>"; build puts exactly that
jar into lib/ and resolves the dependencies its own pom.xml declares, as
Maven does for a released version (the registry's jar and pom of that
version are not used), then writes build.json with "source": "artifact" and
"artifact": {"file": <name>, "digest": "sha256:<hex of the file>"}.

The build writes, in <build_dir>:
    pom.xml        the SDK (io.milvus:milvus-sdk-java) + gson + slf4j-simple
    lib/           every runtime jar (mvn dependency:copy-dependencies)
    classes-*/     the compiled driver (run.sh compiles; it recompiles there
                   when the sources change after the build)
    build.json     last: {"sdk_version", "source", "flavour", ...}
Maven runs offline first (-o) and goes online only when something is missing,
so a warm ~/.m2 builds without the network. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
GROUP, ARTIFACT = "io.milvus", "milvus-sdk-java"
GSON = ("com.google.code.gson", "gson", "2.13.1")
SLF4J = "1.7.36"  # the slf4j-api line the SDK compiles against (scope provided)
DEPENDENCY_PLUGIN = "3.6.1"
V2_MIN = (2, 4, 3)  # MilvusClientV2 came in 2.4.0; getServerVersion() and close() in 2.4.3
METADATA_MAX_AGE_S = 6 * 3600


class BuildError(Exception):
    """One line for the user: printed on stderr, exit status 1."""


def log(msg: str) -> None:
    print(f"[java build] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ maven


def local_repo() -> Path:
    settings = Path.home() / ".m2" / "settings.xml"
    if settings.exists():
        m = re.search(r"<localRepository>\s*([^<]+?)\s*</localRepository>", settings.read_text())
        if m:
            return Path(os.path.expanduser(m.group(1)))
    return Path.home() / ".m2" / "repository"


def mvn(args: list[str], cwd: Path | None = None, *, offline_first: bool = True, quiet: bool = True) -> None:
    """Runs mvn, offline first when asked; raises BuildError with the last line of Maven's output."""
    if shutil.which("mvn") is None:
        raise BuildError("mvn is not installed (apt-get install maven)")
    base = ["mvn", "-B"] + (["-q"] if quiet else [])
    attempts = [base + ["-o"] + args, base + args] if offline_first else [base + args]
    last = None
    for i, cmd in enumerate(attempts):
        proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode == 0:
            return
        last = proc.stdout
        if i + 1 < len(attempts):
            log("offline Maven run failed; retrying online")
    lines = [l.strip() for l in (last or "").splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("[ERROR]") and len(l) > 8]
    sys.stderr.write((last or "")[-4000:])
    raise BuildError(f"mvn {' '.join(args[:2])} failed: {(errors or lines or ['no output'])[0]}")


def published_versions() -> list[str]:
    """Every version Maven Central lists for the SDK (maven-metadata.xml, refreshed when stale)."""
    repo_dir = local_repo() / GROUP.replace(".", "/") / ARTIFACT
    meta = repo_dir / "maven-metadata-central.xml"
    fresh = meta.exists() and time.time() - meta.stat().st_mtime < METADATA_MAX_AGE_S
    if not fresh:
        try:
            # Resolving RELEASE makes Maven fetch (and cache) the metadata; ":pom" keeps it small.
            mvn(["dependency:get", f"-Dartifact={GROUP}:{ARTIFACT}:RELEASE:pom", "-Dtransitive=false"],
                cwd=Path.home(), offline_first=False)
            if meta.exists():
                os.utime(meta)
        except BuildError as e:
            if not meta.exists():
                raise BuildError(f"cannot list {GROUP}:{ARTIFACT} versions from Maven Central: {e}") from e
            log(f"using cached version list ({e})")
    root = ET.parse(meta).getroot()
    return [v.text.strip() for v in root.iter("version") if v.text]


# ------------------------------------------------------------------ versions


def vkey(v: str) -> tuple:
    """Maven-ish ordering: numbers numerically; a qualifier (beta4) sorts before the release."""
    m = re.match(r"^(\d+(?:\.\d+)*)(.*)$", v)
    if not m:
        return ((), 0, v)
    nums = tuple(int(x) for x in m.group(1).split("."))
    nums = nums + (0,) * (4 - len(nums))
    qual = m.group(2).lstrip("-.")
    return (nums, 0 if qual else 1, qual)


def is_prerelease(v: str) -> bool:
    return bool(vkey(v)[2])


def matches(v: str, spec: str) -> bool:
    for clause in [c.strip() for c in spec.split(",") if c.strip()]:
        m = re.match(r"^(>=|<=|==|!=|~=|>|<|=|\^|~)?\s*(.+)$", clause)
        op, want = m.group(1) or "==", m.group(2)
        if want.endswith(".*"):
            prefix = want[:-2]
            ok = v == prefix or v.startswith(prefix + ".")
            if (op in ("==", "=") and not ok) or (op == "!=" and ok):
                return False
            continue
        a, b = vkey(v), vkey(want)
        parts = [int(x) for x in re.findall(r"\d+", want)]
        if op in ("==", "="):
            ok = a == b
        elif op == "!=":
            ok = a != b
        elif op == ">=":
            ok = a >= b
        elif op == "<=":
            ok = a <= b
        elif op == ">":
            ok = a > b
        elif op == "<":
            ok = a < b
        elif op in ("~=", "~"):  # compatible release: same prefix minus the last component
            keep = parts[:-1] if op == "~=" and len(parts) > 1 else parts[:2]
            ok = a >= b and list(a[0][: len(keep)]) == keep
        elif op == "^":
            ok = a >= b and a[0][0] == parts[0]
        else:
            ok = False
        if not ok:
            return False
    return True


def checkout_version(path: Path) -> str:
    pom = path / "pom.xml"
    if not pom.exists():
        raise BuildError(f"{path} has no pom.xml: not a milvus-sdk-java checkout")
    root = ET.parse(pom).getroot()
    ns = {"m": root.tag[1:].split("}")[0]} if root.tag.startswith("{") else {}
    p = "m:" if ns else ""
    art = root.findtext(f"{p}artifactId", namespaces=ns) or ""
    version = root.findtext(f"{p}version", namespaces=ns) or ""
    if "${revision}" in version:
        version = root.findtext(f"{p}properties/{p}revision", namespaces=ns) or version
    core = path / "sdk-core" / "pom.xml"
    if art not in (ARTIFACT, "milvus-sdk-java-parent") and not core.exists():
        raise BuildError(f"{path} is not a milvus-sdk-java checkout (artifactId {art!r})")
    if not version or "$" in version:
        raise BuildError(f"cannot read the SDK version from {pom}")
    return version


def as_path(req: str) -> Path:
    return Path(os.path.expanduser(req)) if req.startswith("~/") else Path(req)


def read_artifact(req: str) -> tuple[str, str, bytes]:
    """A release artifact (a jar file) -> (declared version, sha256 hex, its embedded pom.xml);
    a BuildError naming the file when it is not a milvus-sdk-java jar."""
    path, want, meta = as_path(req), f"a jar of {GROUP}:{ARTIFACT}", f"META-INF/maven/{GROUP}/{ARTIFACT}/"
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if meta + "pom.properties" not in names or meta + "pom.xml" not in names:
                # Name what the jar is instead (Maven writes META-INF/maven/<group>/<artifact>/pom.properties).
                other = sorted(":".join(n.split("/")[2:4]) for n in names
                               if n.startswith("META-INF/maven/") and n.endswith("/pom.properties"))
                raise BuildError(f"{req} is not {want} (" + (f"its META-INF/maven names {', '.join(other)})" if other
                                 else f"it has no {meta}pom.properties and pom.xml)"))
            props = dict(l.split("=", 1) for l in z.read(meta + "pom.properties").decode("utf-8", "replace").splitlines()
                         if "=" in l and not l.startswith("#"))
            pom = z.read(meta + "pom.xml")
            if not any(n.endswith(".class") for n in names):
                raise BuildError(f"{req} is not {want} (it holds no classes: a -sources or -javadoc jar?)")
    except zipfile.BadZipFile:
        raise BuildError(f"{req} is not {want} (not a zip file)") from None
    except OSError as e:
        raise BuildError(f"cannot read {req}: {e.strerror or e}") from None
    version = props.get("version", "").strip()
    if not re.match(r"^\d+(\.\d+)+([.-][\w.-]+)?$", version):
        raise BuildError(f"{req} is not {want} (its pom.properties version {version!r} is not a version)")
    return version, digest, pom


def resolve(request: str, flavour: str) -> tuple[str, str]:
    """-> (version, source) where source is "maven", "checkout" or "artifact"."""
    req = request.strip()
    if req and as_path(req).is_dir():
        version = checkout_version(as_path(req).resolve())
        check_flavour(version, flavour)
        return version, "checkout"
    if req and as_path(req).is_file():
        version = read_artifact(req)[0]
        check_flavour(version, flavour)
        return version, "artifact"
    if req and (os.sep in req or req.startswith(".") or req.endswith(".jar")):
        raise BuildError(f"{req}: no such file or directory (a {ARTIFACT} jar or a local checkout was expected)")
    versions = published_versions()
    if req.lower() in ("", "latest", "*"):
        candidates = [v for v in versions if not is_prerelease(v)]
    elif re.match(r"^(==|=)?\s*\d[\w.\-]*$", req) and "*" not in req:
        exact = req.lstrip("=").strip()
        if exact not in versions:
            near = sorted(versions, key=vkey)[-5:]
            raise BuildError(f"{GROUP}:{ARTIFACT}:{exact} does not exist on Maven Central "
                             f"(newest: {', '.join(near)})")
        candidates = [exact]
    else:
        try:
            candidates = [v for v in versions if matches(v, req)
                          and (not is_prerelease(v) or re.search(r"[a-zA-Z]", req))]
        except Exception as e:  # a malformed clause
            raise BuildError(f"cannot read version request {req!r}: {e}") from e
        if not candidates:
            raise BuildError(f"no {GROUP}:{ARTIFACT} version on Maven Central matches {req!r}")
    version = max(candidates, key=vkey)
    check_flavour(version, flavour)
    return version, "maven"


def check_flavour(version: str, flavour: str) -> None:
    if flavour == "v2" and vkey(version)[0][:3] < V2_MIN:
        raise BuildError(f"the java-v2 driver needs MilvusClientV2.getServerVersion()/close(), which {ARTIFACT} "
                         f"has since {'.'.join(map(str, V2_MIN))}; {version} is older")


# ------------------------------------------------------------------ build


def pom_xml(sdk: tuple | None, repo: Path | None = None) -> str:
    """sdk: (group, artifact, version[, type]) of the SDK dependency; repo: a file repository holding it."""
    deps = [sdk] if sdk else []
    deps += [GSON, ("org.slf4j", "slf4j-api", SLF4J), ("org.slf4j", "slf4j-simple", SLF4J)]
    dep_xml = "\n".join(
        f"    <dependency><groupId>{d[0]}</groupId><artifactId>{d[1]}</artifactId><version>{d[2]}</version>"
        + (f"<type>{d[3]}</type>" if len(d) > 3 else "") + "</dependency>"
        for d in deps)
    repo_xml = (f"\n  <repositories><repository><id>sdk-artifact</id><url>{repo.as_uri()}</url></repository>"
                "</repositories>" if repo else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by drivers/java/build.py: the runtime class path of a Java driver. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>milvusconf</groupId>
  <artifactId>java-driver-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <properties>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>{repo_xml}
  <dependencies>
{dep_xml}
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>{DEPENDENCY_PLUGIN}</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
"""


def copy_dependencies(project_dir: Path, lib: Path, extra: list[str] | None = None) -> None:
    mvn([f"org.apache.maven.plugins:maven-dependency-plugin:{DEPENDENCY_PLUGIN}:copy-dependencies",
         f"-DoutputDirectory={lib}", "-DincludeScope=runtime", "-Dmdep.useRepositoryLayout=false"]
        + (extra or []), cwd=project_dir)


def build_checkout(path: Path, lib: Path) -> None:
    """Builds the checkout's SDK jar (no install: ~/.m2's released artifacts stay untouched)
    and copies it with its runtime dependencies into lib/."""
    multi = (path / "sdk-core" / "pom.xml").exists()
    module = path / "sdk-core" if multi else path
    sel = ["-pl", "sdk-core", "-am"] if multi else []
    if not (path / "sdk-core" / "src" / "main" / "milvus-proto").exists() and not (path / "src" / "main" / "milvus-proto").exists():
        log("warning: the checkout has no milvus-proto folder (git submodule update --init?)")
    log(f"building the SDK jar in {path} (mvn package -Dmaven.test.skip=true)")
    # maven.test.skip: the SDK pom pins surefire skipTests=false, so -DskipTests is not enough.
    mvn(["package", "-Dmaven.test.skip=true", "-Dmaven.javadoc.skip=true", "-Dgpg.skip=true", "-Dcheckstyle.skip=true",
         "-Djacoco.skip=true"] + sel, cwd=path)
    jars = [j for j in (module / "target").glob(f"{ARTIFACT}-*.jar")
            if not re.search(r"-(sources|javadoc|tests)\.jar$", j.name)]
    if not jars:
        raise BuildError(f"no {ARTIFACT}-*.jar in {module / 'target'} after the build")
    jar = max(jars, key=lambda j: j.stat().st_mtime)
    copy_dependencies(path, lib, sel)
    shutil.copy2(jar, lib / jar.name)


def artifact_dependency(pom: bytes, version: str, digest: str, repo: Path) -> tuple:
    """The artifact's own pom.xml, published in a file repository in the build folder under a
    coordinate of its own (packaging pom): depending on it, Maven resolves the SDK's dependencies as
    for a released version (properties, parent, scopes, exclusions, mediation at the same depth),
    while ~/.m2's registry jar and pom of that version, which would shadow io.milvus's own
    coordinate, play no part. -> the dependency tuple for pom_xml."""
    pom = pom.replace(b"${project.version}", version.encode())  # a sibling's version stays the SDK's
    root = ET.fromstring(pom)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if ns:  # write the POM namespace back as the default one (Maven reads no ns0: prefixes)
        ET.register_namespace("", ns)
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")
    # The version carries the digest: Maven caches what it takes from the file repository in ~/.m2.
    dep = ("milvusconf.artifact", ARTIFACT, f"{version}-{digest[:12]}", "pom")
    for tag, value in (("groupId", dep[0]), ("artifactId", dep[1]), ("version", dep[2]), ("packaging", "pom")):
        el = root.find(f"{{{ns}}}{tag}" if ns else tag)
        (el if el is not None else ET.SubElement(root, f"{{{ns}}}{tag}" if ns else tag)).text = value
    out = repo / dep[0].replace(".", "/") / dep[1] / dep[2] / f"{dep[1]}-{dep[2]}.pom"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
    return dep


def build(request: str, build_dir: Path, flavour: str) -> None:
    version, source = resolve(request, flavour)
    build_dir.mkdir(parents=True, exist_ok=True)
    (build_dir / "build.json").unlink(missing_ok=True)
    lib = build_dir / "lib"
    if lib.exists():
        shutil.rmtree(lib)
    lib.mkdir()
    info = {"sdk_version": version, "source": source, "flavour": flavour,
            "artifact": f"{GROUP}:{ARTIFACT}"}
    extra = []
    if source == "artifact":
        path = as_path(request.strip()).resolve()
        _, digest, pom = read_artifact(request.strip())
        repo = build_dir / "artifact-repo"
        shutil.rmtree(repo, ignore_errors=True)
        (build_dir / "pom.xml").write_text(pom_xml(artifact_dependency(pom, version, digest, repo), repo))
        # offline first must still read the file repository; pom: only the jars go into lib/
        extra = ["-Daether.offline.protocols=file", "-DexcludeTypes=pom"]
        info["artifact"] = {"file": path.name, "digest": "sha256:" + digest}
    else:
        (build_dir / "pom.xml").write_text(pom_xml(None if source == "checkout" else (GROUP, ARTIFACT, version)))
    if source == "checkout":
        checkout = as_path(request.strip()).resolve()
        build_checkout(checkout, lib)
        info["checkout"] = str(checkout)
    log(f"copying {ARTIFACT} {version} and its runtime dependencies into {lib}")
    copy_dependencies(build_dir, lib, extra)
    jar = lib / f"{ARTIFACT}-{version}.jar"
    if source == "artifact":  # exactly that file, under the name Maven would give it
        shutil.copyfile(path, jar)
        if hashlib.sha256(jar.read_bytes()).hexdigest() != digest:
            raise BuildError(f"{request} changed while it was being built")
    elif jar.exists():  # the jar the driver runs with, as Maven Central served it
        info["artifact"] = {"file": jar.name, "digest": "sha256:" + hashlib.sha256(jar.read_bytes()).hexdigest()}

    # Compile the driver (run.sh owns the source list and the class folder naming).
    proc = subprocess.run(["bash", str(HERE / "run.sh"), str(build_dir), flavour, "--compile-only"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        errs = [l for l in proc.stderr.splitlines() if "error:" in l]
        raise BuildError(f"compiling the {flavour} driver against {ARTIFACT} {version} failed: "
                         f"{errs[0].strip() if errs else proc.stderr.strip().splitlines()[-1:]}")

    # Smoke test: the driver starts and says hello.
    t0 = time.monotonic()
    proc = subprocess.run(["bash", str(HERE / "run.sh"), str(build_dir), flavour],
                          input='{"id":1,"op":"hello","args":{"protocol":2}}\n',
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    try:
        hello = json.loads(proc.stdout.strip().splitlines()[0])
        assert hello.get("ok") is True and hello["result"].get("protocol") == 2
    except Exception:
        sys.stderr.write(proc.stderr[-4000:])
        raise BuildError(f"the built driver did not answer hello: {proc.stdout.strip()[:300]!r}")
    info["hello_s"] = round(time.monotonic() - t0, 2)
    info["java"] = hello["result"].get("runtime")
    tmp = build_dir / "build.json.tmp"
    tmp.write_text(json.dumps(info, indent=1) + "\n")
    os.replace(tmp, build_dir / "build.json")
    log(f"built the {flavour} driver with {ARTIFACT} {version} ({source}) in {build_dir}")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("action", choices=["resolve", "build", "versions"])
    ap.add_argument("--flavour", choices=["v1", "v2"], default="v1")
    ap.add_argument("sdk")
    ap.add_argument("build_dir", nargs="?")
    a = ap.parse_args(argv)
    try:
        if a.action == "versions":  # every final release in the range ("" = all), oldest first
            found = [v for v in published_versions() if not is_prerelease(v) and (not a.sdk or matches(v, a.sdk))]
            print(json.dumps({"versions": sorted(found, key=vkey)}))
        elif a.action == "resolve":
            version, source = resolve(a.sdk, a.flavour)
            if source == "checkout":
                # The harness keys (and rebuilds per run) a checkout by its path.
                version = "checkout:" + str(as_path(a.sdk.strip()).resolve())
            elif source == "artifact":
                # The digest keys the harness's build cache: a rebuilt jar of the same version is a new build.
                version += "+artifact." + read_artifact(a.sdk.strip())[1][:12]
            print(json.dumps({"version": version}))
        else:
            if not a.build_dir:
                raise BuildError("build needs <sdk-request> <build_dir>")
            build(a.sdk, Path(a.build_dir).expanduser().resolve(), a.flavour)
        return 0
    except BuildError as e:
        print(f"{ARTIFACT}: {e}", file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired as e:
        print(f"{ARTIFACT}: timed out: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
