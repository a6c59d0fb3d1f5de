"""Collect every outcome of a run (serial or from xdist workers) into the
results.json envelope, and write the run's report folder."""

import hashlib
import json
import re
import os
import platform
import subprocess
import time
from pathlib import Path

import yaml

from .. import __version__
from ..drivers.process import PROTOCOL_VERSION
from ..timing import run_breakdown
from ..paths import DEFAULT_REPORTS_DIR, REPO_ROOT, SPEC_FILE
from ..run import RunContext, write_json
from .badges import write_badges
from ..scenario.loader import PEER_COVERAGE_FILE, spec_statements
from ..scenario.model import LEVELS

OUTCOMES = ("pass", "fail", "xfail", "flaky", "observed", "skip", "error")
LEVEL_NAMES = tuple(reversed(LEVELS))  # strongest first, as shown (model.LEVELS is weakest first)


def _skip_reason(longrepr) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])
    else:
        text = str(longrepr)
    return text[len("Skipped: "):] if text.startswith("Skipped: ") else text


def _text(report) -> str:
    """The failure text, without xdist's "[gw0] linux -- Python ..." header line."""
    lines = report.longreprtext.splitlines()
    if lines and re.match(r"^\[gw\d+\] ", lines[0]):
        lines = lines[1:]
    return "\n".join(lines).strip()


def _payload(report):
    for key, value in getattr(report, "user_properties", []) or []:
        if key == "conformance":
            return value
    return None


class Collector:
    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.entries = {}  # nodeid -> outcome record
        self.collection_errors = []

    def add_test_report(self, report) -> None:
        payload = _payload(report)
        if payload is None:
            return
        entry = self.entries.setdefault(report.nodeid, {"nodeid": report.nodeid, "outcome": None, "message": "",
                                                        "duration_s": 0.0})
        entry.update(payload)
        entry["duration_s"] = round(entry["duration_s"] + report.duration, 3)
        if report.when == "setup":
            if report.failed:
                entry.update(outcome="error", message=_text(report))
            elif report.skipped:
                entry.update(outcome="skip", message=_skip_reason(report.longrepr))
        elif report.when == "call":
            if hasattr(report, "wasxfail") and report.skipped:
                entry.update(outcome="xfail", message=report.wasxfail)
            elif report.failed:
                entry.update(outcome="fail", message=_text(report))
            elif report.passed and payload.get("outcome_override"):  # flaky or observed, decided by the item
                entry.update(outcome=payload["outcome_override"], message="")
            elif report.passed:
                entry.update(outcome="pass", message="")
            elif report.skipped:  # decided by the run itself (the environment's connection limit)
                entry.update(outcome="skip", message=_skip_reason(report.longrepr))
        elif report.when == "teardown" and report.failed and entry["outcome"] in (None, "pass"):
            entry.update(outcome="error", message=_text(report))

    def add_collection_error(self, report) -> None:
        self.collection_errors.append({"nodeid": report.nodeid, "outcome": "error",
                                       "message": _text(report)})

    def outcomes(self) -> list:
        return [e for e in self.entries.values() if e["outcome"]]

    def any_problem(self) -> bool:
        return bool(self.collection_errors) or any(e["outcome"] in ("fail", "error", "flaky")
                                                   for e in self.outcomes())

    def drivers(self) -> dict:
        found = {}
        for entry in self.outcomes():
            info = entry.get("driver_info")
            if info and entry["driver"] not in found:
                found[entry["driver"]] = info
        drivers = {name: found.get(name, {"name": name}) for name in self.ctx.drivers}
        for column, driver in self.ctx.sdk_instances.items():  # a version column groups under its driver
            drivers[column] = {**drivers[column], "instance_of": driver}
        return drivers

    def summary(self) -> dict:
        """Per report column (a driver, or driver@server-version): counts over all cells, and counts
        and a score per level. The headline `score` is the must score: what the page promises."""
        return column_summary(self.outcomes(), self.ctx.columns())

    def envelope(self, endpoints: dict, interrupted: bool) -> dict:
        spec_text = SPEC_FILE.read_bytes() if SPEC_FILE.exists() else b""
        drivers = self.drivers()
        return {
            "format": 1,
            "suite": {"name": "milvus-conformance", "version": __version__, "protocol": PROTOCOL_VERSION},
            "run": {"id": self.ctx.run_id, "started": _iso(self.ctx.started), "finished": _iso(time.time()),
                    "interrupted": interrupted, "suite": self.ctx.suite, "scenarios": self.ctx.scenarios},
            "spec": {"file": SPEC_FILE.name, "sha256": hashlib.sha256(spec_text).hexdigest()},
            "statements": {sid: s.to_json() for sid, s in spec_statements().items()},
            "peer_coverage": _peer_coverage(),
            "machine": {"platform": platform.platform(), "python": platform.python_version(),
                        "cpus": os.cpu_count()},
            "provenance": self.provenance(endpoints, drivers),
            "servers": {profile: {k: v for k, v in ep.to_json().items() if k not in ("password", "root_password")}
                        for profile, ep in endpoints.items()},
            "server_source": self.ctx.milvus_uri or f"{self.ctx.server} Milvus {self.ctx.milvus_version}",
            "drivers": drivers,
            "histories": self.histories(),
            "summary": self.summary(),
            "collection_errors": self.collection_errors,
            "benchmarks": _latest_benchmarks(),
            "timing": self.timing(),
            "logs_kept": self.any_problem(),  # logs/server-<profile>.log beside this file
            "columns": [{"column": c, "driver": d, "server_version": v} for c, d, v in self.ctx.columns()],
            "outcomes": beside_reference(sorted(self.outcomes(),
                                                key=lambda e: (e["scenario"]["file"], e.get("column", e["driver"])))),
        }

    def provenance(self, endpoints: dict, drivers: dict) -> dict:
        """Where this run's verdicts come from: the suite's commit, each SDK's exact version and artifact digest
        (`drivers`: the envelope's), each server's version and digest, and the CI run when there is one."""
        return {
            "suite": suite_commit(),
            "ci_run": ci_run_url(),
            "sdks": {column: {"sdk": info.get("sdk"), "artifact": (info.get("build") or {}).get("artifact") or {}}
                     for column, info in drivers.items() if info.get("sdk")},
            "servers": {key: {"provider": ep.provider, "version": ep.version,
                              "artifact": ep.extra.get("artifact") or (
                                  {"file": ep.extra["image"], "digest": ep.extra.get("image_id", "")}
                                  if ep.extra.get("image") else {})}
                        for key, ep in endpoints.items()},
        }

    def histories(self) -> dict:
        """Driver -> the link, from this report, to its history page (python -m conformance.history), where one
        was written beside this run's report."""
        reports = Path(self.ctx.report_dir).parent
        found = {}
        for driver in {self.ctx.sdk_instances.get(d, d) for d in self.ctx.drivers}:
            if (reports / "history" / driver / "index.html").exists():
                found[driver] = f"../history/{driver}/index.html"
        return found

    def timing(self) -> dict:
        """Where this run's time went (conformance/timing.py): from the run's start to this report."""
        workers = {(e.get("timing") or {}).get("worker") for e in self.outcomes()} - {None}
        return run_breakdown(self.outcomes(), time.time() - self.ctx.started, len(workers))

    def write(self, report_dir: Path, endpoints: dict, interrupted: bool = False) -> dict:
        from .html import render

        data = self.envelope(endpoints, interrupted)
        write_json(report_dir / "results.json", data)
        write_badges(data, report_dir)  # badges/<column>.json: shields.io endpoints at stable paths
        (report_dir / "index.html").write_text(render(data), encoding="utf-8")
        latest = report_dir.parent / "latest"
        try:
            if latest.is_symlink() or latest.exists():
                latest.unlink()
            latest.symlink_to(report_dir.name)
        except OSError:
            pass
        self.written = report_dir
        return data

    def summary_lines(self) -> "list[str]":
        lines = ["", "milvus-conformance compliance (score: the page's must statements; should and info apart):"]
        for name, counts in self.summary().items():
            info = self.drivers().get(counts["driver"], {})
            sdk = info.get("sdk") or {}
            must, should = counts["levels"]["must"], counts["levels"]["should"]
            lines.append(f"  {name:14} {sdk.get('name', '?')} {sdk.get('version', '?'):10} must {_pct(must):>5} "
                         f"({must['pass']}/{must['ran']})  should {_pct(should):>5} ({should['pass']}/{should['ran']})  "
                         + "  ".join(f"{o} {counts[o]}" for o in OUTCOMES if counts[o]))
        for error in self.collection_errors:
            lines.append(f"  scenario file error: {error['message']}")
        lines += getattr(self, "gate_lines", [])
        written = getattr(self, "written", None)
        if written:
            lines.append(f"  report: {written / 'index.html'}")
            lines.append(f"  results: {written / 'results.json'}")
        return lines


def column_summary(outcomes: list, columns) -> dict:
    """[(column, driver, server version)] -> per column: counts over all its cells, and counts and a score per
    level (the run's summary; conformance.combine computes it again over several runs)."""
    per_column = {}
    for column, driver, version in columns:
        cells = [e for e in outcomes if e.get("column", e["driver"]) == column]
        counts = _counts(cells)
        levels = {level: _counts([e for e in cells if e.get("level") == level]) for level in LEVEL_NAMES}
        counts.update(score=levels["must"]["score"], levels=levels, driver=driver, server_version=version)
        per_column[column] = counts
    return per_column


def _counts(cells: list) -> dict:
    """Outcome counts; `ran` is what was judged (pass, fail, xfail) and the score is pass / ran."""
    counts = {o: 0 for o in OUTCOMES}
    for entry in cells:
        counts[entry["outcome"]] += 1
    ran = counts["pass"] + counts["fail"] + counts["xfail"]
    counts.update(ran=ran, score=round(counts["pass"] / ran, 4) if ran else None)
    return counts


def _pct(counts: dict) -> str:
    return f"{counts['score']:.0%}" if counts["score"] is not None else "n/a"


FINDINGS = ("fail", "xfail", "flaky")


def suite_commit() -> dict:
    """The suite's git commit and whether its tree had changes (a run from a dirty tree is not reproducible)."""
    def git(*args):
        proc = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30)
        return proc.stdout.strip() if proc.returncode == 0 else None

    try:
        commit = git("rev-parse", "HEAD")
        status = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.TimeoutExpired):
        commit = status = None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def ci_run_url():
    """The CI run's address (GitHub Actions), or None outside CI."""
    server, repo, run = (os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def beside_reference(outcomes: list) -> list:
    """Each SDK finding gets what the reference client (no SDK logic: the server alone) did in the same scenario
    against the same server: a deviation the reference shows too is the server's, not the SDK's."""
    reference = {(e["scenario"]["id"], e.get("server_version")): e for e in outcomes if e.get("role") == "reference"}
    if not reference:
        return outcomes
    for entry in outcomes:
        if entry.get("role") == "reference" or entry["outcome"] not in FINDINGS:
            continue
        ref = reference.get((entry["scenario"]["id"], entry.get("server_version")))
        if ref is None:  # the scenario is not one the reference runs (the documentation group)
            continue
        entry["reference"] = {"driver": ref["driver"], "column": ref.get("column"), "outcome": ref["outcome"],
                              "message": (ref.get("message") or "")[:500], "steps": _step_summaries(ref)}
    return outcomes


def _step_summaries(entry: dict) -> "list[str]":
    """What each step of a cell did, one line each ("connect: unavailable (...)")."""
    lines = []
    for step in entry.get("transcript") or []:
        response = step.get("response") or {}
        if response.get("ok"):
            lines.append(f"{step['op']}: ok")
        else:
            error = response.get("error") or {}
            lines.append(f"{step['op']}: {error.get('category', '?')} ({str(error.get('message', ''))[:120]})")
    return lines


def _peer_coverage():
    """scenarios/peer-coverage.yaml as the run saw it (None without one)."""
    try:
        return yaml.safe_load(PEER_COVERAGE_FILE.read_text())
    except (OSError, yaml.YAMLError):
        return None


def _latest_benchmarks():
    """The latest `python -m conformance.bench` result, shown beside the run (None if never run)."""
    path = DEFAULT_REPORTS_DIR / "bench" / "latest.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
