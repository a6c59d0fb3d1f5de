"""Whether a process is still alive. A zombie is not: in a sandbox whose
init does not reap orphans, a keeper whose parent (an xdist worker) exited
stays a zombie forever, and kill(pid, 0) would still succeed on it."""

import os


def alive(pid) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{int(pid)}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
