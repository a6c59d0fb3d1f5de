"""A stand-in build script for testing the harness's build cache only.
resolve <request>: "missing" fails, anything else resolves to itself.
build <request> <build_dir>: appends a line to <build_dir>/../builds.log."""

import json
import sys
from pathlib import Path

if sys.argv[1] == "resolve":
    if sys.argv[2] == "missing":
        print("sdk missing does not exist (newest: 1.0)", file=sys.stderr)
        sys.exit(2)
    print(json.dumps({"version": sys.argv[2]}))
else:
    build_dir = Path(sys.argv[3])
    with open(build_dir.parent / "builds.log", "a") as log:
        log.write(sys.argv[2] + "\n")
    (build_dir / "build.json").write_text(json.dumps({"sdk_version": "1.0-built", "source": "test"}))
