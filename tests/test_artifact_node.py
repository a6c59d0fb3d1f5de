"""A release pipeline gates the node SDK's artifact itself (drivers/node/build.py): the tarball `npm pack` makes,
and that tarball unpacked, run like the registry's copy of the same release, and the report names the file's
digest; a file that is no artifact of the SDK is one clear error naming it."""

import hashlib
import io
import json
import subprocess
import tarfile

import pytest

from suite_runs import assert_refused

VERSION = "3.0.6"
HOST_PORT = ("--driver", "node", "--scenarios", "scenarios/connect/host-port.yaml", "-p", "no:cacheprovider")


def by_column(run) -> "dict[str, dict[str, str]]":
    found = {}
    for o in run.results["outcomes"]:
        found.setdefault(o["column"], {})[o["scenario"]["id"]] = o["outcome"]
    return found


@pytest.mark.slow
def test_the_npm_pack_tarball_and_its_unpacked_folder_run_like_the_registry_release(run_suite, tmp_path):
    # what a release pipeline's `npm pack` makes; the registry's tarball of a release is that same file
    subprocess.run(["npm", "pack", f"@zilliz/milvus2-sdk-node@{VERSION}"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=300)
    tgz = tmp_path / f"zilliz-milvus2-sdk-node-{VERSION}.tgz"
    unpacked = tmp_path / "unpacked"
    with tarfile.open(tgz) as tar:
        tar.extractall(unpacked, filter="data")
    run = run_suite(*HOST_PORT, "--sdk", f"node={VERSION},{tgz},{unpacked / 'package'}", timeout=600)
    columns = by_column(run)
    digest = hashlib.sha256(tgz.read_bytes()).hexdigest()
    tarball_column = f"node-{VERSION}+artifact.{digest[:12]}"  # the digest keys the build and names the column
    assert len(columns) == 3 and {f"node-{VERSION}", tarball_column} <= set(columns), run.proc.stdout[-3000:]
    registry = columns.pop(f"node-{VERSION}")
    assert any(o == "pass" for o in registry.values()) and "error" not in registry.values(), run.proc.stdout[-3000:]
    for column, outcomes in columns.items():
        assert outcomes == registry, column
    drivers = run.results["drivers"]
    tarball = drivers[tarball_column]
    assert tarball["build"]["artifact"] == {"file": tgz.name, "digest": f"sha256:{digest}"}
    assert tarball["build"]["source"] == "artifact" and tarball["build"]["version"] == VERSION
    assert tarball["sdk"]["version"] == VERSION
    folder = next(info for column, info in drivers.items() if column.startswith(f"node-{VERSION}+artifact.")
                  and info["build"]["artifact"]["file"] == "package")
    assert folder["build"]["source"] == "artifact" and folder["build"]["artifact"]["digest"].startswith("sha256:")


def test_a_file_that_is_no_artifact_of_the_sdk_is_one_clear_error(run_suite, tmp_path):
    empty = tmp_path / "milvus2-sdk-node-9.9.9.tgz"
    empty.write_bytes(b"")
    other = tmp_path / "left-pad-1.3.0.tgz"
    with tarfile.open(other, "w:gz") as tar:
        data = json.dumps({"name": "left-pad", "version": "1.3.0"}).encode()
        member = tarfile.TarInfo("package/package.json")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    for path, why in ((empty, "(empty file)"), (other, "(its package.json names 'left-pad')")):
        # two requests resolve before collection: a usage error, no server started
        assert_refused(run_suite(*HOST_PORT, "--sdk", f"node={VERSION},{path}", timeout=300),
                       f"--sdk node={path}", f"{path} is not an npm package tarball of @zilliz/milvus2-sdk-node {why}")
