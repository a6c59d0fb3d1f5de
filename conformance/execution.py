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
from .limits.scale import projection, run_limit
from .servers.profiles import Endpoint

DEFAULT_DEADLINE_SECONDS = 30
PIPELINE_DEPTH = 8  # driver steps sent ahead of their answers


@dataclass
class Run:
    transcript: list = field(default_factory=list)
    failure: Optional[str] = None  # None: every expectation met
    skip_reason: Optional[str] = None  # the environment, not the SDK, stopped it (the connection limit)
    driver_decided: Optional[str] = None  # an expectation met a driver-made answer: neither pass nor fail
    judged: bool = True  # False: an info cell, every step recorded and none judged
    repro: Optional[dict] = None  # the failure, reproduced outside the harness (conformance/repro.py)

    @property
    def failed_step(self) -> Optional[dict]:
        return next((s for s in self.transcript if s["verdict"] == "mismatch"), None)


def limit_skip_reason(response: dict) -> Optional[str]:
    """Never a pass, never an SDK failure: a limit the environment, or the time budget, set."""
    result = response.get("result") or {}
    if not response.get("ok"):
        return None
    if result.get("not_run_because"):
        return f"not run: {result['preflight']} (this scenario needs an environment that holds {result['target']:,})"
    bound = (f"; these CPU costs per connection (server {result['server_cpu_ms_per_connection']} ms, client "
             f"{result['client_cpu_ms_per_connection']} ms) allow at most {result['cpu_bound_per_s']:,}/s here"
             if result.get("cpu_bound_per_s") else "")
    reached = (f"reached {result['verified']:,} verified connections at {result['connect_rate_per_s']}/s "
               f"(server-side TCP: {result['server_tcp']['at_peak']:,}{bound})")
    if not result["reached_ceiling"] and result.get("first_error"):
        return None  # the SDK failed below the ceiling: the expectation reports it, with the error
    if not result["reached_ceiling"] and result.get("not_attempted"):
        return (f"time budget of {result['budget_s']:.0f} s ran out before the ceiling of {result['ceiling']:,}: "
                f"{reached}; {projection(result)}")
    if result["limited"]:
        return f"{result['preflight']}; {reached}"
    return None


def deadline_for(step, args: dict) -> float:
    if step.deadline_seconds:
        return step.deadline_seconds
    timeout = args.get("timeout")
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return max(DEFAULT_DEADLINE_SECONDS, 3 * timeout)
    return DEFAULT_DEADLINE_SECONDS


def _harness_step(step, args: dict, values: Values, control, driver) -> dict:
    """A step the harness performs itself (a server action, a proxy mode, the limit), as a response."""
    started = time.perf_counter()
    if step.op == "limit":
        result = run_limit(args, driver, values.endpoint, control.server_pid())
    elif step.op == "server":
        result = control.act(args["action"])
    else:
        values.proxy().set(args["mode"], args.get("latency_ms", 0))
        result = {"mode": args["mode"], "port": values.proxy().port}
    return {"ok": True, "answered_by": "harness", "result": result,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 3), "warnings": []}


def _restore(values: Values, control) -> None:
    """The scenario's environment as it was before its first step: the server running, the network
    passing (a reproducer starts from there, as the run did)."""
    if control is not None:
        control.restore()
    if values.has_proxy():
        values.proxy().set("pass", 0)


def run_scenario(scenario: Scenario, driver: DriverProcess, endpoint: Optional[Endpoint], control=None,
                 judge: bool = True, on_failure=None) -> Run:
    """Steps run in order and stop at the first unmet expectation. Consecutive driver steps are
    pipelined (sent together, answered in order): the driver never waits for the harness between
    them. Harness steps are barriers: the steps after one are resolved and sent once it is done.

    judge=False (an info cell) records every step and stops at none. An expectation that meets a
    driver-made answer (answered_by: driver) ends the scenario undecided. on_failure(run, act) is
    called after an unmet expectation while the scenario's fixtures still exist, with the
    environment restored; act(step, args) performs a harness step (for a reproducer's pauses)."""
    run = Run(judged=judge)
    values = Values(endpoint)
    capabilities = (driver.hello or {}).get("capabilities") or []
    steps = scenario.steps
    prepared = {}  # step index -> (args, expect, dropped, request id)
    unsent = [0]  # the first step not sent yet

    def resolved(step):
        """The step's args (without those this driver may leave out) and expectation, resolved now."""
        dropped = droppable_args(step, capabilities)
        args = values.resolve({k: v for k, v in step.args.items() if k not in dropped})
        return args, values.resolve(step.expect), dropped

    def fill():
        """Send the next driver steps, up to PIPELINE_DEPTH unanswered: a bounded window, because a
        driver blocked on writing answers the harness is not reading would stop reading requests."""
        while unsent[0] < len(steps) and steps[unsent[0]].op not in HARNESS_OPS \
                and len(prepared) < PIPELINE_DEPTH:
            index, step = unsent[0], steps[unsent[0]]
            args, expect, dropped = resolved(step)
            prepared[index] = (args, expect, dropped, driver.send(step.op, args, deadline_for(step, args)))
            unsent[0] += 1

    try:
        reset_id = driver.send("reset", {}, DEFAULT_DEADLINE_SECONDS)
        fill()
        reset = driver.receive(reset_id)
        if not reset.get("ok"):
            raise DriverError(f"driver '{driver.manifest.name}' could not reset: {reset.get('error')}",
                              stderr_tail=driver.stderr_tail())
        answered_at = time.perf_counter()
        for index, step in enumerate(steps):
            if step.op in HARNESS_OPS:
                args, expect, dropped = resolved(step)
                started = time.perf_counter()
                response = _harness_step(step, args, values, control, driver)
                unsent[0] = index + 1
                fill()
            else:
                args, expect, dropped, request_id = prepared.pop(index)
                started = answered_at  # the driver started on it when it answered the step before
                response = driver.receive(request_id)
                fill()
            answered_at = time.perf_counter()
            wall_ms = round((answered_at - started) * 1000, 3)
            if not response.get("ok") and (response.get("error") or {}).get("category") == "unsupported_op":
                raise DriverError(f"driver '{driver.manifest.name}' does not implement op '{step.op}' "
                                  f"but declares the capabilities this scenario needs: {response['error']}")
            skip = limit_skip_reason(response) if step.op == "limit" else None
            reason, stop = check(expect, response, args) if not (skip and skip.startswith("time budget")) else (None, True)
            by_driver = response.get("answered_by") == "driver"
            run.transcript.append({
                "step": index + 1, "line": step.line, "op": step.op, "args": args, "expect": expect,
                "note": step.note + (f" (left out for this driver: {', '.join(dropped)})" if dropped else ""),
                "response": response, "wall_ms": wall_ms, "reason": reason,
                "deadline_s": None if step.op in HARNESS_OPS else deadline_for(step, args),
                "verdict": "driver" if by_driver else "observed" if not judge else "mismatch" if reason else "ok",
            })
            if by_driver:  # neither a pass nor a fail: the SDK never answered this step
                what = (response.get("error") or {}).get("message") or (response.get("result") or {}).get(
                    "driver_note") or "no SDK call was made"
                sdk_answered = any(s["response"].get("answered_by") == "sdk" for s in run.transcript)
                if judge or not sdk_answered:  # an observation keeps what the SDK answered before
                    run.driver_decided = f"step {index + 1} ({step.op}, {scenario.path}:{step.line}): {what}"
                break
            if not judge:
                continue
            if reason:
                run.failure = f"step {index + 1} ({step.op}, {scenario.path}:{step.line}): {reason}"
                break
            if skip and not reason:
                run.skip_reason = skip
            if stop:  # an accepted outcome that makes the remaining steps moot
                run.transcript[-1]["note"] = (step.note + " " if step.note else "") + "(scenario ends here)"
                break
        driver.abandon_pending()  # steps sent after the one that ended the scenario: idle before a reproducer
        if run.failure and on_failure is not None:
            _restore(values, control)
            run.repro = on_failure(run, lambda step, args: _harness_step(step, args, values, control, driver))
    finally:
        driver.abandon_pending()  # (again, when a step raised)
        values.close()
    return run
