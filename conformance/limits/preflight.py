"""Before opening tens of thousands of connections: how many can this
environment hold at all, and why? The answer is the smallest of

- the server's open-files limit, minus the files it already holds (every
  accepted connection is a file of the server process): read from the
  process given (--server-pid), else the limit a server the harness starts
  would get (embedded: it inherits this process's; container: the harness
  gives it this process's hard limit), minus what an idle server holds; a
  server at --milvus-uri is not the harness's, so its limit is not known;
- the clients' open-files limit times the driver processes the harness may
  shard over (every client connection is a file of its process);
- the ephemeral ports for one destination address and port (each client
  connection to host:port needs its own local port);
- the memory available, at a given cost per connection.

`python -m conformance.limits.preflight [--server-pid PID | --server container | --milvus-uri URI]
[--target 65536]` prints the verdict in one sentence."""

import argparse
import json
import os
import resource
from dataclasses import asdict, dataclass

DOCUMENTED_LIMIT = 65_536
FILES_RESERVED = 200          # sockets, pipes, libraries a process holds besides connections
BYTES_PER_CONNECTION = 64 * 1024  # a conservative client+server cost until measured per driver
SERVER_IDLE_FILES = 70        # an idle embedded Milvus 2.3.5 standalone holds 56-68 files here (measured)
HOW_THE_SERVER_GETS_ITS_LIMIT = {
    "embedded": "embedded: it inherits this process's limit, and Milvus, a Go program, raises its soft limit "
                "to the hard one",
    "container": "container: the harness gives it this process's hard limit as its nofile",
}


@dataclass
class Bound:
    name: str
    connections: int
    because: str


def _read_limit(pid: int) -> "tuple[int, int]":
    with open(f"/proc/{pid}/limits") as limits:
        for line in limits:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    raise OSError("no open-files line")


def _open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _ephemeral_ports() -> int:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
        low, high = map(int, ports.read().split())
    return high - low + 1


def memory_available() -> int:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def bounds(server_pid: int = 0, shards: int = 8, provider: str = "embedded") -> "list[Bound]":
    found = []
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if server_pid:
        server_soft, server_hard = _read_limit(server_pid)
        used = _open_files(server_pid)
        found.append(Bound("server_open_files", server_soft - used - FILES_RESERVED,
                           f"the server process may open {server_soft:,} files (hard limit {server_hard:,}) and "
                           f"already holds {used:,}; each accepted connection is one more"))
    elif provider in HOW_THE_SERVER_GETS_ITS_LIMIT:  # the server the harness would start
        limit = 1 << 20 if hard == resource.RLIM_INFINITY else hard
        found.append(Bound("server_open_files", limit - SERVER_IDLE_FILES - FILES_RESERVED,
                           f"a server the harness starts may open {limit:,} files ({HOW_THE_SERVER_GETS_ITS_LIMIT[provider]}) and "
                           f"holds about {SERVER_IDLE_FILES} when idle; each accepted connection is one more"))
    found.append(Bound("client_open_files", shards * (soft - FILES_RESERVED),
                       f"each of the {shards} driver processes may open {soft:,} files (hard limit {hard:,}, "
                       f"not raisable here)"))
    ports = _ephemeral_ports()
    found.append(Bound("ephemeral_ports", ports,
                       f"one destination host:port can be reached from {ports:,} local ports "
                       f"(net.ipv4.ip_local_port_range)"))
    memory = memory_available()
    found.append(Bound("memory", memory // BYTES_PER_CONNECTION,
                       f"{memory / 2**30:.1f} GiB of memory are available, at about "
                       f"{BYTES_PER_CONNECTION // 1024} KiB per connection"))
    return found


def verdict(target: int = DOCUMENTED_LIMIT, server_pid: int = 0, shards: int = 8, provider: str = "embedded",
            uri: str = "") -> dict:
    """provider: embedded or container (a server the harness starts: its limit is known), or uri (a
    server at `uri`, not the harness's: only this machine's side is counted, and the sentence says so)."""
    found = bounds(server_pid, shards, provider)
    tightest = min(found, key=lambda b: b.connections)
    ceiling = min(target, tightest.connections)
    limited = tightest.connections < target
    sentence = (f"limited by the environment at {tightest.connections:,} connections, because {tightest.because}"
                if limited else f"this environment can hold the target of {target:,} connections")
    if provider == "uri" and not server_pid:
        sentence += (f"; this counts the clients' side only: the server at {uri or 'the given URI'} is not started "
                     f"by the harness, so its own open-files and memory limits are not known here and may be lower")
    return {"target": target, "ceiling": ceiling, "limited": limited, "sentence": sentence,
            "server": "pid" if server_pid else provider, "bounds": [asdict(b) for b in found]}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m conformance.limits.preflight")
    parser.add_argument("--server-pid", type=int, default=0, help="read this running server's own limits")
    parser.add_argument("--server", choices=sorted(HOW_THE_SERVER_GETS_ITS_LIMIT), default="embedded",
                        help="without --server-pid: the provider whose server the harness would start")
    parser.add_argument("--milvus-uri", default="", help="a server the harness does not start (its limits are unknown)")
    parser.add_argument("--target", type=int, default=DOCUMENTED_LIMIT)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    provider = "uri" if args.milvus_uri else args.server
    result = verdict(args.target, args.server_pid, args.shards, provider, args.milvus_uri)
    print(json.dumps(result, indent=2) if args.json else result["sentence"])


if __name__ == "__main__":
    main()
