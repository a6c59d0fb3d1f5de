"""The background (conformance/overlap.py) and the time breakdown (conformance/timing.py), unit by unit:
which cells wait, who claims a cell, the lockstep of a shared private server, and the arithmetic of
the breakdown. The real runs that show the outcomes unchanged are in test_parallel_equals_serial.py."""

import threading
import time
from types import SimpleNamespace

from conformance.overlap import Claims, Lockstep, background_order, expected_wait, unit_key
from conformance.scenario.model import Requirements, Scenario, Step
from conformance.timing import cell_breakdown, run_breakdown, split_steps, step_kind


def scenario(*steps, level="must", private=False, sid="s"):
    return Scenario(id=sid, title="", spec=(), group="g", tags=(), requires=Requirements(private_server=private),
                    steps=tuple(steps), path="f.yaml", line=1, level=level)


def step(op, args=None, expect=None, deadline=None):
    return Step(op, args or {}, expect if expect is not None else {"ok": True}, 1, deadline_seconds=deadline)


def cell(sc, driver="python", version="2.3.5"):
    return SimpleNamespace(scenario=sc, driver=driver, server_version=version, nodeid=f"f.yaml::{sc.id}[{driver}]")


def test_expected_wait_counts_timeouts_of_steps_that_may_fail_and_server_actions():
    refused = step("connect", {"timeout": 3}, {"error": "any"})
    working = step("connect", {"timeout": 10})
    assert expected_wait(scenario(working)) == 0
    assert expected_wait(scenario(refused, working)) == 3
    assert expected_wait(scenario(step("server", {"action": "restart"}), refused)) == 6
    # an info scenario's step may hang until its deadline; a limit scenario is CPU, never background
    assert expected_wait(scenario(step("connect", deadline=15), level="info")) == 15
    assert expected_wait(scenario(refused, step("limit", {"count": 10}))) == 0


def test_background_cells_come_last_longest_first_and_the_rest_keep_their_order():
    quick_a, quick_b = cell(scenario(step("connect"), sid="a")), cell(scenario(step("connect"), sid="b"))
    short = cell(scenario(step("connect", {"timeout": 2}, {"ok": False}), sid="short"))
    long = cell(scenario(step("connect", {"timeout": 9}, {"ok": False}), sid="long"))
    assert background_order([short, quick_a, long, quick_b]) == [quick_a, quick_b, long, short]


def test_a_private_server_scenario_is_one_claim_for_all_its_drivers(tmp_path):
    faults = scenario(step("server", {"action": "stop"}), private=True, sid="faults.x")
    assert unit_key(cell(faults, "python")) == unit_key(cell(faults, "go")) == "faults.x@2.3.5"
    plain = scenario(step("connect"), sid="plain")
    assert unit_key(cell(plain, "python")) != unit_key(cell(plain, "go"))
    claims = Claims(tmp_path)
    assert claims.claim("faults.x@2.3.5", "123") is True
    assert claims.claim("faults.x@2.3.5", "inline") is False  # one claimer, whoever asks second
    assert claims.holder("faults.x@2.3.5") == "123"
    assert claims.result("n") is None
    claims.store("n", {"run": None})
    assert claims.result("n") == {"run": None}


class RecordingControl:
    endpoint = None

    def __init__(self):
        self.actions = []

    def act(self, action):
        self.actions.append(action)
        return {"action": action, "seconds": 0.01}

    def server_pid(self):
        return 0


def _participants(lockstep, plans):
    """One thread per cell: its server actions in order, then it leaves."""
    def run(who, actions, pause):
        for action in actions:
            time.sleep(pause)
            lockstep.act(who, action)
        lockstep.leave(who)

    threads = [threading.Thread(target=run, args=(who, actions, pause)) for who, (actions, pause) in enumerate(plans)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(t.is_alive() for t in threads), "a cell was left waiting at the lockstep"


def test_lockstep_performs_each_action_once_when_every_running_cell_reached_it():
    control = RecordingControl()
    _participants(Lockstep(control, 3), [(["stop", "start"], 0.0), (["stop", "start"], 0.05),
                                         (["stop", "start"], 0.1)])
    assert control.actions == ["stop", "start"]


def test_a_cell_that_ends_early_leaves_the_lockstep_instead_of_holding_the_others():
    control = RecordingControl()
    # the second cell fails before the server is stopped: the others go on without it
    _participants(Lockstep(control, 3), [(["stop", "start"], 0.0), ([], 0.2), (["stop", "start"], 0.05)])
    assert control.actions == ["stop", "start"]


def test_a_failing_action_reaches_every_waiting_cell():
    class Broken(RecordingControl):
        def act(self, action):
            raise RuntimeError("cannot stop")

    lockstep, errors = Lockstep(Broken(), 2), []

    def run(who):
        try:
            lockstep.act(who, "stop")
        except RuntimeError as exc:
            errors.append(str(exc))
        lockstep.leave(who)

    threads = [threading.Thread(target=run, args=(who,)) for who in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == ["cannot stop", "cannot stop"]


def transcript_step(op, wall_s, ok=True, category=None, timeout=None, deadline=None, action_s=None):
    response = {"ok": ok}
    if not ok:
        response["error"] = {"category": category or "unavailable"}
    if action_s is not None:
        response["result"] = {"seconds": action_s}
    return {"op": op, "wall_ms": wall_s * 1000, "response": response,
            "args": {"timeout": timeout} if timeout else {}, "deadline_s": deadline}


def test_a_step_waited_when_its_timeout_or_deadline_expired_not_when_it_answered():
    assert step_kind(transcript_step("connect", 2.0, ok=False, category="timeout")) == "waiting"
    assert step_kind(transcript_step("connect", 2.9, ok=False, timeout=3)) == "waiting"
    assert step_kind(transcript_step("connect", 0.1, ok=False, timeout=3)) == "sdk"  # refused at once
    assert step_kind(transcript_step("open_many", 9.0, ok=True, timeout=10)) == "sdk"  # it answered
    assert step_kind(transcript_step("server_version", 14.5, ok=False, deadline=15)) == "waiting"
    assert step_kind(transcript_step("server", 2.5, action_s=2.5)) == "server_actions"


def test_a_shared_server_action_counts_its_share_and_the_rest_of_the_step_is_waiting_for_the_others():
    steps = [transcript_step("server", 5.0, action_s=2.0), transcript_step("server_version", 0.5)]
    assert split_steps(steps, shared_by=4) == {"server_actions": 0.5, "waiting": 4.5, "sdk": 0.5}
    assert split_steps(steps) == {"server_actions": 5.0, "waiting": 0.0, "sdk": 0.5}


def test_the_breakdown_adds_up_to_the_item_and_idle_is_capacity_minus_items():
    timing = {"phases": {"build": 1.0, "driver_start": 0.5, "server": 2.0, "attempt": 3.0}, "shared_by": 1}
    found = cell_breakdown(timing, [transcript_step("connect", 2.0, ok=False, category="timeout"),
                                    transcript_step("server_version", 0.75)], duration_s=6.5)
    assert found["waiting"] == 2.0 and found["sdk"] == 0.75 and found["server_starts"] == 2.0
    assert round(sum(found.values()), 3) == 6.5  # the rest is the harness's own
    assert found["harness"] == 0.25
    run = run_breakdown([{"nodeid": "a", "duration_s": 6.5, "timing": {"breakdown": found}},
                         {"nodeid": "b", "duration_s": 1.5, "timing": {"breakdown": {"sdk": 1.5},
                                                                     "background": {"breakdown": {"waiting": 4}}}}],
                        wall_s=10, workers=2)
    assert run["capacity_s"] == 20 and run["items_s"] == 8 and run["idle_s"] == 12
    assert run["background"]["waiting"] == 4 and run["background_cells"] == 1
    assert run["slowest"][0] == {"nodeid": "a", "seconds": 6.5}
