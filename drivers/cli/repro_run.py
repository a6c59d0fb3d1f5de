"""Runs a milvus_cli reproducer (repro.txt, written by repro.py) as the harness does
(drivers/PROTOCOL.md, section 8): types each line into milvus_cli, one interactive CLI
per [window], and prints one JSON line per step, reading success and failure from the
CLI's text exactly as the cli driver does (clikit.py, next to this file).

    cd <repro folder> && <the CLI's python> <this folder>/repro_run.py [repro.txt]
"""

import json
import os
import re
import shutil
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clikit import DriverAnswer, Session, read_exit, read_outcome  # noqa: E402

STEP = re.compile(r"^(\d+) (?:\[(.*?)\] milvus_cli > (.*)|\(by hand\) (.*)|\(not typed\) (\w+): (.*))$")
NO_LIMIT = 7 * 24 * 3600.0  # a CLI that never shows its prompt again: the step does not return


def emit(line):
    print(json.dumps(line), flush=True)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "repro.txt"
    # A fresh HOME, as the driver's, in this folder: nothing is left elsewhere when the harness
    # kills this program (and, with it, the CLIs: they stay in this program's process group).
    home = os.path.abspath(".milvus-cli-home")
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    windows = {}

    def leave(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)
    try:
        with open(path, encoding="utf-8") as f:
            for text in f:
                m = STEP.match(text.rstrip("\n"))
                if not m:
                    continue  # comments, blank lines
                n, window, line, by_hand, refused_type, refused = m.groups()
                n = int(n)
                if by_hand is not None:
                    emit({"step": n, "await": by_hand})
                    sys.stdin.readline()
                    continue
                if refused_type is not None:  # the driver answered this step itself: nothing was typed
                    emit({"step": n, "ok": False, "error": {"type": refused_type, "code": None, "message": refused},
                          "elapsed_ms": 0.0})
                    continue
                try:
                    session = windows.get(window)
                    if session is None or not session.alive():
                        session = windows[window] = Session(home, own_group=False)
                    if line == "exit":
                        status, out, ms = session.exit(timeout=NO_LIMIT)
                        del windows[window]
                        ok, result, error = read_exit(status, out)
                    else:
                        res = session.run(line, NO_LIMIT)
                        ms = res["ms"]
                        ok, result, error = read_outcome(line, res)
                except DriverAnswer as exc:  # the CLI did not start
                    emit({"step": n, "ok": False, "error": exc.error, "elapsed_ms": 0.0})
                    continue
                out = {"step": n, "ok": ok}
                if ok:
                    out["result"] = result
                else:
                    out["error"] = {k: error[k] for k in ("type", "code", "message")}
                    if result.get("cli_output"):
                        out["cli_output"] = result["cli_output"]
                out["elapsed_ms"] = round(ms, 3)
                emit(out)
    finally:
        for session in windows.values():
            session.kill()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
