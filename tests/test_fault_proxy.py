"""The fault proxy, against a local echo server (the proxy is harness logic)."""

import socket
import threading

import pytest

from conformance.faults.proxy import FaultProxy


@pytest.fixture
def echo_port():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=lambda c=conn: [c.sendall(d) for d in iter(lambda: c.recv(1024), b"")],
                             daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def roundtrip(port, timeout=1.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"ping")
        return sock.recv(4)


def test_pass_latency_blackhole_reset(echo_port):
    proxy = FaultProxy("127.0.0.1", echo_port)
    try:
        assert roundtrip(proxy.port) == b"ping"
        proxy.set("latency", latency_ms=50)
        assert roundtrip(proxy.port) == b"ping"
        proxy.set("blackhole")
        with pytest.raises(socket.timeout):
            roundtrip(proxy.port, timeout=0.5)
        proxy.set("reset")
        with pytest.raises((ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
            roundtrip(proxy.port)
        with pytest.raises(ValueError, match="not one of"):
            proxy.set("teleport")
    finally:
        proxy.close()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", proxy.port)) != 0
