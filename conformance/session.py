"""What one process of a run holds: driver builds and processes, the server pool.

Builds and servers are shared with the other processes of the run (through
shared_state / the pool); driver processes belong to this process and stop
with it."""

from .drivers.build import Build, DriverUnavailable, prepare
from .drivers.process import DriverProcess
from .drivers.registry import Manifest
from .errors import ConformanceError
from .run import RunContext
from .servers.pool import ServerPool
from .shared_state import once


class BuildFailed(Exception):
    """The driver could not be built for the requested SDK version (a clear, user-facing reason)."""


class ProcessState:
    def __init__(self, ctx: RunContext, registry: "dict[str, Manifest]", worker: str):
        self.ctx = ctx
        self.registry = registry
        self.worker = worker
        self.pool = ServerPool(ctx.scratch_path / "servers", ctx.owner_pid, ctx.server_targets[0],
                               uri=ctx.milvus_uri, uri_http_port=ctx.milvus_http_port or None,
                               provider=ctx.milvus_provider, failed_logs=ctx.report_path / "logs")
        self.processes: "dict[str, DriverProcess]" = {}
        self.background = None  # cells that mostly wait, run side by side (conformance/overlap.py)

    def build(self, driver: str) -> Build:
        manifest = self.registry[driver]
        request = self.ctx.sdk_requests.get(driver, "")

        def compute() -> dict:
            try:
                return {"build": prepare(manifest, request, self.ctx.run_id).to_json()}
            except DriverUnavailable as exc:
                return {"unavailable": str(exc)}
            except ConformanceError as exc:
                return {"error": str(exc)}

        record = once(self.ctx.scratch_path / "builds" / f"{driver}.json", compute)
        if "unavailable" in record:
            raise DriverUnavailable(record["unavailable"])
        if "error" in record:
            raise BuildFailed(record["error"])
        return Build(**record["build"])

    def process(self, driver: str) -> DriverProcess:
        """This process's running driver (started on first use, restarted after a kill)."""
        proc = self.processes.get(driver)
        if proc is None:
            stderr = self.ctx.scratch_path / "drivers" / f"{driver}-{self.worker}.stderr"
            proc = DriverProcess(self.registry[driver], self.build(driver), stderr)
            proc.start()
            self.processes[driver] = proc
        elif proc.proc is None:
            proc.restarts += 1
            proc.start()
        return proc

    def stop_drivers(self) -> None:
        for proc in self.processes.values():
            proc.stop()
        self.processes.clear()
