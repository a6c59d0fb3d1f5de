"""Janitor: deletes a run's scratch folder when the run is gone, however it ended.

    python -m conformance.janitor --owner-pid P DIR

Started by run.new_scratch() in a session of its own, so a Ctrl-C aimed at the
terminal's process group does not reach it. It polls the owner (the pytest
controller, or the bench); once the owner is gone (a normal end, Ctrl-C, a
crash, SIGKILL) it deletes DIR and exits. It also exits when DIR is gone (the
run removed it) or on SIGTERM (run.remove_scratch() stops it once the folder
is deleted). Standard library only: it must not depend on the harness."""

import argparse
import sys
import time
from pathlib import Path

from conformance.servers.pids import alive  # stdlib only, like this module
from conformance.trees import remove_tree  # stdlib only too

POLL_SECONDS = 0.5


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.janitor")
    parser.add_argument("--owner-pid", type=int, required=True)
    parser.add_argument("folder")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    while folder.exists() and alive(args.owner_pid):
        time.sleep(POLL_SECONDS)
    remove_tree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
