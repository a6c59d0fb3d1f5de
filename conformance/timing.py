"""Where a run's time goes: per cell, and for the whole run.

A cell's clock records its phases as they happen (the build, the driver's
start, the server, the first attempt, the confirmation and reproducer); its
steps are then split by what they spent the time on: waiting for a timeout
or a deadline to expire, a server action (stop, start, restart), or SDK work.
The run's breakdown adds the cells up and sets them against the workers'
capacity (workers x wall time): what is left is idle workers, collection and
start-up. Cells that ran side by side in the background (conformance.overlap)
are counted apart: their time overlaps the rest."""

import time
from contextlib import contextmanager

from .scenario.model import HARNESS_OPS

WAITING_SHARE = 0.8  # a step that took this share of its timeout or deadline (or more) waited for it to expire
CATEGORIES = ("builds", "driver_starts", "server_starts", "server_actions", "waiting", "sdk", "confirm",
              "awaiting_background", "harness")


class CellClock:
    def __init__(self, worker: str):
        self.worker = worker
        self.started = time.time()
        self.phases = {}
        self.shared_by = 1  # cells in lockstep on one private server (overlap.py): its actions are theirs together

    @contextmanager
    def phase(self, name: str):
        began = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = round(self.phases.get(name, 0.0) + time.perf_counter() - began, 3)

    def to_json(self) -> dict:
        return {"worker": self.worker, "started": round(self.started, 3), "ended": round(time.time(), 3),
                "phases": dict(self.phases), "shared_by": self.shared_by}


def step_kind(step: dict) -> str:
    """waiting, server_actions or sdk: what one transcript step spent its wall time on."""
    if step["op"] in HARNESS_OPS and step["op"] != "limit":
        return "server_actions"
    response, wall_s = step.get("response") or {}, step.get("wall_ms", 0) / 1000
    category = (response.get("error") or {}).get("category")
    if category in ("timeout", "hang"):
        return "waiting"
    if response.get("ok"):  # it answered: whatever it took, no timeout expired
        return "sdk"
    timeout = (step.get("args") or {}).get("timeout")
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0 \
            and wall_s >= WAITING_SHARE * timeout:
        return "waiting"
    deadline = step.get("deadline_s")
    if deadline and wall_s >= WAITING_SHARE * deadline:
        return "waiting"
    return "sdk"


def split_steps(transcript: list, shared_by: int = 1) -> dict:
    """Seconds per kind. A server action shared by cells in lockstep counts for each cell its share; the
    rest of such a step's time the cell waited (for the other cells to reach the step, and for the action)."""
    found = {"waiting": 0.0, "server_actions": 0.0, "sdk": 0.0}
    for step in transcript:
        seconds, kind = step.get("wall_ms", 0) / 1000, step_kind(step)
        if kind == "server_actions" and shared_by > 1:
            action = min(seconds, float(((step.get("response") or {}).get("result") or {}).get("seconds") or 0))
            found["server_actions"] += action / shared_by
            found["waiting"] += seconds - action / shared_by
            continue
        found[kind] += seconds
    return found


def cell_breakdown(timing: dict, first_transcript: list, duration_s: float) -> dict:
    """One cell's seconds per category: its phases, its first attempt's steps split by kind, and the
    harness's own work as the rest of the item's duration (or, for a cell run in the background, of
    its background time)."""
    phases = timing.get("phases") or {}
    found = {c: 0.0 for c in CATEGORIES}
    found["builds"] = phases.get("build", 0.0)
    found["driver_starts"] = phases.get("driver_start", 0.0)
    found["server_starts"] = phases.get("server", 0.0)
    found["confirm"] = phases.get("confirm", 0.0)
    found["awaiting_background"] = phases.get("background", 0.0)
    found["waiting"] = phases.get("lockstep", 0.0)  # cells sharing a server: for the others, and its start
    steps = split_steps(first_transcript, timing.get("shared_by") or 1) if "attempt" in phases else {}
    for kind, seconds in steps.items():
        found[kind] += seconds
    accounted = sum(found.values())
    found["harness"] = max(0.0, duration_s - accounted)
    return {k: round(v, 3) for k, v in found.items()}


def run_breakdown(outcomes: list, wall_s: float, workers: int) -> dict:
    """The run's wall time against its workers' capacity: seconds per category in the workers' own
    items, the background cells apart, and idle (capacity minus the items' time)."""
    foreground = {c: 0.0 for c in CATEGORIES}
    background = {c: 0.0 for c in CATEGORIES}
    item_seconds = 0.0
    for entry in outcomes:
        timing = entry.get("timing") or {}
        item_seconds += entry.get("duration_s", 0.0)
        for category, seconds in (timing.get("breakdown") or {}).items():
            foreground[category] = foreground.get(category, 0.0) + seconds
        for category, seconds in ((timing.get("background") or {}).get("breakdown") or {}).items():
            background[category] = background.get(category, 0.0) + seconds
    capacity = wall_s * max(workers, 1)
    return {
        "wall_s": round(wall_s, 1), "workers": workers, "capacity_s": round(capacity, 1),
        "items_s": round(item_seconds, 1), "idle_s": round(max(0.0, capacity - item_seconds), 1),
        "items": {k: round(v, 1) for k, v in foreground.items()},
        "background": {k: round(v, 1) for k, v in background.items()},
        "background_cells": sum(1 for e in outcomes if (e.get("timing") or {}).get("background")),
        "slowest": [{"nodeid": e["nodeid"], "seconds": round(_cell_seconds(e), 1)}
                    for e in sorted(outcomes, key=lambda e: -_cell_seconds(e))[:10]],
    }


def _cell_seconds(entry: dict) -> float:
    background = (entry.get("timing") or {}).get("background") or {}
    return entry.get("duration_s", 0.0) + sum((background.get("breakdown") or {}).values())
