"""Cells that mostly wait run side by side, in the background.

A cell that waits for a timeout to expire, or for a server to stop and start,
needs no core while it waits; run one after another, such cells kept a
worker idle for most of a run. Each process that runs cells (an xdist worker,
or the only process) therefore starts, at the end of collection, a few
background slots that run these cells ahead of pytest:

- a cell is claimed by exactly one process (a file created atomically in the
  run's scratch folder), its result (the run, or the driver error that
  stopped it) stored there;
- a fail or an error is confirmed there too, in a fresh driver process (with
  a private server of its own where the scenario needs one), and reproduced
  by its standalone program, so no worker waits out a rerun's timeouts;
- the pytest item of the cell, in whichever process xdist hands it to, takes
  those results (waiting if they are still coming) and judges them as it
  judges its own: the verdict, flaky or not, reproduced or not;
- the cells of one fault scenario (a private server, stopped or restarted by
  its steps) run together, one per driver, against one private server: the
  server's actions happen once for all of them, when every cell still
  running has reached that step (lockstep), since each would otherwise wait
  for its own restart. A cell that ends early leaves the lockstep;
- whatever the background cannot decide (a skip, a build problem) is left to
  the item, which then runs the cell itself, exactly as without this module.

The slots share a pool of driver processes (DriverPool), reused from cell
to cell."""

import dataclasses
import hashlib
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from .drivers.process import DriverProcess
from .errors import ConformanceError, DriverError, ServerStartError, ServerUnavailable
from .execution import Run, run_scenario
from .repro import reproducer
from .scenario.levels import cell_level
from .scenario.loader import spec_statements
from .scenario.model import HARNESS_OPS
from .scenario.requirements import driver_gap, server_gap
from .servers.pids import alive
from .timing import CellClock, cell_breakdown

MIN_WAIT_SECONDS = 1.5  # a cell expected to wait less runs in its item, as usual
SERVER_ACTION_SECONDS = 3.0  # a server stop and start, as the estimate counts it
POLL_SECONDS = 0.05
FINISH_SECONDS = 900  # how long the end of a process waits for its background cells (each is deadline-bounded)
INLINE = "inline"  # a claim taken by an item: the cell (or scenario) runs in the items, one by one


def expected_wait(scenario) -> float:
    """Seconds the scenario's steps may spend waiting, read from its text: a timeout or deadline on a
    step expected not to succeed (or on any step of an info scenario), and server actions. A scenario
    that opens many connections (CPU, not waiting) is never a background cell."""
    total = 0.0
    for step in scenario.steps:
        if step.op == "limit" or step.op == "open_many":
            return 0.0
        if step.op == "server":
            total += SERVER_ACTION_SECONDS
            continue
        if step.op in HARNESS_OPS:
            continue
        expect = step.expect or {}
        may_fail = scenario.level == "info" or expect.get("ok") is False or "error" in expect or "one_of" in expect
        if not may_fail:
            continue
        timeout = step.args.get("timeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
            total += timeout
        elif step.deadline_seconds:
            total += step.deadline_seconds
    return total


def is_background(item) -> bool:
    return expected_wait(item.scenario) >= MIN_WAIT_SECONDS


def background_order(items: list) -> list:
    """The items with the background cells last, in the order the background runs them."""
    foreground = [i for i in items if not (hasattr(i, "scenario") and is_background(i))]
    background = [i for i in items if hasattr(i, "scenario") and is_background(i)]
    return foreground + sorted(background, key=lambda i: -expected_wait(i.scenario))


def unit_key(item) -> str:
    """What one claim covers: every cell of a private-server scenario (they share its server), or one cell."""
    if item.scenario.requires.private_server:
        return f"{item.scenario.id}@{item.server_version}"
    return item.nodeid


def _file_name(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()[:20]


class Claims:
    """Who runs what, across the run's processes: <key>.claim (the claimer's pid, or 'inline') and
    <nodeid>.json (a result)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def claim(self, key: str, holder: str) -> bool:
        tmp = self.folder / f".{_file_name(key)}.{os.getpid()}.{threading.get_ident()}"
        tmp.write_text(holder)
        try:
            os.link(tmp, self.folder / f"{_file_name(key)}.claim")  # atomic: exists with its content, or not
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink()

    def holder(self, key: str) -> Optional[str]:
        try:
            return (self.folder / f"{_file_name(key)}.claim").read_text()
        except OSError:
            return None

    def store(self, nodeid: str, result: dict) -> None:
        tmp = self.folder / f".{_file_name(nodeid)}.{os.getpid()}.{threading.get_ident()}.json"
        tmp.write_text(json.dumps(result))
        os.replace(tmp, self.folder / f"{_file_name(nodeid)}.json")

    def result(self, nodeid: str) -> Optional[dict]:
        try:
            return json.loads((self.folder / f"{_file_name(nodeid)}.json").read_text())
        except (OSError, ValueError):
            return None


def _run(item, proc, endpoint, control, judge: bool, on_failure=None):
    """(run, None), or (None, the driver error that stopped it, as JSON)."""
    try:
        return run_scenario(item.scenario, proc, endpoint, control, judge=judge, on_failure=on_failure), None
    except DriverError as exc:
        return None, {"message": str(exc), "stderr_tail": exc.stderr_tail or proc.stderr_tail()}


def _stored(run, error) -> dict:
    """An attempt as the background stores it: the run, or the driver error that stopped it."""
    return {"run": dataclasses.asdict(run) if run else None, "error": error}


def attempt_from_store(found: dict):
    """(run, None) or (None, DriverError): an attempt as the background stored it (_stored)."""
    if found.get("error"):
        return None, DriverError(found["error"]["message"], stderr_tail=found["error"].get("stderr_tail", ""))
    return Run(**found["run"]), None


class Lockstep:
    """One private server for the cells of one fault scenario: its k-th action happens once, when every
    cell still running has reached its k-th server step."""

    def __init__(self, control, parties: int):
        self.control = control
        self.cond = threading.Condition()
        self.active = set(range(parties))
        self.position = [0] * parties
        self.arrived, self.actions, self.done = {}, {}, {}

    def _perform_ready(self) -> None:
        for k in sorted(self.arrived):
            if k not in self.done and self.arrived[k] >= self.active:
                try:
                    self.done[k] = self.control.act(self.actions[k])
                except Exception as exc:  # every waiting cell gets it: a harness problem, an error
                    self.done[k] = exc
                self.cond.notify_all()

    def act(self, who: int, action: str) -> dict:
        with self.cond:
            k = self.position[who]
            self.position[who] += 1
            self.arrived.setdefault(k, set()).add(who)
            self.actions.setdefault(k, action)
            if self.actions[k] != action:
                raise ServerStartError(f"cells of one scenario asked for different server actions at step {k}")
            self._perform_ready()
            while k not in self.done:
                self.cond.wait()
            result = self.done[k]
        if isinstance(result, Exception):
            raise result
        return dict(result)

    def leave(self, who: int) -> None:
        with self.cond:
            self.active.discard(who)
            self._perform_ready()

    def handle(self, who: int):
        lockstep = self

        class Handle:  # what run_scenario asks of a control: its actions and the server's process
            def act(self, action):
                return lockstep.act(who, action)

            def server_pid(self):
                return lockstep.control.server_pid()

        return Handle()


class Background:
    def __init__(self, state, items: list, after=()):
        self.state = state
        self.claims = Claims(state.ctx.scratch_path / "overlap")
        units = {}
        for item in items:
            units.setdefault(unit_key(item), []).append(item)
        # the longest waits first, so the slots finish together
        self.queue = sorted(units.items(), key=lambda kv: -expected_wait(kv[1][0].scenario))
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.after = list(after)
        self.drivers = DriverPool(state)
        self.threads = [threading.Thread(target=self._slot, args=(n,), daemon=True, name=f"background-{n}")
                        for n in range(min(state.ctx.background_slots, len(self.queue)))]
        for thread in self.threads:
            thread.start()

    # -- the item's side ---------------------------------------------------------
    def take(self, item) -> Optional[dict]:
        """The cell's background result (waiting for it if it is running), {"declined": why} when the
        background left it to the item, or None: the item runs it."""
        key = unit_key(item)
        # while this process's slots still work through the queue they will come to it: the item waits
        # (taking it itself would run, one by one, cells the background runs side by side)
        while self.claims.holder(key) is None and any(t.is_alive() for t in self.threads):
            time.sleep(POLL_SECONDS)
        if self.claims.claim(key, INLINE):
            return None
        while True:
            found = self.claims.result(item.nodeid)
            if found is not None:
                return found
            holder = self.claims.holder(key)
            if holder == INLINE or not holder or not alive(int(holder)):
                return None  # run by the items, or its process is gone: the item runs it itself
            time.sleep(POLL_SECONDS)

    # -- the background's side -------------------------------------------------
    def _next(self):
        with self.lock:
            while self.queue and not self.stopping.is_set():
                key, items = self.queue.pop(0)
                if self.claims.claim(key, str(os.getpid())):
                    return items
        return None

    def _slot(self, number: int) -> None:
        for thread in self.after:  # builds and servers first: their start-up load would skew timed cells
            thread.join()
        while not self.stopping.is_set():
            items = self._next()
            if items is None:
                return
            if items[0].scenario.requires.private_server:
                self._run_together(items, number)
            else:
                self._run_one(items[0], number)

    def _ready(self, item, clock: CellClock):
        """(driver process, judge) for a cell the background can run, or the reason it leaves it to the item."""
        level, _ = cell_level(item.scenario, spec_statements(), self.state.registry[item.driver].doc)
        if level is None or ("full-scale" in item.scenario.tags and not self.state.ctx.full_scale):
            return None, "its item decides the skip"
        try:
            with clock.phase("build"):
                self.state.build(item.driver)
            with clock.phase("driver_start"):
                proc = self.drivers.lease(item.driver)
        except Exception as exc:  # unavailable, a build or a start that failed: the item reports it as usual
            return None, f"its item reports it: {exc}"
        hello = proc.hello or {}
        if driver_gap(item.scenario, proc.manifest.base_name, hello.get("capabilities") or [],
                      (hello.get("sdk") or {}).get("version", "")):
            self.drivers.give_back(proc)
            return None, "its item decides the skip"
        return (proc, level != "info"), None

    def _run_one(self, item, number: int) -> None:
        clock = CellClock(f"{self.state.worker}/bg{number}")
        ready, why = self._ready(item, clock)
        if ready is None:
            self.claims.store(item.nodeid, {"declined": why})
            return
        proc, judge = ready
        try:
            with clock.phase("server"):
                endpoint = self.state.pool.get(item.scenario.requires.profile, item.server_version)
            if server_gap(item.scenario, endpoint):
                self.claims.store(item.nodeid, {"declined": "its item decides the skip"})
            else:
                self._attempt(item, proc, endpoint, None, judge, clock)
        except (ServerUnavailable, ServerStartError) as exc:
            self.claims.store(item.nodeid, {"declined": f"its item reports it: {exc}"})
        finally:
            self.drivers.give_back(proc)

    def _attempt(self, item, proc, endpoint, control, judge: bool, clock: CellClock, leave=None) -> None:
        """The first attempt; a fail or an error is confirmed here too, in a fresh driver process, with its
        reproducer (as the item would, without holding up a worker for it). `leave` is called between
        the two: a cell in lockstep leaves it before its confirmation, which has a server of its own."""
        with clock.phase("attempt"):
            run, error = _run(item, proc, endpoint, control, judge)
        if leave is not None:
            leave()
        second = None
        if error is not None or run.failure:
            with clock.phase("confirm"):
                second = self._confirm(item, endpoint, judge)
        timing = clock.to_json()
        seconds = timing["ended"] - timing["started"]
        timing["breakdown"] = cell_breakdown(timing, run.transcript if run else [], seconds)
        self.claims.store(item.nodeid, {**_stored(run, error), "second": second,
                                        "endpoint": endpoint.to_json(), "timing": timing})

    def _confirm(self, item, endpoint, judge: bool) -> dict:
        """The second attempt, in a fresh driver process (on a private server of its own where the scenario
        needs one), with the reproducer of a failure it confirms."""
        manifest, build = self.state.registry[item.driver], self.state.build(item.driver)
        stderr = self.state.ctx.scratch_path / "drivers" / f"{item.driver}-{self.state.worker}-confirm.stderr"
        proc, control = DriverProcess(manifest, build, stderr), None
        try:
            self.drivers.starter.submit(proc.start).result()  # a long-lived thread (PR_SET_PDEATHSIG)
            if item.scenario.requires.private_server:
                endpoint, control = self.state.pool.private(item.scenario.requires.profile, f"confirm-{item.nodeid}",
                                                            item.server_version)

            on_failure = reproducer(proc, build, item.scenario, item.column, endpoint,
                                    self.state.ctx.report_path / "repro")
            return _stored(*_run(item, proc, endpoint, control, judge, on_failure))
        except DriverError as exc:
            return _stored(None, {"message": str(exc), "stderr_tail": exc.stderr_tail or proc.stderr_tail()})
        finally:
            proc.stop()
            if control is not None:
                control.close()

    def _run_together(self, items: list, number: int) -> None:
        """The cells of one fault scenario, one per driver, on one private server in lockstep."""
        clocks = [CellClock(f"{self.state.worker}/bg{number}") for _ in items]
        found = [None] * len(items)

        ready_at = [0.0] * len(items)

        def get_ready(index):  # the drivers' processes are leased (started if need be) side by side
            found[index] = self._ready(items[index], clocks[index])
            ready_at[index] = time.perf_counter()

        readying = [threading.Thread(target=get_ready, args=(i,), daemon=True) for i in range(len(items))]
        for thread in readying:
            thread.start()
        for thread in readying:
            thread.join()
        ready, all_ready = [], max(ready_at)
        for item, (got, why), clock, at in zip(items, found, clocks, ready_at):
            if got is None:
                self.claims.store(item.nodeid, {"declined": why})
            else:
                clock.phases["lockstep"] = round(all_ready - at, 3)  # waiting for the other cells' drivers
                ready.append((item, got, clock))
        if not ready:
            return
        first = ready[0][0]
        shared_clock = CellClock("")
        try:
            with shared_clock.phase("server"):
                endpoint, control = self.state.pool.private(first.scenario.requires.profile,
                                                            f"bg-{first.scenario.id}", first.server_version)
        except (ServerUnavailable, ServerStartError, ConformanceError) as exc:
            for item, (proc, _), _ in ready:
                self.claims.store(item.nodeid, {"declined": f"its item reports it: {exc}"})
                self.drivers.give_back(proc)
            return
        lockstep = Lockstep(control, len(ready))

        def participant(who, item, proc, judge, clock):
            # the server's start and actions count once among them: each its share, the rest it waited
            clock.shared_by = len(ready)
            lease = shared_clock.phases.get("server", 0.0)
            clock.phases["server"] = round(lease / len(ready), 3)
            clock.phases["lockstep"] = round(clock.phases["lockstep"] + lease - clock.phases["server"], 3)
            try:
                self._attempt(item, proc, endpoint, lockstep.handle(who), judge, clock,
                              leave=lambda: lockstep.leave(who))
            except Exception as exc:  # the item then runs it itself
                self.claims.store(item.nodeid, {"declined": f"the background failed: {exc}"})
            finally:
                lockstep.leave(who)  # (again, when the attempt raised: leaving twice is harmless)

        threads = [threading.Thread(target=participant, args=(who, item, proc, judge, clock), daemon=True)
                   for who, (item, (proc, judge), clock) in enumerate(ready)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        control.close()
        for _, (proc, _), _ in ready:
            self.drivers.give_back(proc)

    def stop(self, interrupted: bool = False) -> None:
        """At the end of this process's items: no new cell starts, and the cells already started finish,
        since their items may be in another process, waiting for them (each step is bounded by its
        deadline). At Ctrl-C: the drivers stop at once, the cells end with errors nobody reads."""
        self.stopping.set()
        if interrupted:
            self.drivers.close()
        for thread in self.threads:
            thread.join(timeout=10 if interrupted else FINISH_SECONDS)
        self.drivers.close()


class DriverPool:
    """The background's driver processes, shared by its slots: an idle one of the driver, or a new one.
    A process is started by a long-lived thread (a driver dies with the thread that started it,
    PR_SET_PDEATHSIG: it must not be a cell's), and warmed up with a connect, a server_version and a disconnect against the run's
    plain server, as the items' own long-lived driver processes are warm from earlier cells: a cold
    runtime's first connect (class loading, a JIT) must not count against a cell's timeout."""

    def __init__(self, state):
        self.state = state
        self.lock = threading.Lock()
        self.idle = {}  # driver -> [DriverProcess]
        self.every = []
        self.restarts = {}  # id(proc) -> its restart count when leased
        # long-lived threads (an executor's threads live until its shutdown) start the processes
        self.starter = ThreadPoolExecutor(max_workers=max(1, state.ctx.background_slots),
                                          thread_name_prefix="background-drivers")

    def lease(self, driver: str) -> DriverProcess:
        with self.lock:
            idle = self.idle.get(driver) or []
            proc = idle.pop() if idle else None
        if proc is not None and (proc.proc is None or proc.proc.poll() is not None):
            proc.stop()  # it ended while idle: a new one
            proc = None
        if proc is None:
            number = len(self.every) + 1
            stderr = self.state.ctx.scratch_path / "drivers" / f"{driver}-{self.state.worker}-bg{number}.stderr"
            proc = DriverProcess(self.state.registry[driver], self.state.build(driver), stderr)
            with self.lock:
                self.every.append(proc)
            self.starter.submit(self._start, proc).result()
        self.restarts[id(proc)] = proc.restarts
        return proc

    def _start(self, proc: DriverProcess) -> None:
        proc.start()
        endpoint = self.state.pool.started().get("plain")  # only if the run uses one (started ahead)
        if endpoint is None:
            return
        where = {"alias": "warm-up", "host": endpoint.host, "port": endpoint.grpc_port}
        for op, args in (("connect", where), ("server_version", {"alias": "warm-up"}),
                         ("disconnect", {"alias": "warm-up"}), ("reset", {})):
            try:
                proc.request(op, args, 30)
            except DriverError:
                return

    def give_back(self, proc: DriverProcess) -> None:
        """Back to the idle ones; one restarted while leased (in a thread that may end) is stopped."""
        if proc.proc is None or proc.restarts != self.restarts.get(id(proc)):
            proc.stop()
            return
        with self.lock:
            self.idle.setdefault(proc.manifest.name, []).append(proc)

    def close(self) -> None:
        self.starter.shutdown(wait=False)
        for proc in list(self.every):
            proc.stop()
