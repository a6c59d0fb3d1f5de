"""A loopback TCP proxy between a driver and the server, with switchable faults.

Modes: `pass` forwards bytes; `latency` forwards each chunk after a delay;
`blackhole` accepts and reads but never forwards nor answers; `reset`
answers every new connection with a TCP reset. The mode applies at once to
new connections and to the bytes of existing ones."""

import socket
import struct
import threading
import time

MODES = ("pass", "latency", "blackhole", "reset")


class FaultProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.mode = "pass"
        self.latency = 0.0
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(256)
        self.port = self._listener.getsockname()[1]
        self._sockets = []
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def set(self, mode: str, latency_ms: float = 0) -> None:
        if mode not in MODES:
            raise ValueError(f"proxy mode '{mode}' is not one of {', '.join(MODES)}")
        self.mode, self.latency = mode, latency_ms / 1000

    def _accept_loop(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "reset":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                continue
            self._sockets.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        try:
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        self._sockets.append(upstream)
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, source, sink):
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if self.mode == "blackhole":
                continue  # swallowed
            if self.mode == "latency" and self.latency:
                time.sleep(self.latency)
            try:
                sink.sendall(data)
            except OSError:
                break
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self._closed = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass
