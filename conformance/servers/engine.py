"""Make a Docker engine available for the container provider, where this
machine allows it:

    python -m conformance.servers.engine

Uses a running engine if there is one; otherwise, as root, installs Debian's
docker.io when dockerd is missing and starts `dockerd --bridge=none
--iptables=false` (host networking only: containers never get a bridge
address). The engine is machine infrastructure, like a database server: it is
left running for later runs; the suite's own containers never outlive a run.
Always exits 0: without an engine, container tests are skipped with the reason."""

import os
import shutil
import subprocess
import sys
import time

LOG = "/tmp/milvus-conformance-dockerd.log"


def engine_answers() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "info"], capture_output=True, timeout=30).returncode == 0


def ensure() -> str:
    if engine_answers():
        return "a Docker engine is running"
    if os.geteuid() != 0:
        return "no Docker engine, and starting one needs root: container tests will be skipped"
    if shutil.which("dockerd") is None:
        if shutil.which("apt-get") is None:
            return "no dockerd and no apt-get to install docker.io: container tests will be skipped"
        proc = subprocess.run(["apt-get", "install", "-y", "-q", "docker.io"], capture_output=True, text=True,
                              env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=900)
        if proc.returncode != 0:
            return f"installing docker.io failed ({proc.stderr.strip()[-200:]}): container tests will be skipped"
    with open(LOG, "ab") as log:
        subprocess.Popen(["dockerd", "--bridge=none", "--iptables=false"], stdout=log, stderr=log,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if engine_answers():
            return f"started dockerd --bridge=none --iptables=false (log: {LOG})"
        time.sleep(1)
    return f"dockerd did not answer within 90 s (log: {LOG}): container tests will be skipped"


if __name__ == "__main__":
    print(f"docker engine: {ensure()}")
    sys.exit(0)
