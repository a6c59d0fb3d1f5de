"""Start one server by hand, for driver development:

    python -m conformance.servers --profile plain

prints the endpoint as JSON and serves until Ctrl-C or end of stdin; then the
server and its scratch folder are gone (the folder's janitor sees to it even
after a crash, run.new_scratch)."""

import argparse
import json
import os
import signal
import sys

from ..run import new_scratch, remove_scratch
from .admin import prepare_endpoint
from .embedded import EmbeddedServer
from .profiles import PROFILES


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.servers")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="plain")
    parser.add_argument("--milvus-version", default=None)
    args = parser.parse_args()
    base = new_scratch()
    kwargs = {"version": args.milvus_version} if args.milvus_version else {}
    server = EmbeddedServer(PROFILES[args.profile], base / "server", base / "server.log", os.getpid(), **kwargs)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        endpoint = server.start()
        prepare_endpoint(endpoint)
        print(json.dumps(endpoint.to_json()), flush=True)
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        remove_scratch(base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
