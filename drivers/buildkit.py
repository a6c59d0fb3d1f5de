"""What every driver's build.py shares (drivers/PROTOCOL.md, section 3): the
command line `resolve <request>` / `build <request> <build_dir>` /
`versions [<range>]`, and failing
with one line on stderr. Runs with the harness's interpreter; stdlib only.

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from buildkit import fail, main
    ...
    if __name__ == "__main__":
        main(resolve, build)            # or main(resolve, build, versions)
"""

import json
import subprocess
import sys


def fail(message: str, prefix: str = "") -> None:
    """Exit non-zero with a one-line reason (the harness shows it with the --sdk setting)."""
    sys.stderr.write(prefix + str(message).replace("\n", " ").strip() + "\n")
    sys.exit(1)


def main(resolve, build, versions=None, argv=None) -> None:
    """resolve(request) -> exact version string; build(request, build_dir) writes build.json last;
    versions(range) -> every release in the range ("" = all), oldest first (optional)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        if len(argv) == 2 and argv[0] == "resolve":
            print(json.dumps({"version": resolve(argv[1])}))
        elif versions and argv[:1] == ["versions"] and len(argv) <= 2:
            print(json.dumps({"versions": versions(argv[1] if len(argv) == 2 else "")}))
        elif len(argv) == 3 and argv[0] == "build":
            build(argv[1], argv[2])
        else:
            fail("usage: build.py resolve <request> | build.py build <request> <build_dir>"
                 + (" | build.py versions [<range>]" if versions else ""))
    except subprocess.TimeoutExpired as exc:
        fail(f"timed out: {' '.join(map(str, exc.cmd))}")
