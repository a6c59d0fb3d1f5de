"""The harness's handling of drivers that hang, crash or answer garbage
(drivers/PROTOCOL.md, section 4): an error with the stderr tail, a restart."""

import dataclasses
import time
import sys
from pathlib import Path

import pytest

from conformance.drivers import process as process_module
from conformance.drivers.build import Build
from conformance.drivers.process import DriverProcess
from conformance.drivers.registry import Manifest
from conformance.errors import DriverError

FAKE = Path(__file__).parent / "fakes" / "misbehaving_driver.py"


def fake(mode: str, tmp_path) -> DriverProcess:
    manifest = Manifest(name="fake", language="python", sdk_name="none", sdk_registry="", default_version="0",
                        run_command=(sys.executable, str(FAKE), mode), build_command=(), build_timeout=1,
                        path=FAKE)
    build = Build(driver="fake", request="0", version="0", build_dir=str(tmp_path), source="test")
    return DriverProcess(manifest, build, tmp_path / "stderr.log")


@pytest.fixture(autouse=True)
def short_grace(monkeypatch):
    monkeypatch.setattr(process_module, "DEADLINE_GRACE_SECONDS", 0.5)


def test_a_hanging_driver_is_killed_at_its_deadline_and_restarted(tmp_path):
    driver = fake("hang", tmp_path)
    driver.start()
    first_pid = driver.proc.pid
    with pytest.raises(DriverError, match="did not answer 'connect' within its deadline"):
        driver.request("connect", {}, deadline_seconds=0.5)
    assert driver.proc is None
    assert driver.request("reset", {}, 5)["ok"]  # a fresh process answers
    assert driver.restarts == 1 and driver.proc.pid != first_pid
    driver.stop()


def test_a_crashing_driver_is_an_error_with_its_stderr_tail(tmp_path):
    driver = fake("exit", tmp_path)
    driver.start()
    with pytest.raises(DriverError, match=r"exited \(status 3\)") as info:
        driver.request("connect", {}, 5)
    assert "simulated crash" in info.value.stderr_tail


def test_garbage_and_wrong_ids_are_errors(tmp_path):
    for mode, message in (("garbage", "not JSON"), ("wrong-id", "instead of a response with id"),
                          ("no-answerer", "without saying who produced the answer")):
        driver = fake(mode, tmp_path)
        driver.start()
        with pytest.raises(DriverError, match=message):
            driver.request("connect", {}, 5)


def test_an_unknown_protocol_version_is_refused(tmp_path):
    with pytest.raises(DriverError, match="speaks protocol 99, the harness speaks 2"):
        fake("wrong-protocol", tmp_path).start()


def test_a_missing_program_is_a_clear_error(tmp_path):
    driver = fake("ok", tmp_path)
    driver.manifest = dataclasses.replace(driver.manifest, run_command=("/nonexistent/driver",))
    with pytest.raises(DriverError, match="could not start"):
        driver.start()


def test_pipelined_requests_are_answered_in_order_each_with_its_own_deadline(tmp_path):
    driver = fake("ok", tmp_path)
    driver.start()
    began = time.monotonic()
    ids = [driver.send("sleep", {"seconds": 0.4}, deadline_seconds=0.2) for _ in range(3)]
    assert time.monotonic() - began < 0.3  # sending does not wait for answers
    answers = [driver.receive(i) for i in ids]
    # 1.2 s in all, past any one deadline (0.2 s + 0.5 s grace): each counts from the answer before
    assert time.monotonic() - began >= 1.2
    assert [a["id"] for a in answers] == ids
    assert answers[0]["result"]["at"] < answers[1]["result"]["at"] < answers[2]["result"]["at"]
    driver.stop()


def test_an_answer_already_in_the_pipe_is_on_time_even_if_the_harness_looks_late(tmp_path):
    driver = fake("ok", tmp_path)
    driver.start()
    driver.send("reset", {}, 5)
    time.sleep(0.5)  # the answer is written; the harness (descheduled, say) comes back after its limit
    assert driver._read_line(time.monotonic() - 1) not in (None, "deadline")
    driver.send("sleep", {"seconds": 2}, 5)
    assert driver._read_line(time.monotonic() + 0.2) == "deadline"  # nothing there by the limit: late
    driver.stop()


def test_receiving_a_later_answer_drops_the_earlier_ones(tmp_path):
    driver = fake("ok", tmp_path)
    driver.start()
    first, second = driver.send("sleep", {"seconds": 0}, 5), driver.send("reset", {}, 5)
    assert driver.receive(second)["id"] == second
    with pytest.raises(DriverError, match=f"request {first} is not pending"):
        driver.receive(first)
    driver.stop()


def test_abandoned_answers_are_drained_or_the_driver_is_replaced(tmp_path):
    driver = fake("ok", tmp_path)
    driver.start()
    pid = driver.proc.pid
    driver.send("sleep", {"seconds": 0}, 5)
    driver.abandon_pending(patience_seconds=2)  # a quick answer: read and dropped, same process
    assert driver.proc.pid == pid and driver.request("reset", {}, 5)["ok"]
    driver.send("sleep", {"seconds": 60}, 90)
    began = time.monotonic()
    driver.abandon_pending(patience_seconds=0.3)  # a slow one: not worth waiting for
    assert time.monotonic() - began < 5 and driver.proc is None
    assert driver.request("reset", {}, 5)["ok"]  # the next request starts a fresh process


def test_a_scenario_that_stops_early_leaves_nothing_for_the_next_one(tmp_path):
    from conformance.execution import run_scenario
    from conformance.scenario.model import Requirements, Scenario, Step

    def scenario(*steps):
        return Scenario(id="s", title="", spec=(), group="g", tags=(), requires=Requirements(),
                        steps=tuple(steps), path="<test>", line=1)

    driver = fake("ok", tmp_path)
    driver.start()
    stopped = run_scenario(scenario(Step("sleep", {"seconds": 0}, {"ok": True}, 1),
                                    Step("sleep", {"seconds": 0}, {"error": "timeout"}, 2),  # the fake answers ok
                                    Step("sleep", {"seconds": 0.2}, {"ok": True}, 3)), driver, None)
    assert [s["step"] for s in stopped.transcript] == [1, 2] and "step 2" in stopped.failure
    assert not driver._pending  # step 3 was sent with the others, and its answer drained
    clean = run_scenario(scenario(Step("sleep", {"seconds": 0.1}, {"ok": True}, 1)), driver, None)
    assert clean.failure is None and clean.transcript[0]["response"]["result"]["slept"] == 0.1
    driver.stop()


def test_a_long_scenario_does_not_fill_the_pipes(tmp_path):
    """Sending every step before reading answers would block both sides once the pipes are full."""
    from conformance.execution import run_scenario
    from conformance.scenario.model import Requirements, Scenario, Step

    steps = tuple(Step("sleep", {"seconds": 0, "padding": "x" * 200}, {"ok": True}, i) for i in range(3000))
    driver = fake("ok", tmp_path)
    driver.start()
    run = run_scenario(Scenario(id="long", title="", spec=(), group="g", tags=(), requires=Requirements(),
                                steps=steps, path="<test>", line=1), driver, None)
    assert run.failure is None and len(run.transcript) == 3000
    driver.stop()
