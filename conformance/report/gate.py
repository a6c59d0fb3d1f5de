"""The CI gate: compare this run with a baseline results.json (--baseline).

A cell (scenario x report column) that passed and now fails or errors is a
regression: the gate fails. A fail that now passes is an improvement. New
scenarios and new columns (drivers, server versions) are listed apart, as
are cells that are no longer run or are now skipped."""

import json
from pathlib import Path

from ..errors import ConformanceError

GOOD = ("pass", "xfail")
BAD = ("fail", "error")


def cells(results: dict) -> "dict[str, str]":
    return {f"{o['scenario']['id']}[{o.get('column') or o['driver']}]": o["outcome"] for o in results["outcomes"]}


def load_baseline(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text())
        cells(data)
        return data
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConformanceError(f"not a results.json of this suite: {exc}", where=f"--baseline {path}")


def compare(baseline: dict, current: dict) -> dict:
    before, after = cells(baseline), cells(current)
    old_columns = {c.split("[", 1)[1] for c in before}
    old_scenarios = {c.split("[", 1)[0] for c in before}
    report = {"regressions": [], "improvements": [], "new_scenarios": [], "new_columns": [], "now_skipped": [],
              "not_run": sorted(set(before) - set(after))}
    for cell, outcome in sorted(after.items()):
        scenario, column = cell.split("[", 1)
        if cell not in before:
            key = "new_columns" if column not in old_columns else "new_scenarios"
            report[key].append({"cell": cell, "outcome": outcome, "scenario_is_new": scenario not in old_scenarios})
            continue
        was = before[cell]
        entry = {"cell": cell, "before": was, "after": outcome}
        if was in GOOD and outcome in BAD:
            report["regressions"].append(entry)
        elif was in BAD and outcome == "pass":
            report["improvements"].append(entry)
        elif was != "skip" and outcome == "skip":
            report["now_skipped"].append(entry)
    report["passed"] = not report["regressions"]
    return report


def summary_lines(gate: dict, baseline_path: str) -> "list[str]":
    verdict = "PASSED" if gate["passed"] else "FAILED"
    lines = [f"gate against {baseline_path}: {verdict} - {len(gate['regressions'])} regression(s), "
             f"{len(gate['improvements'])} improvement(s), {len(gate['new_scenarios'])} new scenario cell(s), "
             f"{len(gate['new_columns'])} new column cell(s), {len(gate['now_skipped'])} now skipped, "
             f"{len(gate['not_run'])} not run"]
    for title, key in (("regression", "regressions"), ("improvement", "improvements")):
        for entry in gate[key][:20]:
            lines.append(f"    {title}: {entry['cell']}: {entry['before']} -> {entry['after']}")
    return lines
