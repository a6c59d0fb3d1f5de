"""A release artifact from PyPI's world gated by the suite itself: `--sdk python=<pymilvus wheel>` and
`--sdk cli=<milvus-cli wheel>` (drivers/python, drivers/cli, drivers/pypikit.py) install exactly that file and
behave as the registry copy of the same release."""

import hashlib
import subprocess
import sys
import zipfile

import pytest

from suite_runs import assert_refused

SCENARIOS = "scenarios/connect/host-port.yaml"
RELEASES = {"python": ("pymilvus", "3.0.2", "pymilvus-*.whl"), "cli": ("milvus-cli", "1.2.1", "milvus_cli-*.whl")}


def release_wheel(tmp_path, package, version, pattern):
    """The wheel a release pipeline publishes (here: the one PyPI serves for the release), downloaded as a file."""
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--disable-pip-version-check",
                    f"{package}=={version}", "-d", str(tmp_path)], check=True, timeout=300)
    (wheel,) = tmp_path.glob(pattern)
    return wheel


def by_scenario(run, column):
    return {o["scenario"]["id"]: o["outcome"] for o in run.results["outcomes"] if o["column"] == column}


@pytest.mark.slow
@pytest.mark.parametrize("driver", sorted(RELEASES))
def test_a_wheel_builds_the_driver_and_matches_the_registry_release(run_suite, tmp_path, driver):
    package, version, pattern = RELEASES[driver]
    wheel = release_wheel(tmp_path, package, version, pattern)
    sha256 = hashlib.sha256(wheel.read_bytes()).hexdigest()
    # one run, one server: the wheel's column beside the registry release's
    run = run_suite("--driver", driver, "--sdk", f"{driver}={wheel},{version}", "--scenarios", SCENARIOS)
    artifact_column, registry_column = f"{driver}-{version}+artifact.{sha256[:12]}", f"{driver}-{version}"
    from_wheel, from_registry = by_scenario(run, artifact_column), by_scenario(run, registry_column)
    assert from_wheel and from_wheel == from_registry, run.proc.stdout[-3000:]
    assert "pass" in from_wheel.values(), run.proc.stdout[-3000:]
    builds = {column: info["build"] for column, info in run.results["drivers"].items()}
    assert builds[artifact_column]["source"] == "artifact" and builds[artifact_column]["version"] == version
    assert builds[artifact_column]["artifact"] == {"file": wheel.name, "digest": f"sha256:{sha256}"}
    assert builds[registry_column]["source"] == "pypi"


def test_a_file_that_is_not_a_pymilvus_artifact_is_a_one_line_error(run_suite, tmp_path):
    empty = tmp_path / "pymilvus-3.0.2-py3-none-any.whl"
    empty.write_bytes(b"")
    other = tmp_path / "requests-2.32.3-py3-none-any.whl"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("requests-2.32.3.dist-info/METADATA", "Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\n")
    for path, why in ((empty, "(cannot read it: File is not a zip file)"),
                      (other, "(its *.dist-info/METADATA names 'requests')")):
        assert_refused(run_suite("--driver", "python", "--sdk", f"python={path}", "--scenarios", SCENARIOS, timeout=120),
                       f"--sdk python={path}", f"{path.name} is not a wheel of pymilvus {why}")


def test_a_file_that_is_not_a_milvus_cli_artifact_is_a_one_line_error(run_suite, tmp_path):
    empty = tmp_path / "milvus_cli-1.2.1.tar.gz"
    empty.write_bytes(b"")
    assert_refused(run_suite("--driver", "cli", "--sdk", f"cli={empty}", "--scenarios", SCENARIOS, timeout=120),
                   f"--sdk cli={empty}", f"{empty.name} is not an sdist of milvus-cli (cannot read it: ")
