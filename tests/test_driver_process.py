"""The harness's handling of drivers that hang, crash or answer garbage
(drivers/PROTOCOL.md, section 4): an error with the stderr tail, a restart."""

import dataclasses
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
    for mode, message in (("garbage", "not JSON"), ("wrong-id", "instead of a response with id")):
        driver = fake(mode, tmp_path)
        driver.start()
        with pytest.raises(DriverError, match=message):
            driver.request("connect", {}, 5)


def test_an_unknown_protocol_version_is_refused(tmp_path):
    with pytest.raises(DriverError, match="speaks protocol 99, the harness speaks 1"):
        fake("wrong-protocol", tmp_path).start()


def test_a_missing_program_is_a_clear_error(tmp_path):
    driver = fake("ok", tmp_path)
    driver.manifest = dataclasses.replace(driver.manifest, run_command=("/nonexistent/driver",))
    with pytest.raises(DriverError, match="could not start"):
        driver.start()
