"""`${...}` references in step arguments and expectations.

Scenarios never hard-code a host, port or password: they name the server
under test (`${server.grpc_port}`) or a harness fixture (`${unused_port}`, a
port where nothing listens; `${silent_port}`, a listener that accepts TCP and
never answers). A value that is exactly one reference keeps its type (an int
port stays an int); `|str` makes it a string; references inside a longer
string are substituted as text."""

import re
import socket
import threading

from ..servers.ports import free_ports

REFERENCE = re.compile(r"\$\{([a-z_]+(?:\.[a-z_]+)?)(\|str)?\}")
SERVER_FIELDS = ("host", "grpc_port", "http_port", "port", "address", "uri", "user", "password",
                 "root_user", "root_password", "version", "profile",
                 "ca_cert", "client_cert", "client_key", "wrong_ca_cert", "database", "database_collection",
                 "default_collection")
FIXTURES = ("unused_port", "silent_port", "proxy.port")
KNOWN = tuple(f"server.{f}" for f in SERVER_FIELDS) + FIXTURES


def references(value) -> "list[str]":
    """Every reference name inside a (nested) value."""
    if isinstance(value, str):
        return [m.group(1) for m in REFERENCE.finditer(value)]
    if isinstance(value, dict):
        return [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []


class SilentListener:
    """Accepts TCP connections and never writes a byte: a server that is not ready."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        try:  # wakes the blocked accept(); a plain close() would leave the port listening
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(timeout=2)
        for conn in self.held:
            conn.close()


class Values:
    """Resolves references for one scenario run; owns the fixtures it created."""

    def __init__(self, endpoint):
        self.server = endpoint.template_values() if endpoint else {}
        self.endpoint = endpoint
        self.fixtures = {}
        self._listeners = []
        self._proxy = None

    def has_proxy(self) -> bool:
        return self._proxy is not None

    def proxy(self):
        """The scenario's fault proxy in front of the server's gRPC port (made on first use)."""
        if self._proxy is None:
            from ..faults.proxy import FaultProxy

            self._proxy = FaultProxy(self.endpoint.host, self.endpoint.grpc_port)
        return self._proxy

    def _lookup(self, name: str):
        if name.startswith("server."):
            return self.server[name[len("server."):]]
        if name == "proxy.port":
            return self.proxy().port
        if name not in self.fixtures:
            if name == "unused_port":
                self.fixtures[name] = free_ports(1)[0]
            else:
                listener = SilentListener()
                self._listeners.append(listener)
                self.fixtures[name] = listener.port
        return self.fixtures[name]

    def resolve(self, value):
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, str):
            return value
        whole = REFERENCE.fullmatch(value)
        if whole:
            resolved = self._lookup(whole.group(1))
            return str(resolved) if whole.group(2) else resolved
        return REFERENCE.sub(lambda m: str(self._lookup(m.group(1))), value)

    def close(self):
        for listener in self._listeners:
            listener.close()
        if self._proxy is not None:
            self._proxy.close()
