"""Checking one step's response against its `expect:` (scenarios/FORMAT.md).

`check` returns None when the response meets the expectation, else a one-line
reason that quotes the evidence (the SDK's raw error or result)."""

from typing import Optional


class _Missing:
    """A result field the response does not have (matches only `{type: absent}`)."""

    def __repr__(self):
        return "<missing>"


MISSING = _Missing()


def _matches(expected, actual) -> bool:
    """Result-field matching: literals by equality; {contains|gte|lte|type|any_of} operators."""
    if isinstance(expected, dict) and expected and set(expected) <= {"contains", "gte", "lte", "type", "any_of", "not"}:
        checks = []
        if "contains" in expected:
            needle = expected["contains"]
            checks.append(isinstance(actual, (list, str)) and (
                needle.lower() in actual.lower() if isinstance(actual, str) and isinstance(needle, str)
                else needle in actual))
        if "gte" in expected:
            checks.append(isinstance(actual, (int, float)) and actual >= expected["gte"])
        if "lte" in expected:
            checks.append(isinstance(actual, (int, float)) and actual <= expected["lte"])
        if "type" in expected:
            names = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "list": list,
                     "object": dict, "null": type(None), "absent": _Missing}
            checks.append(isinstance(actual, names[expected["type"]]))
        if "any_of" in expected:
            checks.append(any(_matches(option, actual) for option in expected["any_of"]))
        if "not" in expected:
            checks.append(not _matches(expected["not"], actual))
        return all(checks)
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and _matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return expected == actual


def _describe_response(response: dict) -> str:
    if response.get("ok"):
        return f"succeeded with result {response.get('result')}"
    e = response.get("error") or {}
    if e.get("category") == "hang":
        return f"did not return within {float(response.get('elapsed_ms') or 0) / 1000:.1f} s ({e.get('message')})"
    code = f" code {e.get('code')}" if e.get("code") is not None else ""
    return f"failed: {e.get('category')} ({e.get('type')}{code}: {e.get('message')})"


def _check_outcome(expect: dict, response: dict) -> "tuple[Optional[str], dict]":
    """(None, the alternative that matched) or (the reason, expect)."""
    if "one_of" in expect:
        reasons = []
        for option in expect["one_of"]:
            reason, matched = _check_outcome(option, response)
            if reason is None:
                return None, matched
            reasons.append(reason)
        return "none of the accepted outcomes: " + "; ".join(reasons), expect
    return _check_single(expect, response), expect


def _check_single(expect: dict, response: dict) -> Optional[str]:
    if expect.get("ok") is False:  # it does not succeed: an error of any kind, or no return in time
        return f"expected the call not to succeed, but it {_describe_response(response)}" if response.get("ok") else None
    if "error" in expect:
        wanted = expect["error"] if isinstance(expect["error"], list) else [expect["error"]]
        if response.get("ok"):
            return f"expected an error ({' or '.join(wanted)}), but the call {_describe_response(response)}"
        error = response.get("error") or {}
        # `any` is every error the SDK raised or returned; a call that never returned raised nothing
        if error.get("category") == "hang" or (wanted != ["any"] and error.get("category") not in wanted):
            return f"expected error {' or '.join(wanted)}, but the call {_describe_response(response)}"
        needle = expect.get("message_contains")
        if needle and needle.lower() not in str(error.get("message", "")).lower():
            return f"expected the error message to contain {needle!r}, but the call {_describe_response(response)}"
        return None
    if not response.get("ok"):
        return f"expected success, but the call {_describe_response(response)}"
    for key, wanted in (expect.get("result") or {}).items():
        actual = (response.get("result") or {}).get(key, MISSING)
        if not _matches(wanted, actual):
            return f"expected result.{key} to match {wanted!r}, got {actual!r}"
    return None


def check(expect: dict, response: dict, args: dict) -> "tuple[Optional[str], bool]":
    """(None or the reason it does not match, whether the scenario ends here)."""
    reason, matched = _check_outcome(expect, response)
    if reason:
        return reason, False
    return _check_time(expect, response, args), bool(matched.get("stop"))


def _check_time(expect: dict, response: dict, args: dict) -> Optional[str]:
    within = expect.get("within")
    if within:
        elapsed = float(response.get("elapsed_ms", 0)) / 1000
        limit = within.get("seconds")
        if "timeout_factor" in within:
            if not isinstance(args.get("timeout"), (int, float)):
                return "expect.within.timeout_factor needs a numeric `timeout` argument in this step"
            limit = within["timeout_factor"] * args["timeout"]
        if elapsed > limit:
            return f"the outcome was right but took {elapsed:.2f} s, more than the allowed {limit:.2f} s"
    return None
