"""Combine the results of separate runs (CI jobs: one driver, SDK version or server each)
into one site:

    python -m conformance.combine reports/run-a reports/run-b results.json ... -o site/

writes site/index.html (the report over all of them), site/results.json,
site/drivers/<driver>.html (that driver's columns: its versions and servers) and
site/badges/<column>.json (shields.io endpoints). A cell two runs disagree on is a
conflict: listed here and in the page, and the exit status is 1."""

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Optional

from .errors import ConformanceError
from .report.badges import write_badges
from .report.columns import driver_and_version
from .report.combine import combine
from .report.diff import load
from .report.html import render


def driver_pages(combined: dict) -> "dict[str, dict]":
    """driver -> the combined results restricted to that driver's columns (every version and server)."""
    pages = {}
    for column in combined["columns"]:
        pages.setdefault(driver_and_version(column["driver"], combined["drivers"].get(column["driver"]) or {})[0],
                         []).append(column["column"])
    subsets = {}
    for base, names in pages.items():
        subset = dict(combined)
        subset["columns"] = [c for c in combined["columns"] if c["column"] in names]
        subset["outcomes"] = [o for o in combined["outcomes"] if o["column"] in names]
        subset["summary"] = {k: v for k, v in combined["summary"].items() if k in names}
        subsets[base] = subset
    return subsets


def add_histories(folders: "list[str]", out: Path) -> "dict[str, str]":
    """Copy history pages (python -m conformance.history: a folder with history.json and index.html) into
    the site's history/<driver>/; driver -> the page, relative to the site's root."""
    found = {}
    for folder in map(Path, folders):
        try:
            driver = json.loads((folder / "history.json").read_text())["driver"]
        except (OSError, ValueError, KeyError) as exc:
            raise ConformanceError(f"'{folder}' is not a history folder written by python -m conformance.history "
                                   f"(a history.json naming its driver, and index.html): {exc}", where="--history")
        target = out / "history" / driver
        target.mkdir(parents=True, exist_ok=True)
        for name in ("index.html", "history.json"):
            shutil.copy(folder / name, target / name)
        found[driver] = f"history/{driver}/index.html"
    return found


def write_site(combined: dict, out: Path, histories: "Optional[dict]" = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    histories = histories or {}
    combined["histories"] = histories  # each finding links to its driver's history, when there is one
    (out / "results.json").write_text(json.dumps(combined, indent=1))
    (out / "index.html").write_text(render(combined), encoding="utf-8")
    (out / "drivers").mkdir(exist_ok=True)
    for driver, subset in driver_pages(combined).items():
        subset["histories"] = {d: f"../{link}" for d, link in histories.items()}  # from drivers/
        (out / "drivers" / f"{driver}.html").write_text(render(subset), encoding="utf-8")
    write_badges(combined, out)  # badges/<column>.json


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.combine", description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="results.json files or report folders")
    parser.add_argument("-o", "--out", required=True, help="the site's folder")
    parser.add_argument("--history", action="append", default=[],
                        help="a history folder (python -m conformance.history writes <reports>/history/<driver>/): "
                             "copied into the site, its findings linked to it; repeatable")
    args = parser.parse_args(argv)
    try:
        runs = [load(path) for path in args.runs]
        histories = add_histories(args.history, Path(args.out))
    except ConformanceError as exc:
        print(f"conformance.combine: {exc}", file=sys.stderr)
        return 2
    combined = combine(runs, [Path(p).name if Path(p).is_dir() else Path(p).parent.name for p in args.runs])
    write_site(combined, Path(args.out), histories)
    print(f"combined {len(runs)} run(s): {len(combined['columns'])} column(s), {len(combined['outcomes'])} cell(s) "
          f"-> {Path(args.out) / 'index.html'}")
    for conflict in combined["conflicts"]:
        print(f"  conflict: {conflict['scenario']} [{conflict['column']}]: "
              + ", ".join(f"{run} says {outcome}" for run, outcome in conflict["runs"].items()))
    return 1 if combined["conflicts"] else 0


if __name__ == "__main__":
    sys.exit(main())
