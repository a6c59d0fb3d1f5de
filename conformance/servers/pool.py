"""Servers shared by every test and every xdist worker of one run.

A server starts the first time a scenario needs its profile. The state lives
in the run's scratch folder (one JSON file per profile, guarded by a file
lock), so a worker finds a server another worker started. The controller
process owns all of them (keepers watch its pid) and stops them at the end.
A start that failed is remembered, so the tests that need it fail fast with
the same message instead of starting it again."""

import json
import re
import shutil
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse

from ..shared_state import once
from ..errors import ConformanceError, ServerStartError, ServerUnavailable
from .admin import prepare_endpoint
from .lite import LITE, LiteServer
from .embedded import EmbeddedServer, stop_keeper, tail
from .pids import alive
from .profiles import DOCUMENTED_HTTP_PORT, PROFILES, Endpoint


def log_name(endpoint: Endpoint) -> str:
    """The server's log file in a report's logs/ folder."""
    return f"server-{endpoint.profile}-{endpoint.version}.log"


def endpoint_from_uri(uri: str, http_port: Optional[int]) -> Endpoint:
    """--milvus-uri http://[user:password@]host:port: an existing server, one profile."""
    parsed = urlparse(uri if "://" in uri else f"http://{uri}")
    if not parsed.hostname or not parsed.port:
        raise ConformanceError(f"'{uri}' is not a server URI like http://127.0.0.1:19530", where="--milvus-uri")
    auth = bool(parsed.username)
    return Endpoint(
        profile="auth" if auth else "plain", provider="uri", host=parsed.hostname, grpc_port=parsed.port,
        http_port=http_port or DOCUMENTED_HTTP_PORT, auth=auth, user=parsed.username or "",
        password=parsed.password or "",
    )


class ServerPool:
    def __init__(self, state_dir: Path, owner_pid: int, milvus_version: str, uri: str = "",
                 uri_http_port: Optional[int] = None, provider: str = "embedded",
                 failed_logs: Optional[Path] = None):
        self.provider = provider
        self.failed_logs = failed_logs  # where the log of a server that failed to start is kept
        self.state_dir = state_dir
        self.owner_pid = owner_pid
        self.milvus_version = milvus_version
        self.uri = uri
        self.uri_http_port = uri_http_port

    def _key(self, profile: str, version: Optional[str]) -> str:
        version = version or self.milvus_version
        return profile if version == self.milvus_version else f"{profile}@{version}"

    def get(self, profile: str, version: Optional[str] = None) -> Endpoint:
        """The running server for `profile`, started now if it is the first request."""
        if self.uri:
            endpoint = endpoint_from_uri(self.uri, self.uri_http_port)
            if endpoint.profile != profile:
                raise ServerUnavailable(f"needs a '{profile}' server ({PROFILES[profile].description}); "
                                        f"the server given by --milvus-uri is '{endpoint.profile}'")
            return endpoint
        key = self._key(profile, version)
        record = once(self.state_dir / f"{key}.json", lambda: self._start(profile, key, version))
        if record.get("unavailable"):
            raise ServerUnavailable(record["unavailable"])
        if record.get("error"):
            raise ServerStartError(record["error"], log_tail=record.get("log_tail", ""))
        endpoint = Endpoint.from_json(record["endpoint"])
        if not alive(endpoint.extra.get("keeper_pid")):
            raise ServerStartError(f"the '{profile}' server (Milvus {endpoint.version}) died during the run; "
                                   f"its log is {endpoint.log_path}", log_tail=tail(endpoint.log_path))
        return endpoint

    def _server(self, profile: str, workdir: Path, log: Path, version: Optional[str] = None):
        """A server of the run's provider: an embedded process or a container."""
        version = version or self.milvus_version
        if version.startswith(LITE + "-"):  # a server target of another implementation (run.server_targets)
            return LiteServer(PROFILES[profile], workdir, log, self.owner_pid, version=version[len(LITE) + 1:])
        if self.provider == "container":
            from .container import ContainerServer as Server
        else:
            Server = EmbeddedServer
        return Server(PROFILES[profile], workdir, log, self.owner_pid, version=version)

    def _start(self, profile: str, key: str, version: Optional[str]) -> dict:
        server = self._server(profile, self.state_dir / key, self.state_dir / f"{key}.log", version)
        try:
            endpoint = server.start()
            prepare_endpoint(endpoint)
            return {"endpoint": endpoint.to_json()}
        except ServerUnavailable as exc:
            return {"unavailable": str(exc)}
        except ServerStartError as exc:
            server.stop()
            return {"error": self._failed_start(exc, self.state_dir / f"{key}.log", key), "log_tail": exc.log_tail}
        except ConformanceError as exc:
            return {"error": str(exc)}
        except Exception as exc:  # anything else: still one clear, recorded reason
            server.stop()
            return {"error": f"could not start Milvus {version or self.milvus_version} for profile '{profile}': "
                             f"{type(exc).__name__}: {exc}", "log_tail": server.log_tail()}

    def private(self, profile: str, label: str, version: Optional[str] = None):
        """A server for one scenario (its steps may stop or pause it; the cells of one fault scenario share
        it in lockstep): (endpoint, control). Never reused by another scenario: an SDK keeps state per
        address (grpc-js pools its subchannels process-wide), so a new scenario gets new ports."""
        if self.uri:
            raise ServerUnavailable("needs a server the harness controls (it stops, pauses and restarts it); "
                                    "the server given by --milvus-uri is not one")
        from ..faults.control import ServerControl

        root = self.state_dir / "private" / re.sub(r"[^A-Za-z0-9_.-]", "_", label)[-80:]
        server = self._server(profile, root / "server", root / "server.log", version)
        try:
            endpoint = server.start()
            prepare_endpoint(endpoint)
        except ServerStartError as exc:
            server.stop()
            raise ServerStartError(self._failed_start(exc, root / "server.log", f"private-{label}"),
                                   log_tail=exc.log_tail) from exc
        except BaseException:
            server.stop()
            raise
        return endpoint, ServerControl(server, endpoint)

    def _failed_start(self, exc: ServerStartError, log: Path, label: str) -> str:
        """The message of a failed start, its log copied into the report (the scratch folder, where the
        message's path points, goes at the end of the run)."""
        if self.failed_logs is None or not log.exists():
            return str(exc)
        try:
            self.failed_logs.mkdir(parents=True, exist_ok=True)
            kept = self.failed_logs / f"failed-start-{re.sub(r'[^A-Za-z0-9_.@-]', '_', label)[-80:]}.log"
            shutil.copy(log, kept)
        except OSError:  # a full disk: the message keeps the scratch path
            return str(exc)
        return f"{exc} (kept in the report as {kept})"

    def started(self) -> "dict[str, Endpoint]":
        found = {}
        for state in sorted(self.state_dir.glob("*.json")):
            record = json.loads(state.read_text())
            if "endpoint" in record:
                found[state.stem] = Endpoint.from_json(record["endpoint"])
        return found

    def shutdown(self, keep_logs_in: Optional[Path] = None) -> None:
        """Stop every server of this run; copy their logs to the report first."""
        for profile, endpoint in self.started().items():
            if endpoint.provider == "container":
                from .container import stop_endpoint

                stop_endpoint(endpoint)  # also when its watcher is gone
            else:
                stop_keeper(endpoint.extra.get("keeper_pid", 0))
            if keep_logs_in and endpoint.log_path and Path(endpoint.log_path).exists():
                try:
                    keep_logs_in.mkdir(parents=True, exist_ok=True)
                    shutil.copy(endpoint.log_path, keep_logs_in / log_name(endpoint))
                except OSError:  # a full disk must not keep the other servers running
                    pass
