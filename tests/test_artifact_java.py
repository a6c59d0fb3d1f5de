"""A release artifact as the SDK request: `--sdk java=<a milvus-sdk-java jar>` runs exactly that jar
(drivers/java/build.py), with the outcomes of the registry release of the same version, and a file that is
not such a jar is refused in one line."""

import hashlib
import importlib.util
import zipfile

import pytest

from conformance.drivers.registry import load_registry
from conformance.paths import REPO_ROOT

from suite_runs import assert_refused


def _java_build_module():
    spec = importlib.util.spec_from_file_location("java_build", REPO_ROOT / "drivers" / "java" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_release_jar_runs_like_its_registry_release_and_another_file_is_refused(run_suite, tmp_path):
    build = _java_build_module()
    version = load_registry()["java"].default_version
    registry_jar = build.local_repo() / "io/milvus/milvus-sdk-java" / version / f"milvus-sdk-java-{version}.jar"
    scenarios = ("--scenarios", "scenarios/connect/host-port.yaml")
    if not registry_jar.exists():  # the registry build would put it there; fetch it as Maven does
        build.mvn(["dependency:get", f"-Dartifact=io.milvus:milvus-sdk-java:{version}", "-Dtransitive=false"],
                  cwd=tmp_path)
    assert registry_jar.exists(), registry_jar

    # A rebuild of the same release: the same classes and pom, other bytes (one more entry), so a run
    # that used the registry's copy would show the registry's digest, not this one. Deterministic bytes:
    # the next run of this test reuses the build the digest keys.
    artifact = tmp_path / "dist" / f"milvus-sdk-java-{version}.jar"
    artifact.parent.mkdir()
    with zipfile.ZipFile(registry_jar) as src, zipfile.ZipFile(artifact, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(zipfile.ZipInfo("META-INF/release-pipeline.txt", (2026, 1, 1, 0, 0, 0)), "rebuilt by the test\n")
    digest = hashlib.sha256(artifact.read_bytes()).hexdigest()

    # One run, one server, four columns: the registry release and the artifact, for both Java drivers.
    drivers = ("java", "java-v2")
    run = run_suite("--driver", ",".join(drivers), *scenarios,
                    *[a for d in drivers for a in ("--sdk", f"{d}={version},{artifact}")])
    per_column = {}
    for o in run.results["outcomes"]:
        per_column.setdefault(o["column"], {})[o["scenario"]["id"]] = o["outcome"]
    for driver in drivers:
        registry_column, artifact_column = f"{driver}-{version}", f"{driver}-{version}+artifact.{digest[:12]}"
        assert {registry_column, artifact_column} <= set(per_column), run.proc.stdout[-3000:]
        assert per_column[artifact_column] == per_column[registry_column], run.proc.stdout[-3000:]
        assert "pass" in per_column[artifact_column].values(), run.proc.stdout[-3000:]
        built = run.results["drivers"][artifact_column]["build"]
        assert built["source"] == "artifact" and built["version"] == version, built
        assert built["artifact"] == {"file": artifact.name, "digest": f"sha256:{digest}"}, built
        assert run.results["drivers"][registry_column]["build"]["artifact"]["digest"] != f"sha256:{digest}"

    # Not a milvus-sdk-java jar: one line naming the file and what was expected, before any server starts.
    empty = tmp_path / "empty.jar"
    empty.write_bytes(b"")
    other = next((build.local_repo() / "com/google/code/gson/gson").glob("*/gson-*.jar"))
    for bad, why in ((empty, "not a zip file"), (other, "its META-INF/maven names com.google.code.gson:gson")):
        assert_refused(run_suite("--driver", "java", "--sdk", f"java={bad}", *scenarios, timeout=300),
                       f"{bad} is not a jar of io.milvus:milvus-sdk-java ({why})")
