"""Keeper: the one process that owns a server process and its scratch folder.

Run as `python -m conformance.servers.keeper --owner-pid P --workdir D -- CMD...`.
It starts CMD in a session of its own, tied to the keeper by PDEATHSIG, and
stops it (then deletes D) when any of these happens:
  - the keeper gets SIGTERM or SIGINT (the harness's normal stop);
  - the owner process (the pytest controller) is gone: Ctrl-C, crash, SIGKILL;
  - the server exits by itself (the keeper then exits with its status).
So no server or scratch folder survives the run that started it, whatever
way the run ends. Standard library only: it must not depend on the harness.
"""

import argparse
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time

from conformance.servers.pids import alive  # stdlib only, like this module

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5
STOP_GRACE_SECONDS = 3.0


def _die_with_keeper():
    """preexec: new session (no terminal signals), and SIGKILL if the keeper dies."""
    os.setsid()
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGCONT, 0), (signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait) if wait else None
            if proc.poll() is not None:
                return
        except subprocess.TimeoutExpired:
            continue


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--owner-pid", type=int, required=True)
    parser.add_argument("--workdir", required=True, help="deleted when the server stops")
    parser.add_argument("--cwd", default=None)
    parser.add_argument("--log", required=True, help="the server's stdout and stderr")
    parser.add_argument("--pid-file", required=True)
    parser.add_argument("--remove-after", action="append", default=[],
                        help="a file the server leaves outside the workdir; {pid} is its pid")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd

    stop_requested = []
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.append(True))
    signal.signal(signal.SIGINT, lambda *_: stop_requested.append(True))
    # The keeper itself must survive a Ctrl-C aimed at the terminal's group:
    # it is started in its own session by the harness.

    with open(args.log, "ab", buffering=0) as log:
        proc = subprocess.Popen(
            cmd, cwd=args.cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_keeper,
        )
    with open(args.pid_file, "w") as handle:
        handle.write(f"{proc.pid}\n")

    status = 0
    try:
        while True:
            if stop_requested or not alive(args.owner_pid):
                break
            code = proc.poll()
            if code is not None:
                status = code if code >= 0 else 128 - code
                break
            time.sleep(POLL_SECONDS)
    finally:
        _stop(proc)
        shutil.rmtree(args.workdir, ignore_errors=True)
        for path in args.remove_after:
            path = path.replace("{pid}", str(proc.pid))
            try:
                os.remove(path)
                os.rmdir(os.path.dirname(path))  # only if now empty
            except OSError:
                pass
    return status


if __name__ == "__main__":
    sys.exit(main())
