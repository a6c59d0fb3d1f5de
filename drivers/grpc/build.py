"""Build the grpc reference driver for one pymilvus version (drivers/PROTOCOL.md, section 3):
a virtualenv with that pymilvus, for its generated stubs (pymilvus.grpc_gen), and the
grpcio and protobuf it pulls. The driver never uses pymilvus's client.

    python build.py resolve <request>              -> {"version": "..."} on stdout
    python build.py build <request> <build_dir>    -> venv, build.json
    python build.py versions <range>               -> {"versions": [...]}: releases in the range

<request> is an exact pymilvus version, a PEP 440 range, "latest", or the path of a local
pymilvus checkout. Runs with the harness's interpreter."""

import json
import subprocess
import sys
from pathlib import Path

from packaging.specifiers import SpecifierSet

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import pypikit as pypi  # noqa: E402

PACKAGE = "pymilvus"
# Older pymilvus releases declare ranges today's newest packages no longer satisfy.
COMPAT_PINS = [(SpecifierSet("<2.5"), ["setuptools<81", "marshmallow<4"])]
REPORT = ("import importlib.metadata as m, json; "
          "print(json.dumps({p: m.version(p) for p in ('pymilvus', 'grpcio', 'protobuf')}))")



def build(request: str, build_dir: str) -> None:
    build_dir = Path(build_dir)
    version = pypi.resolve(PACKAGE, request)
    checkout = version.startswith("checkout:")
    python, target, pins, artifact = pypi.install(PACKAGE, version, build_dir, COMPAT_PINS)
    installed = json.loads(subprocess.run([str(python), "-c", REPORT], capture_output=True, text=True,
                                          check=True).stdout)
    (build_dir / "build.json").write_text(json.dumps({
        "sdk_version": installed["pymilvus"], "source": target if checkout else "pypi", "pins": pins,
        "artifact": artifact,
        "grpcio": installed["grpcio"], "protobuf": installed["protobuf"],
    }))


if __name__ == "__main__":
    pypi.main(PACKAGE, build)
