"""Verdicts an SDK team can take upstream: every fail confirmed in a fresh driver process and
reproduced by a standalone program; a failure the program does not show again is the harness's
(an error); a failure that does not repeat is flaky; an answer the driver made up is never a pass
or a fail. The planted faults live in a copy of the real python driver (the real pymilvus, a real
server): they stand for driver bugs, never for an SDK."""

import shutil
from pathlib import Path

import pytest

from conformance.paths import DRIVERS_DIR

FIXTURES = Path(__file__).parent / "fixtures"
pytestmark = pytest.mark.slow

PLANTED = '''
# -- planted faults (tests/test_verdicts.py): driver bugs, keyed by alias ------------------------
_real_connect, _real_server_version, _real_handle = OPS["connect"], OPS["server_version"], handle


def _planted_connect(args):
    if args.get("alias") == "artifact":  # a value converted before the SDK sees it
        args = dict(args, port=args["port"] + 1)
    return _real_connect(args)


def _planted_server_version(args):
    if args.get("alias") == "flaky" and not os.path.exists(MARK):  # only in the first driver process
        open(MARK, "w").close()
        raise RuntimeError("planted: fails in the first driver process only")
    if args.get("alias") == "driver-made":
        return {"version": "made up by the driver"}
    return _real_server_version(args)


def handle(request):
    response = _real_handle(request)
    if request.get("op") == "server_version" and (request.get("args") or {}).get("alias") == "driver-made":
        response["answered_by"] = "driver"
    return response


OPS.update(connect=_planted_connect, server_version=_planted_server_version)
MARK = "@MARK@"

'''

SCENARIOS = '''schema: 1
group: planted
scenarios:
  - id: planted.artifact
    title: A conversion the driver made fails the run, and a standalone program does not show it
    level: must
    spec: [connect.returns]
    steps:
      - op: connect
        args: {alias: artifact, host: "${server.host}", port: "${server.grpc_port}", timeout: 3}
      - op: server_version
        args: {alias: artifact}
  - id: planted.flaky
    title: A failure in the first driver process only
    level: must
    spec: [connect.returns]
    steps:
      - op: connect
        args: {alias: flaky, host: "${server.host}", port: "${server.grpc_port}"}
      - op: server_version
        args: {alias: flaky}
  - id: planted.driver-made
    title: An answer the driver makes up itself
    level: must
    spec: [connect.returns]
    steps:
      - op: connect
        args: {alias: driver-made, host: "${server.host}", port: "${server.grpc_port}"}
      - op: server_version
        args: {alias: driver-made}
        expect: {ok: true, result: {version: {type: string}}}
'''


def planted_registry(tmp_path) -> Path:
    """A copy of drivers/ whose python driver has the faults above, and a registry naming it."""
    drivers = tmp_path / "drivers"
    shutil.copytree(DRIVERS_DIR, drivers, ignore=shutil.ignore_patterns("node_modules", "__pycache__", "target"))
    driver = drivers / "python" / "driver.py"
    text = driver.read_text()
    tail = 'if __name__ == "__main__":\n    main()\n'
    assert text.endswith(tail)
    driver.write_text(text[:-len(tail)] + PLANTED.replace("@MARK@", str(tmp_path / "flaky.mark")) + tail)
    registry = drivers / "planted-registry.yaml"
    registry.write_text("drivers:\n  python: python/driver.yaml\n")
    return registry


def test_artifacts_are_errors_flaky_is_apart_and_driver_answers_decide_nothing(run_suite, tmp_path):
    scenarios = tmp_path / "planted.yaml"
    scenarios.write_text(SCENARIOS)
    run = run_suite("--registry", str(planted_registry(tmp_path)), "--scenarios", str(scenarios),
                    "--driver", "python")
    report = run.report_root / "latest"
    cells = {o["scenario"]["id"]: o for o in run.results["outcomes"]}

    artifact = cells["planted.artifact"]
    assert artifact["outcome"] == "error", artifact["message"]
    assert "not reproduced outside the harness" in artifact["message"]
    assert artifact["repro"]["reproduced"] is False and (report / artifact["repro"]["path"]).is_file()
    assert "step 1 (connect): the program's call ended in success, the run's in error" in artifact["repro"]["why"]
    assert artifact["verdict_source"] == "driver"
    assert [a["outcome"] for a in artifact["attempts"]] == ["fail", "fail"]  # confirmed, then not reproduced

    flaky = cells["planted.flaky"]
    assert flaky["outcome"] == "flaky", flaky["message"]
    assert [a["outcome"] for a in flaky["attempts"]] == ["fail", "pass"]
    assert all(a["transcript"] for a in flaky["attempts"])  # both transcripts are shown
    assert run.results["summary"]["python"]["flaky"] == 1

    made_up = cells["planted.driver-made"]
    assert made_up["outcome"] == "skip" and made_up["verdict_source"] == "driver"
    assert made_up["message"].startswith("decided by the driver, not the SDK: step 2 (server_version")
    assert made_up["transcript"][-1]["verdict"] == "driver"

    html = (report / "index.html").read_text()
    assert "NOT reproduced outside the harness" in html and "Both attempts" in html

