"""Loopback port helpers."""

import contextlib
import os
import socket


def free_ports(count: int) -> list:
    """`count` distinct ports that were free a moment ago (the kernel picks them)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def port_is_free(port: int) -> bool:
    """True when nothing listens on `port` on any local address."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


def describe_listener(port: int) -> str:
    """Best effort: which process holds a TCP port (for the 'port taken' message)."""
    try:
        inode = None
        with open("/proc/net/tcp") as tcp, open("/proc/net/tcp6") as tcp6:
            for line in list(tcp)[1:] + list(tcp6)[1:]:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "0A":
                    inode = parts[9]
                    break
        if inode is None:
            return ""
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                        with open(f"/proc/{pid}/cmdline", "rb") as cmd:
                            command = cmd.read().replace(b"\0", b" ").decode().strip()
                        return f"pid {pid} ({command[:120]})"
            except OSError:
                continue
    except OSError:
        pass
    return ""
