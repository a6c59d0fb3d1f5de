"""A Go SDK release artifact gated by the suite itself: `--sdk go=<module zip>` (drivers/go/build.py) builds
the driver from exactly that zip and behaves as the registry copy of the same release."""

import hashlib
import json
import os
import shutil
import subprocess
import zipfile

import pytest

from suite_runs import assert_refused

MODULE = "github.com/milvus-io/milvus-sdk-go/v2"
VERSION = "2.4.2"
SCENARIOS = "scenarios/connect/host-port.yaml"

pytestmark = pytest.mark.slow  # real suite runs (a real server, real builds)


def release_zip(tmp_path):
    """The module zip of the release as the Go module proxy serves it (go mod download's Zip), copied out."""
    env = {k: v for k, v in os.environ.items() if k not in ("GOFLAGS", "GOWORK")}
    out = subprocess.run(["go", "mod", "download", "-json", f"{MODULE}@v{VERSION}"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300, check=True)
    artifact = tmp_path / f"v{VERSION}.zip"
    shutil.copyfile(json.loads(out.stdout)["Zip"], artifact)
    return artifact


def by_scenario(run):
    return {o["scenario"]["id"]: o["outcome"] for o in run.results["outcomes"]}


def test_a_module_zip_builds_the_driver_and_matches_the_registry_release(run_suite, tmp_path):
    artifact = release_zip(tmp_path)
    sha256 = hashlib.sha256(artifact.read_bytes()).hexdigest()
    from_zip = run_suite("--driver", "go", "--sdk", f"go={artifact}", "--scenarios", SCENARIOS)
    from_registry = run_suite("--driver", "go", "--sdk", f"go={VERSION}", "--scenarios", SCENARIOS)
    outcomes = by_scenario(from_zip)
    assert "pass" in outcomes.values() and "error" not in outcomes.values(), from_zip.proc.stdout[-3000:]
    assert outcomes == by_scenario(from_registry), from_zip.proc.stdout[-3000:] + from_registry.proc.stdout[-3000:]
    build, registry_build = (run.results["drivers"]["go"]["build"] for run in (from_zip, from_registry))
    assert build["source"] == "artifact" and build["version"] == VERSION, build
    assert build["artifact"]["file"] == artifact.name and build["artifact"]["digest"] == f"sha256:{sha256}", build
    # the same module content as the registry build verified (its go.sum h1: hash)
    assert build["artifact"]["h1"] == registry_build["artifact"]["digest"], (build, registry_build)


def test_a_file_that_is_not_this_sdks_module_zip_is_a_one_line_error(run_suite, tmp_path):
    empty = tmp_path / "empty.zip"
    empty.write_bytes(b"")
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("example.com/other@v1.0.0/go.mod", "module example.com/other\n")
    for path, why in ((empty, "(not a zip archive)"),
                      (other, "(its entries are under 'example.com/other@v1.0.0/': a zip of example.com/other)")):
        assert_refused(run_suite("--driver", "go", "--sdk", f"go={path}", "--scenarios", SCENARIOS, timeout=120),
                       f"--sdk go={path}", f"{path} is not a Go module zip of {MODULE} {why}")
