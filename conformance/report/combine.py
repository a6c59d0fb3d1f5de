"""Several runs (one per CI job: a driver, an SDK version, a server) as one matrix.

Cells are keyed by scenario, column and server. A column name two runs both use for
different SDK versions (two jobs testing `python` at 2.6.17 and 3.0.2) becomes one column
per version (`python-2.6.17`, `python-3.0.2`). The same cell from two runs is kept once
when both say the same; when they disagree it is a conflict: reported, and the cell
becomes an error that names both runs, never one of them picked silently."""

import time
from typing import Optional

from .columns import driver_and_version
from .results import column_summary

CONFLICT = "conflict"


def _sdk_version(run: dict, column: str) -> str:
    driver = column.split("@", 1)[0]
    return driver_and_version(driver, (run.get("drivers") or {}).get(driver) or {})[1]


def _renames(runs: "list[dict]") -> "list[dict]":
    """Per run: column -> its name in the combined matrix."""
    versions: "dict[str, set]" = {}
    for run in runs:
        for c in run.get("columns") or []:
            versions.setdefault(c["column"], set()).add(_sdk_version(run, c["column"]))
    renames = []
    for run in runs:
        names = {}
        for c in run.get("columns") or []:
            column = c["column"]
            if len(versions[column]) > 1:  # the same column name, different SDK versions: a column each
                base, _, server = column.partition("@")
                names[column] = f"{base}-{_sdk_version(run, column)}" + (f"@{server}" if server else "")
            else:
                names[column] = column
        renames.append(names)
    return renames


def combine(runs: "list[dict]", sources: "Optional[list[str]]" = None) -> dict:
    """One results envelope over `runs` (results.json contents), with `conflicts` listed."""
    sources = sources or [r.get("run", {}).get("id", f"run {i + 1}") for i, r in enumerate(runs)]
    renames = _renames(runs)
    cells, conflicts, columns, drivers, servers = {}, [], {}, {}, {}
    for run, names, source in zip(runs, renames, sources):
        for c in run.get("columns") or []:
            name = names[c["column"]]
            columns.setdefault(name, {**c, "column": name, "driver": name.split("@", 1)[0]})
        for column, info in (run.get("drivers") or {}).items():
            for old, new in names.items():
                if old.split("@", 1)[0] == column:
                    drivers.setdefault(new.split("@", 1)[0], info)
        for profile, server in (run.get("servers") or {}).items():
            servers[f"{source}/{profile}"] = server
        for entry in run.get("outcomes") or []:
            column = names.get(entry.get("column") or entry["driver"], entry.get("column") or entry["driver"])
            entry = {**entry, "column": column, "driver": column.split("@", 1)[0], "source": source}
            key = (entry["scenario"]["id"], column)
            if key not in cells:
                cells[key] = entry
            elif cells[key]["outcome"] != entry["outcome"] and cells[key]["outcome"] != CONFLICT:
                first = cells[key]
                conflicts.append({"scenario": key[0], "column": column,
                                  "runs": {first["source"]: first["outcome"], source: entry["outcome"]}})
                cells[key] = {**first, "outcome": "error", CONFLICT: True,
                              "message": f"conflict: run {first['source']} says {first['outcome']}, "
                                         f"run {source} says {entry['outcome']} (conformance.combine keeps neither)"}
    outcomes = sorted(cells.values(), key=lambda e: (e["scenario"]["file"], e["column"]))
    ordered = list(columns.values())
    first = runs[0] if runs else {}
    spec_hashes = {(r.get("spec") or {}).get("sha256") for r in runs}
    return {
        "format": first.get("format", 1),
        "suite": first.get("suite", {}),
        "run": {"id": f"combined-{time.strftime('%Y%m%d-%H%M%S')}", "combined_from": sources,
                "started": min((r["run"]["started"] for r in runs), default=""),
                "finished": max((r["run"]["finished"] for r in runs), default=""),
                "interrupted": any(r["run"].get("interrupted") for r in runs),
                "suite": "/".join(sorted({r["run"].get("suite", "") for r in runs})), "scenarios": ""},
        "spec": first.get("spec", {}) if len(spec_hashes) == 1 else {
            **first.get("spec", {}), "sha256": "differs between the runs: " + ", ".join(sorted(map(str, spec_hashes)))},
        "statements": {k: v for r in runs for k, v in (r.get("statements") or {}).items()},
        "peer_coverage": first.get("peer_coverage"),
        "machine": first.get("machine", {}),
        "provenance": {"runs": {s: r.get("provenance") for s, r in zip(sources, runs)}},
        "servers": servers,
        "server_source": "; ".join(sorted({r.get("server_source", "") for r in runs})),
        "drivers": drivers,
        "histories": {},
        "summary": column_summary(outcomes, [(c["column"], c["driver"], c.get("server_version", "")) for c in ordered]),
        "collection_errors": [e for r in runs for e in r.get("collection_errors") or []],
        "benchmarks": {},
        "timing": {},
        "logs_kept": False,
        "columns": ordered,
        "conflicts": conflicts,
        "outcomes": outcomes,
    }
