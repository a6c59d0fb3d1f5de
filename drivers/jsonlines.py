"""The JSON-lines loop of drivers/PROTOCOL.md, section 4, for drivers written
in Python (stdlib only, so it also runs inside an SDK's own virtualenv):

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from jsonlines import serve
    serve(handle, "http")      # handle(request) -> response dict without "id"

stdout carries protocol lines only (everything else printed goes to stderr);
a request that is not JSON is logged and skipped; an exception escaping
`handle` is a driver bug, answered as category `unknown` (answered_by: driver) so
the run goes on."""

import json
import sys


def serve(handle, name: str) -> None:
    protocol_out = sys.stdout
    sys.stdout = sys.stderr
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except ValueError as exc:
            sys.stderr.write(f"[{name}-driver] not JSON: {line[:200]!r} ({exc})\n")
            continue
        try:
            response = handle(request)
        except Exception as exc:  # a driver bug: report it, keep serving
            response = {"ok": False, "answered_by": "driver", "elapsed_ms": 0.0, "warnings": [],
                        "error": {"category": "unknown", "type": "driver_" + type(exc).__name__, "code": None,
                                  "message": str(exc)}}
        response = {"id": request.get("id"), **{k: v for k, v in response.items() if k != "id"}}
        protocol_out.write(json.dumps(response, default=str) + "\n")
        protocol_out.flush()
