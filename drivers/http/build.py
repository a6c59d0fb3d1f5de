"""Resolve and build the `http` driver: plain HTTP from Python's standard
library (http.client), the doc's curl tab. There is no SDK to install.

    python build.py resolve <sdk-request>   -> {"version": "<python version>"}
    python build.py build <sdk-request> <build_dir>   -> writes build_dir/build.json

The driver runs on the harness's own interpreter ({python}) and imports
nothing but the standard library, so its "SDK version" is that Python's.
Accepted requests: "stdlib", "latest", "" or this Python's version
("3.11", "3.11.7"); anything else names an HTTP client this driver cannot
switch to, and is refused.
"""

import json
import os
import platform
import sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from buildkit import fail, main  # noqa: E402




def resolve(request):
    here = platform.python_version()
    req = (request or "").strip()
    if req in ("", "stdlib", "latest", "default", "*", "1") or here == req or here.startswith(req + "."):
        return here
    if os.path.isdir(req):
        fail("the http driver has no SDK to build from a checkout (%s): it uses Python %s's http.client"
             % (req, here))
    fail("the http driver uses the standard library of the harness's Python (%s); it cannot provide %r"
         % (here, req))


def build(request, build_dir):
    version = resolve(request)
    os.makedirs(build_dir, exist_ok=True)
    info = {"sdk_version": version, "source": "stdlib", "python": sys.executable,
            "client": "http.client (Python %s)" % version}
    tmp = os.path.join(build_dir, "build.json.tmp")
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, os.path.join(build_dir, "build.json"))
    print(json.dumps(info))



if __name__ == "__main__":
    main(resolve, build)
