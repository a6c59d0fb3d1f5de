"""Pause and resume of a private server: the step after `server: pause` meets a frozen process.

kill(SIGSTOP) returns before a thread running on the other core has stopped; the control waits
until every thread has (as `docker pause` does for a container). Checked on a real process with busy
threads, the case where the wait matters."""

import os
import signal
import subprocess
import sys

import pytest

from conformance.errors import ServerStartError
from conformance.faults.control import _thread_states, _wait_until_threads

BUSY = ("import threading, time\n"
        "for _ in range(6): threading.Thread(target=lambda: [x for x in iter(int, 1)], daemon=True).start()\n"
        "time.sleep(120)\n")


@pytest.fixture
def busy_process():
    proc = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        while len(_thread_states(proc.pid)) < 7:
            pass
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_after_the_wait_every_thread_is_stopped_then_none(busy_process):
    os.kill(busy_process, signal.SIGSTOP)
    _wait_until_threads(busy_process, stopped=True)
    assert set(_thread_states(busy_process)) == {"T"}
    os.kill(busy_process, signal.SIGCONT)
    _wait_until_threads(busy_process, stopped=False)
    assert "T" not in set(_thread_states(busy_process))


def test_a_process_that_never_stops_is_a_harness_error_naming_its_threads(busy_process):
    with pytest.raises(ServerStartError, match=r"was not stopped 0.2 s after its signal; thread states \["):
        _wait_until_threads(busy_process, stopped=True, timeout=0.2)


def test_a_process_already_gone_is_left_to_the_next_step():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    _wait_until_threads(proc.pid, stopped=True)  # returns: no threads to wait for


class _FailsToStart:
    """A private server whose start fails after writing its log (a harness unit test: no Milvus here)."""

    def __init__(self, log):
        self.log = log

    def start(self):
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.write_text("etcd: waiting for leader\n")
        raise ServerStartError(f"Milvus was not healthy after 180 s; its log is {self.log}", log_tail="etcd")

    def stop(self):
        pass


def test_the_log_of_a_private_server_that_failed_to_start_outlives_the_scratch_folder(tmp_path, monkeypatch):
    from conformance.servers.pool import ServerPool

    pool = ServerPool(tmp_path / "scratch", 1, "2.3.5", failed_logs=tmp_path / "report" / "logs")
    monkeypatch.setattr(pool, "_server", lambda profile, workdir, log, version=None: _FailsToStart(log))
    with pytest.raises(ServerStartError) as raised:
        pool.private("plain", "bg-faults.call-while-stopped")
    kept = tmp_path / "report" / "logs" / "failed-start-private-bg-faults.call-while-stopped.log"
    assert str(raised.value).endswith(f"(kept in the report as {kept})")
    assert kept.read_text() == "etcd: waiting for leader\n"
    assert raised.value.log_tail == "etcd"


GO_DUMP = ("fatal error: concurrent map writes\n\ngoroutine 189 [select]:\nruntime.gopark(0xc0013f1780?)\n"
           "\t/usr/local/go/src/runtime/proc.go:381 +0xd6\n")


def test_a_server_that_crashed_during_start_up_is_started_once_more_and_a_second_crash_is_the_error(tmp_path):
    from conformance.servers.embedded import crashed, worth_another_start

    assert crashed(134, "") and crashed(None, GO_DUMP) and crashed(-11, "")
    assert not crashed(1, "invalid configuration: proxy.port")  # a server that refuses its configuration
    log = tmp_path / "server.log"
    taken = ServerStartError("exited", log_tail="listen tcp :42219: bind: address already in use")
    crash = ServerStartError("exited during start-up with status None", log_tail=GO_DUMP, crashed=True)
    refused = ServerStartError("exited during start-up with status 1", log_tail="invalid configuration")
    assert worth_another_start(taken, 1, log) == (True, 1)  # a port taken meanwhile: new ports, always
    assert worth_another_start(crash, 0, log) == (True, 1)
    assert "--- crashed during start-up (exited during start-up with status None); starting once more" \
        in log.read_text()
    assert worth_another_start(crash, 1, log) == (False, 1)
    assert worth_another_start(refused, 0, log) == (False, 0)
