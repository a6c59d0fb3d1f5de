"""Renders a transcript as the lines a person types into milvus_cli (drivers/PROTOCOL.md,
section 8): repro.txt, one interactive CLI per driver alias ("window"), each step's line
made by clikit.command(), the driver's own mapping. What the installed version accepts is
read from a CLI of the build, as the driver reads it. repro_run.py (next to this file)
types the lines and prints the JSON lines."""

import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from reprokit import harness_instruction, header, main  # noqa: E402

sys.path.insert(0, HERE)
from clikit import DriverAnswer, cli_version, command, detect_build  # noqa: E402

HOW = """#
# Start `milvus_cli` (with ZILLIZ_URI and ZILLIZ_TOKEN unset) in one terminal per window
# named in brackets, at that window's first line, and type what follows "milvus_cli > ".
# A window whose milvus_cli has exited is started again at its next line.
# "(by hand)": do that yourself. "(not typed)": the conformance driver answered that step
# itself, because this milvus_cli has no way to express it.

"""


def render(request):
    build_dir = request["build_dir"]
    version = cli_version(build_dir)
    home = tempfile.mkdtemp(prefix="milvus-cli-render-")
    try:
        features = detect_build(build_dir, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    lines = []
    for step in request["steps"]:
        n = step["step"]
        if "harness" in step:
            lines.append("%d (by hand) %s" % (n, " ".join(harness_instruction(step).split())))
            continue
        try:
            window, line, _, _ = command(features, version, step["op"], step.get("args") or {})
        except DriverAnswer as exc:
            lines.append("%d (not typed) %s: %s" % (n, exc.error["type"], " ".join(str(exc).split())))
            continue
        lines.append("%d [%s] milvus_cli > %s" % (n, window, line))
    run_hint = ("type the lines below into milvus_cli by hand; or, in a milvus-conformance checkout: "
                "<this milvus-cli's python> drivers/cli/repro_run.py repro.txt")
    text = header(request, "#", run_hint) + HOW + "\n".join(lines) + "\n"
    return {"language": "cli", "files": {"repro.txt": text}, "main": "repro.txt",
            "run": ["{build_dir}/venv/bin/python", "{driver_dir}/repro_run.py", "repro.txt"], "env": {}}


if __name__ == "__main__":
    main(render)
