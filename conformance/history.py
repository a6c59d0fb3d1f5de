"""The history of each finding across an SDK's releases:

    python -m conformance.history --driver cli                # every milvus-cli release
    python -m conformance.history --driver python --versions ">=2.4"
    python -m conformance.history --driver python --versions each-minor:">=2.2"

runs the suite over the releases (real builds, real servers, the normal harness)
and writes reports/history/<driver>/index.html and history.json: scenarios by
versions, each cell its outcome, and for each scenario the release where its
outcome last changed ("fails since 0.4.0", "passes since 3.0.1").

Results are stored per (driver, SDK version, server, scenario file): a stored
entry is reused while the scenario file, the spec statements and the driver's
folder are unchanged, so a second call runs only what is new, and says so.
The doc's own examples for the driver's language (the `docs` driver, with that
language's SDK set to the version) run beside it: a doc snippet that stops
working shows up in the history as the release that broke it."""

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from html import escape
from pathlib import Path

from .drivers.build import source_hash
from .drivers.registry import load_registry
from .errors import ConformanceError
from .paths import DEFAULT_REPORTS_DIR, REPO_ROOT, SCENARIOS_DIR, SPEC_FILE, cache_dir
from .report.html import CSS, SYMBOL
from .trees import remove_tree
from .scenario.loader import STATEMENTS_FILE, scenario_files
from .sdk_versions import EACH_MINOR, newest_of_each_minor, published_versions

BATCH = 6  # SDK versions per suite run (one report column each; the servers are shared)
DOCS = "docs"


def store_dir(driver: str, server: str, root: str = "") -> Path:
    return (Path(root) if root else cache_dir() / "history") / driver / server


def file_hashes(scenarios: Path, spec_page: Path) -> "dict[str, str]":
    """Scenario file (as results.json names it) -> the hash its stored results are keyed by."""
    statements = STATEMENTS_FILE.read_bytes()
    files = {str(p.relative_to(REPO_ROOT)): p for p in scenario_files(scenarios)}
    if scenarios.resolve() == SCENARIOS_DIR and spec_page.exists():  # the doc's examples run with the full tree
        files[str(spec_page.relative_to(REPO_ROOT))] = spec_page
    return {name: hashlib.sha256(path.read_bytes() + statements).hexdigest()[:16] for name, path in files.items()}


class Store:
    """Stored outcomes of one driver on one server: <version>/<file key>.json."""

    def __init__(self, driver: str, server: str, driver_hash: str, root: str = ""):
        self.root = store_dir(driver, server, root)
        self.driver_hash = driver_hash

    def _path(self, version: str, file: str, file_hash: str) -> Path:
        key = hashlib.sha256(f"{file}|{file_hash}|{self.driver_hash}".encode()).hexdigest()[:20]
        return self.root / version / f"{key}.json"

    def get(self, version: str, file: str, file_hash: str):
        path = self._path(version, file, file_hash)
        return json.loads(path.read_text()) if path.exists() else None

    def put(self, version: str, file: str, file_hash: str, outcomes: list) -> None:
        path = self._path(version, file, file_hash)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"file": file, "version": version, "outcomes": outcomes}))


def versions_of(manifest, request: str) -> "list[str]":
    if request == EACH_MINOR or request.startswith(EACH_MINOR + ":"):
        return newest_of_each_minor(published_versions(manifest, request.partition(":")[2]))
    return published_versions(manifest, request)


def run_batch(driver: str, versions: list, server: str, tab: str, with_docs: bool,
              scenarios: Path, work: Path) -> "dict[str, list]":
    """One suite run for these versions: the driver's columns, and the docs driver's example for its language at
    each version -> version -> outcomes, each {scenario, file, title, outcome, level, message}."""
    # the batch's own report, inside the history's folder (not /tmp): removed once read, and where a user finds
    # it if the call was interrupted
    work.mkdir(parents=True, exist_ok=True)
    report_dir = Path(tempfile.mkdtemp(prefix="batch-", dir=work))
    docs_requests = [f"1;{tab}={v}" for v in versions]
    try:
        command = [sys.executable, "-m", "pytest", "conformance", "-p", "no:cacheprovider", "-q",
                   "--driver", f"{driver},{DOCS}" if with_docs else driver,
                   "--sdk", f"{driver}={','.join(versions)}", "--server", server,
                   "--report-dir", str(report_dir), "--scenarios", str(scenarios), "-n", "2"]
        if with_docs:  # only its language's example and label check
            command += ["--sdk", f"{DOCS}={','.join(docs_requests)}",
                        "-k", f"not docs.example and not docs.labels or docs.example.{tab} or docs.labels.{tab}"]
        proc = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=7200)
        results_files = sorted(report_dir.glob("*/results.json"))
        if not results_files:
            raise ConformanceError(f"the suite run for {driver} {', '.join(versions)} wrote no report: "
                                   f"{(proc.stdout + proc.stderr).strip()[-800:]}", where="conformance.history")
        results = json.loads(results_files[-1].read_text())
    finally:
        remove_tree(report_dir, patience_seconds=0)
    single = len(versions) == 1
    column_version = {(driver if single else f"{driver}-{v}"): v for v in versions}
    column_version.update({(DOCS if single else f"{DOCS}-1+{tab}-{v}"): v for v in versions})
    found: "dict[str, list]" = {v: [] for v in versions}
    for entry in results["outcomes"]:
        version = column_version.get((entry.get("column") or entry["driver"]).split("@", 1)[0])
        if version is None:
            continue
        found[version].append({"scenario": entry["scenario"]["id"], "file": _file_of(entry["scenario"]["file"]),
                               "title": entry["scenario"]["title"], "outcome": entry["outcome"],
                               "level": entry.get("level"),
                               "message": (entry.get("message") or "").splitlines()[0][:300]
                               if entry.get("message") else ""})
    return found


def _file_of(location: str) -> str:
    """results.json's "path:line" (the spec page's path absolute) -> the path relative to the repository."""
    path = Path(location.rsplit(":", 1)[0])
    return str(path.relative_to(REPO_ROOT)) if path.is_absolute() and path.is_relative_to(REPO_ROOT) else str(path)


def changes(row: "list[tuple[str, str]]") -> "list[str]":
    """[(version, outcome)] oldest first -> where the judged outcome changed ("fails since 0.4.0")."""
    said, previous = [], None
    for version, outcome in row:
        if outcome in ("skip", None):
            continue
        state = {"pass": "passes", "fail": "fails", "xfail": "fails", "error": "errors", "flaky": "is flaky",
                 "observed": "observed"}.get(outcome, outcome)
        if previous is not None and state != previous:
            said.append(f"{state} since {version}")
        previous = state
    return said


def page(driver: str, server: str, versions: list, table: dict, titles: dict) -> str:
    head = "".join(f"<th>{escape(v)}</th>" for v in versions)
    rows = []
    for scenario in sorted(table):
        cells = table[scenario]
        said = changes([(v, cells.get(v)) for v in versions])
        tds = "".join(f"<td class='cell {escape(cells.get(v) or 'none')}' title='{escape(cells.get(v) or 'not run')}'>"
                      f"{SYMBOL.get(cells.get(v), '·')}</td>" for v in versions)
        rows.append(f"<tr id='{escape(scenario)}'><td><code>{escape(scenario)}</code><div class=muted>"
                    f"{escape(titles.get(scenario, ''))}</div></td><td>{escape('; '.join(said)) or '—'}</td>{tds}</tr>")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>History — {escape(driver)}</title>"
            f"<style>{CSS}</style></head><body><h1>History of {escape(driver)} across its releases</h1>"
            f"<p class=muted>server: {escape(server)} · {len(versions)} release(s), oldest first · a cell is the "
            f"outcome of that release; “since” names the release where the outcome last changed.</p>"
            f"<table><tr><th>scenario</th><th>changes</th>{head}</tr>{''.join(rows)}</table></body></html>")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.history", description=__doc__.split("\n\n")[0])
    parser.add_argument("--driver", required=True)
    parser.add_argument("--versions", default="", help='a range (">=2.4"), each-minor[:RANGE]; default: every release')
    parser.add_argument("--server", default="embedded", help="as pytest's --server (one kind)")
    parser.add_argument("--scenarios", default=str(SCENARIOS_DIR), help="a scenario folder or file (default: all)")
    parser.add_argument("--report-dir", default=str(DEFAULT_REPORTS_DIR))
    parser.add_argument("--store", default="", help="where results are kept (default: the cache's history/)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        registry = load_registry()
        if args.driver not in registry:
            raise ConformanceError(f"unknown driver '{args.driver}'; the registry has: {', '.join(registry)}",
                                   where="--driver")
        manifest = registry[args.driver]
        versions = versions_of(manifest, args.versions)
        if not versions:
            raise ConformanceError(f"no release of {manifest.sdk_name} matches '{args.versions}'", where="--versions")
        scenarios = Path(args.scenarios).resolve()
        if not scenarios.exists():
            raise ConformanceError(f"'{args.scenarios}' does not exist", where="--scenarios")
        tab = manifest.doc.get("tab", "")
        with_docs = DOCS in registry and tab in ("python", "node", "go", "java", "cli") and scenarios == SCENARIOS_DIR
        hashes = file_hashes(scenarios, SPEC_FILE)
        driver_hash = source_hash(manifest.driver_dir) + (source_hash(registry[DOCS].driver_dir) if with_docs else "")
        store = Store(args.driver, args.server, driver_hash, args.store)
        todo = [v for v in versions if any(store.get(v, f, h) is None for f, h in hashes.items())]
        reused = len(versions) - len(todo)
        print(f"history of {args.driver}: {len(versions)} release(s); {reused} already stored for these scenario "
              f"files, {len(todo)} to run", flush=True)
        batches = [todo[i:i + BATCH] for i in range(0, len(todo), BATCH)]
        for batch in batches:
            print(f"  running {', '.join(batch)} ...", flush=True)
            found = run_batch(args.driver, batch, args.server, tab, with_docs, scenarios,
                              Path(args.report_dir) / "history" / args.driver / ".runs")
            for version, outcomes in found.items():
                if not outcomes:  # nothing to store: a later call must run it again
                    raise ConformanceError(f"the suite run gave no outcome for {args.driver} {version}",
                                           where="conformance.history")
                for file, file_hash in hashes.items():
                    store.put(version, file, file_hash, [o for o in outcomes if o["file"] == file])
        table, titles = {}, {}
        for version in versions:
            for file, file_hash in hashes.items():
                for o in (store.get(version, file, file_hash) or {}).get("outcomes", []):
                    table.setdefault(o["scenario"], {})[version] = o["outcome"]
                    titles[o["scenario"]] = o.get("title", "")
    except ConformanceError as exc:
        print(f"conformance.history: {exc}", file=sys.stderr)
        return 2
    out = Path(args.report_dir) / "history" / args.driver
    out.mkdir(parents=True, exist_ok=True)
    if (out / ".runs").is_dir() and not any((out / ".runs").iterdir()):
        (out / ".runs").rmdir()
    summary = {scenario: changes([(v, cells.get(v)) for v in versions]) for scenario, cells in table.items()}
    (out / "history.json").write_text(json.dumps(
        {"driver": args.driver, "server": args.server, "versions": versions, "outcomes": table,
         "changes": summary, "reused": reused, "ran": len(todo)}, indent=1))
    (out / "index.html").write_text(page(args.driver, args.server, versions, table, titles), encoding="utf-8")
    elapsed = time.monotonic() - started
    print(f"history written: {out / 'index.html'} ({len(table)} scenarios x {len(versions)} releases; "
          f"{'all results reused from the store, nothing run' if not todo else f'{len(todo)} release(s) run'}; "
          f"{elapsed:.1f} s)")
    for scenario, said in sorted(summary.items()):
        if said:
            print(f"  {scenario}: {'; '.join(said)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
