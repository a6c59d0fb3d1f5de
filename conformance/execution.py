"""Run one scenario's steps through one driver against one server.

Independent of pytest: returns the transcript and, if an expectation was not
met, the reason. Driver problems raise DriverError (the caller reports an
error, never a pass or a fail)."""

import time

from .errors import DriverError
from dataclasses import dataclass, field
from typing import Optional

from .drivers.process import DriverProcess
from .scenario.expectations import check
from .scenario.model import HARNESS_OPS, Scenario
from .scenario.requirements import droppable_args
from .scenario.values import Values
from .servers.profiles import Endpoint

DEFAULT_DEADLINE_SECONDS = 30


@dataclass

class Run:
    transcript: list = field(default_factory=list)
    failure: Optional[str] = None  # None: every expectation met

    @property
    def failed_step(self) -> Optional[dict]:
        return next((s for s in self.transcript if s["verdict"] == "mismatch"), None)


def deadline_for(step, args: dict) -> float:
    if step.deadline_seconds:
        return step.deadline_seconds
    timeout = args.get("timeout")
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return max(DEFAULT_DEADLINE_SECONDS, 3 * timeout)
    return DEFAULT_DEADLINE_SECONDS


def _harness_step(step, args: dict, values: Values, control) -> dict:
    """A step the harness performs itself (a server action or a proxy mode), as a response."""
    started = time.perf_counter()
    if step.op == "server":
        result = control.act(args["action"])
    else:
        values.proxy().set(args["mode"], args.get("latency_ms", 0))
        result = {"mode": args["mode"], "port": values.proxy().port}
    return {"ok": True, "result": result, "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
            "warnings": []}


def run_scenario(scenario: Scenario, driver: DriverProcess, endpoint: Optional[Endpoint], control=None) -> Run:
    run = Run()
    values = Values(endpoint)
    try:
        reset = driver.request("reset", {}, DEFAULT_DEADLINE_SECONDS)
        if not reset.get("ok"):
            raise DriverError(f"driver '{driver.manifest.name}' could not reset: {reset.get('error')}",
                              stderr_tail=driver.stderr_tail())
        capabilities = (driver.hello or {}).get("capabilities") or []
        for index, step in enumerate(scenario.steps, 1):
            dropped = droppable_args(step, capabilities)
            args = values.resolve({k: v for k, v in step.args.items() if k not in dropped})
            expect = values.resolve(step.expect)
            started = time.perf_counter()
            if step.op in HARNESS_OPS:
                response = _harness_step(step, args, values, control)
            else:
                response = driver.request(step.op, args, deadline_for(step, args))
            wall_ms = round((time.perf_counter() - started) * 1000, 3)
            if not response.get("ok") and (response.get("error") or {}).get("category") == "unsupported_op":
                raise DriverError(f"driver '{driver.manifest.name}' does not implement op '{step.op}' "
                                  f"but declares the capabilities this scenario needs: {response['error']}")
            reason, stop = check(expect, response, args)
            run.transcript.append({
                "step": index, "line": step.line, "op": step.op, "args": args, "expect": expect,
                "note": step.note + (f" (left out for this driver: {', '.join(dropped)})" if dropped else ""),
                "response": response, "wall_ms": wall_ms,
                "verdict": "mismatch" if reason else "ok", "reason": reason,
            })
            if reason:
                run.failure = f"step {index} ({step.op}, {scenario.path}:{step.line}): {reason}"
                break
            if stop:  # an accepted outcome that makes the remaining steps moot
                run.transcript[-1]["note"] = (step.note + " " if step.note else "") + "(scenario ends here)"
                break
    finally:
        values.close()
    return run
