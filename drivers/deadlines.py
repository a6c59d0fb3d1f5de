"""The request deadline of a Python driver (drivers/PROTOCOL.md, section 4): a call that has not
returned 1 s before `deadline_ms` is interrupted, so the driver answers `hang` instead of being
killed. Standard library only; shared by the Python drivers (python, grpc).

    import deadlines
    deadlines.install()                                   # once, in main()
    result = deadlines.call_with_deadline(op, args, request.get("deadline_ms"))
    deadlines.seconds_left()                              # inside an op: time to answer in
"""

import signal
import threading
import time


class DriverDeadline(BaseException):
    """The call did not return before the request's deadline. A BaseException, so that an SDK's own
    `except Exception` retry loops cannot swallow it."""


_deadline = [None]  # monotonic time by which the current request must be answered


def _expire(signum, frame):
    raise DriverDeadline("the call had not returned 1 s before the request's deadline; the driver interrupted it")


def install() -> None:
    signal.signal(signal.SIGALRM, _expire)


def seconds_left():
    """Seconds until the current request's deadline, or None when it has none."""
    return None if _deadline[0] is None else _deadline[0] - time.monotonic()


def call_with_deadline(fn, args: dict, deadline_ms):
    """The call runs on this (the main) thread and a timer signal interrupts it: gRPC's blocking waits
    check for signals every 200 ms. (A worker thread per call would cost more than the sub-millisecond
    calls it runs.)"""
    _deadline[0] = time.monotonic() + deadline_ms / 1000 if deadline_ms else None
    if not deadline_ms:
        return fn(args)
    signal.setitimer(signal.ITIMER_REAL, max(0.5, deadline_ms / 1000 - 1.0))
    try:
        return fn(args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def during_call(call, close, after_ms, timeout, error_of) -> dict:
    """disconnect_during_call (PROTOCOL section 5): `call` on a thread, `close` after after_ms, then the call's end
    awaited (its timeout + 5 s, or 15 s, and before the request's deadline). error_of turns an exception into
    the protocol's error object."""
    outcome, ended = {"pending": True}, []

    def in_flight():
        try:
            outcome.update(ok=True, result=call())
        except Exception as exc:
            outcome.update(ok=False, error=error_of(exc))
        outcome.pop("pending")
        ended.append(time.monotonic())

    thread = threading.Thread(target=in_flight, daemon=True)  # daemon: a call that never ends must not keep us
    thread.start()
    time.sleep(float(after_ms) / 1000)
    try:
        close()
        disconnect = {"ok": True}
    except Exception as exc:
        disconnect = {"ok": False, "error": error_of(exc)}
    closed = time.monotonic()
    patience = float(timeout) + 5 if timeout is not None else 15
    left = seconds_left()
    if left is not None:  # answer before the request's deadline interrupts us
        patience = min(patience, max(0.1, left - 1.5))
    thread.join(patience)
    return {"disconnect": disconnect, "call": dict(outcome),
            "call_ended_ms": round((ended[0] - closed) * 1000, 3) if ended else None}
