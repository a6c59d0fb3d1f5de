"""Build the Python driver for one pymilvus version (drivers/PROTOCOL.md, section 3).

    python build.py resolve <request>              -> {"version": "..."} on stdout
    python build.py build <request> <build_dir>    -> venv with pymilvus, build.json
    python build.py versions <range>               -> {"versions": [...]}: releases in the range

<request> is an exact version, a PEP 440 range (">=2.4,<2.6"), "latest", the
path of a local pymilvus checkout, or the path of a release artifact: a pymilvus
wheel (.whl) or sdist (.tar.gz), checked by its METADATA / PKG-INFO without
building. An artifact resolves to "<its version>+artifact.<first 12 hex of its
sha256>" and is installed as that very file (dependencies from PyPI as for the
release it declares); build.json then says "source": "artifact" and "artifact":
{"file", "digest": "sha256:..."} of the file. Runs with the harness's interpreter."""

import json
import subprocess
import sys
from pathlib import Path

from packaging.specifiers import SpecifierSet

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import pypikit as pypi  # noqa: E402

PACKAGE = "pymilvus"
# Older releases declare dependency ranges that today's newest packages no
# longer satisfy (pkg_resources left setuptools; environs 9 breaks on
# marshmallow 4). Pin what those releases were published with; build.json
# records the pins and the report shows them.
COMPAT_PINS = [(SpecifierSet("<2.5"), ["setuptools<81", "marshmallow<4"])]



def build(request: str, build_dir: str) -> None:
    build_dir = Path(build_dir)
    release = pypi.artifact(PACKAGE, request) if Path(request).is_file() else None  # a release artifact
    version = release["version"] if release else pypi.resolve(PACKAGE, request)
    checkout = version.startswith("checkout:")
    python, target, pins, artifact = pypi.install(PACKAGE, version, build_dir, COMPAT_PINS, release)
    if checkout:  # the version the checkout calls itself
        version = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('pymilvus'))"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    (build_dir / "build.json").write_text(
        json.dumps({"sdk_version": version, "source": target if checkout else "artifact" if release else "pypi",
                    "pins": pins, "artifact": artifact})
    )


if __name__ == "__main__":
    pypi.main(PACKAGE, build, artifacts=True)
