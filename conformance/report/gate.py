"""The CI gate: compare this run with a baseline results.json (--baseline).

A cell (scenario x report column) that passed and now fails or errors is a
regression, and the gate fails, when the cell's level is one the gate
enforces: `must` by default (what the spec page says), `must` and `should`
with --gate-level should; info cells are never judged. A cell of those levels
that passed and is now skipped fails the gate too, naming the skip's reason
(a release cannot leave a check by being skipped), unless --gate-allow-skip
accepts it, which the summary and gate.json then say. A flaky cell is never
a regression. A fail that now passes is an improvement. New scenarios and
new columns (drivers, server versions) are listed apart, as are cells that
are no longer run or are now skipped."""

import json
from pathlib import Path

from ..errors import ConformanceError

GOOD = ("pass", "xfail")
BAD = ("fail", "error")
GATE_LEVELS = {"must": ("must",), "should": ("must", "should")}


def cells(results: dict) -> "dict[str, dict]":
    """cell -> {outcome, level, message}; a results.json from before levels had only must-like verdicts."""
    return {f"{o['scenario']['id']}[{o.get('column') or o['driver']}]": {
        "outcome": o["outcome"], "level": o.get("level") or "must", "message": o.get("message") or ""}
        for o in results["outcomes"] if o.get("role", "sdk") != "reference"}  # the server alone: never gated


def load_baseline(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text())
        cells(data)
        return data
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConformanceError(f"not a results.json of this suite: {exc}", where=f"--baseline {path}")


def compare(baseline: dict, current: dict, gate_level: str = "must", allow_skip: bool = False) -> dict:
    before, after = cells(baseline), cells(current)
    enforced = GATE_LEVELS[gate_level]
    old_columns = {c.split("[", 1)[1] for c in before}
    old_scenarios = {c.split("[", 1)[0] for c in before}
    report = {"gate_level": gate_level, "levels_enforced": list(enforced), "allow_skip": allow_skip,
              "regressions": [], "regressions_not_enforced": [], "passed_now_skipped": [], "improvements": [],
              "new_scenarios": [], "new_columns": [], "now_skipped": [], "flaky": [],
              "not_run": sorted(set(before) - set(after))}
    for cell, now in sorted(after.items()):
        scenario, column = cell.split("[", 1)
        outcome, level = now["outcome"], now["level"]
        if outcome == "flaky":
            report["flaky"].append({"cell": cell, "level": level})
        if cell not in before:
            key = "new_columns" if column not in old_columns else "new_scenarios"
            report[key].append({"cell": cell, "outcome": outcome, "level": level,
                                "scenario_is_new": scenario not in old_scenarios})
            continue
        was = before[cell]["outcome"]
        entry = {"cell": cell, "before": was, "after": outcome, "level": level}
        if was in GOOD and outcome in BAD:
            report["regressions" if level in enforced else "regressions_not_enforced"].append(entry)
        elif was in BAD and outcome == "pass":
            report["improvements"].append(entry)
        elif was != "skip" and outcome == "skip":
            report["now_skipped"].append(entry)
            if was in GOOD and level in enforced:  # a check the release left by being skipped
                report["passed_now_skipped"].append(dict(entry, reason=now["message"]))
    report["passed"] = not report["regressions"] and (allow_skip or not report["passed_now_skipped"])
    return report


def summary_lines(gate: dict, baseline_path: str) -> "list[str]":
    verdict = "PASSED" if gate["passed"] else "FAILED"
    skipped = len(gate["passed_now_skipped"])
    lines = [f"gate against {baseline_path} (levels {', '.join(gate['levels_enforced'])}): {verdict} - "
             f"{len(gate['regressions'])} regression(s), "
             f"{skipped} passed and now skipped{' (accepted: --gate-allow-skip)' if skipped and gate['allow_skip'] else ''}, "
             f"{len(gate['regressions_not_enforced'])} at levels not enforced, "
             f"{len(gate['improvements'])} improvement(s), {len(gate['new_scenarios'])} new scenario cell(s), "
             f"{len(gate['new_columns'])} new column cell(s), {len(gate['now_skipped'])} now skipped, "
             f"{len(gate['flaky'])} flaky, {len(gate['not_run'])} not run"]
    for title, key in (("regression", "regressions"), ("not enforced", "regressions_not_enforced"),
                       ("improvement", "improvements")):
        for entry in gate[key][:20]:
            lines.append(f"    {title}: {entry['cell']} ({entry['level']}): {entry['before']} -> {entry['after']}")
    for entry in gate["passed_now_skipped"][:20]:
        lines.append(f"    {'skipped (accepted)' if gate['allow_skip'] else 'skipped'}: {entry['cell']} "
                     f"({entry['level']}): {entry['before']} -> skip, because {entry['reason']}")
    return lines
