"""A shields.io badge per SDK column: its must score (what the spec page promises).

Each run's report folder gets badges/<column>.json beside results.json, a
shields.io endpoint (https://shields.io/badges/endpoint-badge):

    {"schemaVersion": 1, "label": "python must", "message": "93%", "color": "green"}

The path is stable, so a README can embed the latest published run's badge:

    ![python](https://img.shields.io/endpoint?url=<raw URL of badges/python.json>)

e.g. url=https://raw.githubusercontent.com/OWNER/REPO/BRANCH/reports/latest/badges/python.json
(URL-encoded). The reference client's column gets none: it is the server alone, not an SDK."""

import json
import re
from pathlib import Path

# (lowest must percent, colour), best first; a score short of 100% never shows as 100%
COLOURS = ((100, "brightgreen"), (90, "green"), (75, "yellow"), (50, "orange"), (0, "red"))
NO_SCORE = "lightgrey"


def percent(score: "float | None") -> "int | None":
    """The must score as the report shows it (rounded), but 99 at most until every must cell passes."""
    if score is None:
        return None
    shown = round(score * 100)
    return min(shown, 99) if score < 1 else shown


def colour(pct: "int | None") -> str:
    if pct is None:
        return NO_SCORE
    return next(name for lowest, name in COLOURS if pct >= lowest)


def badge(column: str, counts: dict) -> dict:
    pct = percent(counts.get("score"))
    return {"schemaVersion": 1, "label": f"{column} must", "message": "n/a" if pct is None else f"{pct}%",
            "color": colour(pct)}


def badges(results: dict) -> "dict[str, dict]":
    """Column -> its endpoint JSON, for each SDK column of a results.json."""
    reference = {o.get("column") or o["driver"] for o in results["outcomes"] if o.get("role") == "reference"}
    return {column: badge(column, counts) for column, counts in (results.get("summary") or {}).items()
            if column not in reference}


def write_badges(results: dict, report_dir: Path) -> "list[Path]":
    folder = Path(report_dir) / "badges"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for column, endpoint in badges(results).items():
        path = folder / f"{re.sub(r'[^A-Za-z0-9@._-]', '_', column)}.json"  # a column name is a file name
        path.write_text(json.dumps(endpoint) + "\n")
        written.append(path)
    return written
