"""Matching one response against `expect:`."""

from conformance.scenario.expectations import check

OK = {"ok": True, "result": {"aliases": ["a", "b"], "exists": True, "version": "v2.3.5"}, "elapsed_ms": 12}


def error(category, message="boom", elapsed_ms=10):
    return {"ok": False, "error": {"category": category, "type": "E", "code": 1, "message": message},
            "elapsed_ms": elapsed_ms}


def test_success_and_result_fields():
    assert check({"ok": True}, OK, {}) == (None, False)
    assert check({"ok": True, "result": {"exists": True, "aliases": {"contains": "b"}}}, OK, {})[0] is None
    reason, _ = check({"ok": True, "result": {"exists": False}}, OK, {})
    assert "result.exists" in reason and "True" in reason
    assert check({"ok": True, "result": {"missing": 1}}, OK, {})[0]


def test_booleans_never_equal_numbers():
    assert check({"ok": True, "result": {"exists": 1}}, OK, {})[0]


def test_expected_success_quotes_the_sdk_error():
    reason, _ = check({"ok": True}, error("unavailable", "Fail connecting"), {})
    assert "unavailable" in reason and "Fail connecting" in reason


def test_error_categories_and_message():
    assert check({"error": ["unavailable", "timeout"]}, error("timeout"), {})[0] is None
    assert "expected error auth_failed" in check({"error": "auth_failed"}, error("unavailable"), {})[0]
    assert check({"error": "unavailable", "message_contains": "FAIL"}, error("unavailable", "fail x"), {})[0] is None
    assert check({"error": "unavailable", "message_contains": "nope"}, error("unavailable"), {})[0]
    assert "but the call succeeded" in check({"error": "unavailable"}, OK, {})[0]


def test_unknown_category_never_matches():
    assert check({"error": "internal"}, error("unknown"), {})[0]


def test_one_of_and_stop():
    expect = {"one_of": [{"error": "auth_failed", "stop": True}, {"ok": True}]}
    assert check(expect, error("auth_failed"), {}) == (None, True)
    assert check(expect, OK, {}) == (None, False)
    reason, stop = check(expect, error("timeout"), {})
    assert reason.startswith("none of the accepted outcomes") and not stop


def test_time_bounds():
    slow = error("timeout", elapsed_ms=3500)
    assert check({"error": "timeout", "within": {"timeout_factor": 1.5}}, slow, {"timeout": 3})[0] is None
    assert "took 3.50 s" in check({"error": "timeout", "within": {"timeout_factor": 1.5}}, slow, {"timeout": 2})[0]
    assert check({"error": "timeout", "within": {"seconds": 4}}, slow, {})[0] is None
    assert "needs a numeric `timeout`" in check({"error": "timeout", "within": {"timeout_factor": 1}}, slow, {})[0]


def test_operators():
    result = {"ok": True, "result": {"n": 5, "s": "Hello"}, "elapsed_ms": 1}
    assert check({"ok": True, "result": {"n": {"gte": 5, "lte": 5}, "s": {"contains": "hell"}}}, result, {})[0] is None
    assert check({"ok": True, "result": {"n": {"any_of": [1, 5]}}}, result, {})[0] is None
    assert check({"ok": True, "result": {"n": {"not": 5}}}, result, {})[0]
    assert check({"ok": True, "result": {"s": {"type": "integer"}}}, result, {})[0]


def hang(elapsed_ms=9000):
    return {"ok": False, "elapsed_ms": elapsed_ms,
            "error": {"category": "hang", "type": "DriverDeadline", "code": None, "message": "did not return"}}


def test_not_ok_takes_any_error_and_a_call_that_never_returned():
    assert check({"ok": False}, error("unknown"), {})[0] is None
    assert check({"ok": False}, hang(), {})[0] is None
    reason, _ = check({"ok": False}, OK, {})
    assert reason.startswith("expected the call not to succeed, but it succeeded")


def test_any_error_is_every_category_but_a_call_that_never_returned():
    for category in ("unavailable", "param_error", "unknown", "internal"):
        assert check({"error": "any"}, error(category), {})[0] is None, category
    reason, _ = check({"error": "any"}, hang(), {})
    assert "expected error any, but the call did not return within 9.0 s" in reason
    assert check({"error": "any"}, OK, {})[0]
    # a listed category never matches a hang either
    assert check({"error": ["timeout", "unavailable"]}, hang(), {})[0]


def test_a_field_the_result_lacks_matches_only_absent():
    empty = {"ok": True, "result": {}, "elapsed_ms": 1}
    present = {"ok": True, "result": {"address": "localhost:19530"}, "elapsed_ms": 1}
    assert check({"ok": True, "result": {"address": {"type": "absent"}}}, empty, {})[0] is None
    reason, _ = check({"ok": True, "result": {"address": {"type": "absent"}}}, present, {})
    assert "expected result.address" in reason and "localhost:19530" in reason
    reason, _ = check({"ok": True, "result": {"address": {"type": "string"}}}, empty, {})
    assert "<missing>" in reason  # shown as missing, and no type but absent matches it
    assert check({"ok": True, "result": {"address": {"not": {"type": "string"}}}}, empty, {})[0] is None
