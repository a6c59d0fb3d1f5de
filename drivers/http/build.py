"""Build the http driver (the doc's curl tab, made with the `requests` package) for one
requests version (drivers/PROTOCOL.md, section 3).

    python build.py resolve <request>              -> {"version": "..."} on stdout
    python build.py build <request> <build_dir>    -> venv with requests, build.json
    python build.py versions <range>               -> {"versions": [...]}: releases in the range

<request> is an exact version, a PEP 440 range, "latest", or the path of a local requests
checkout. Runs with the harness's interpreter."""

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import pypikit as pypi  # noqa: E402

PACKAGE = "requests"



def build(request: str, build_dir: str) -> None:
    build_dir = Path(build_dir)
    version = pypi.resolve(PACKAGE, request)
    python, target, _, artifact = pypi.install(PACKAGE, version, build_dir)
    checkout = version.startswith("checkout:")
    if checkout:  # the version the checkout calls itself
        version = subprocess.run([str(python), "-c", "import requests; print(requests.__version__)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    info = {"sdk_version": version, "source": target if checkout else "pypi", "artifact": artifact}
    (build_dir / "build.json").write_text(json.dumps(info))


if __name__ == "__main__":
    pypi.main(PACKAGE, build)
