"""Whether a standalone program showed a failure again (conformance/repro.py): the same outcome at
every step up to the failing one (success, error with the same type and code, or no return), and
the failing step misses its expectation again, judged as in the run."""

from conformance.repro import compare


def step(n, op, response, expect=None, verdict="ok", args=None):
    return {"step": n, "op": op, "args": args or {}, "expect": expect or {"ok": True}, "response": response,
            "verdict": verdict}


OK = {"ok": True, "result": {"version": "v2.3.5"}, "elapsed_ms": 1}
NOT_CONNECTED = {"ok": False, "elapsed_ms": 1, "error": {"category": "not_connected", "type": "ConnectionNotExistException",
                                                          "code": 1, "message": "should create connection first."}}
HANG = {"ok": False, "elapsed_ms": 9000, "error": {"category": "hang", "type": "DriverDeadline", "code": None,
                                                   "message": "did not return"}}
TRANSCRIPT = [step(1, "connect", OK), step(2, "server", {"ok": True}),
              step(3, "server_version", NOT_CONNECTED, expect={"ok": True}, verdict="mismatch")]


def line(n, ok=True, **fields):
    return {"step": n, "ok": ok, "elapsed_ms": 2, **fields}


def test_the_same_error_again_is_reproduced():
    answers = {1: line(1, result={}), 3: line(3, ok=False, error={"type": "ConnectionNotExistException", "code": 1,
                                                                  "message": "should create connection first."})}
    reproduced, why = compare(TRANSCRIPT, answers)
    assert reproduced and why.startswith("step 3 (server_version) fails again: expected success")


def test_a_success_where_the_run_failed_is_not_reproduced():
    reproduced, why = compare(TRANSCRIPT, {1: line(1, result={}), 3: line(3, result={"version": "v2.3.5"})})
    assert not reproduced and why == "step 3 (server_version): the program's call ended in success, the run's in error"


def test_another_error_type_or_code_is_not_the_same_deviation():
    answers = {1: line(1, result={}), 3: line(3, ok=False, error={"type": "MilvusException", "code": 2, "message": "x"})}
    reproduced, why = compare(TRANSCRIPT, answers)
    assert not reproduced and "the program got MilvusException (code 2), the run ConnectionNotExistException (code 1)" in why


def test_an_earlier_step_that_differs_stops_the_comparison_there():
    answers = {1: line(1, ok=False, error={"type": "MilvusException", "code": 2, "message": "refused"})}
    reproduced, why = compare(TRANSCRIPT, answers)
    assert not reproduced and why.startswith("step 1 (connect): the program's call ended in error")


def test_a_program_that_never_printed_the_step_is_a_call_that_never_returned():
    transcript = [step(1, "connect", OK), step(2, "server_version", HANG, expect={"ok": True}, verdict="mismatch")]
    assert compare(transcript, {1: line(1, result={})})[0] is True
    assert compare(transcript, {1: line(1, result={}), 2: line(2, result={"version": "v"})})[0] is False


def test_a_result_field_is_judged_on_the_program_own_answer():
    transcript = [step(1, "has_connection", {"ok": True, "result": {"exists": True}},
                       expect={"ok": True, "result": {"exists": False}}, verdict="mismatch")]
    assert compare(transcript, {1: line(1, result={"exists": True})})[0] is True
    assert compare(transcript, {1: line(1, result={"exists": False})}) == (
        False, "step 1 (has_connection): the program's answer meets the expectation")


def test_a_time_bound_missed_again_is_reproduced_and_met_is_not():
    slow = {"ok": False, "elapsed_ms": 2100, "error": {"category": "timeout", "type": "E", "code": 4, "message": "m"}}
    transcript = [step(1, "connect", slow, expect={"error": "any", "within": {"seconds": 0.5}}, verdict="mismatch")]
    late = line(1, ok=False, error={"type": "E", "code": 4, "message": "m"})
    assert compare(transcript, {1: dict(late, elapsed_ms=2050)})[0] is True
    assert compare(transcript, {1: dict(late, elapsed_ms=100)})[0] is False
