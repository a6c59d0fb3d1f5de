"""A tiny stand-in driver for testing the harness's process handling only
(deadlines, crashes, garbage). It never stands in for an SDK in a conformance
result. Usage: misbehaving_driver.py <mode>; the mode applies to `connect`."""

import json
import sys
import time

mode = sys.argv[1]
for line in sys.stdin:
    request = json.loads(line)
    op = request["op"]
    if op == "hello":
        result = {"protocol": 99 if mode == "wrong-protocol" else 2, "driver": "fake", "language": "python",
                  "runtime": "test", "sdk": {"name": "none", "version": "0"}, "capabilities": []}
    elif op == "sleep":  # any mode: a step that takes a while (pipelining tests)
        time.sleep(request["args"]["seconds"])
        result = {"slept": request["args"]["seconds"], "at": time.monotonic()}
    elif op == "connect" and mode == "hang":
        time.sleep(3600)
    elif op == "connect" and mode == "garbage":
        print("this is not JSON", flush=True)
        continue
    elif op == "connect" and mode == "exit":
        print("fatal: simulated crash", file=sys.stderr, flush=True)
        sys.exit(3)
    elif op == "connect" and mode == "wrong-id":
        print(json.dumps({"id": -1, "ok": True, "answered_by": "sdk", "result": {}}), flush=True)
        continue
    elif op == "connect" and mode == "no-answerer":  # protocol 1's answer: who produced it is not said
        print(json.dumps({"id": request["id"], "ok": True, "result": {}}), flush=True)
        continue
    else:
        result = {}
    answered_by = "driver" if op in ("hello", "reset") else "sdk"
    print(json.dumps({"id": request["id"], "ok": True, "answered_by": answered_by, "result": result,
                      "elapsed_ms": 0, "warnings": []}), flush=True)
