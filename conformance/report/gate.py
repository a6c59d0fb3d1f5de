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
are no longer run or are now skipped.

Cells are matched as `python -m conformance.diff` matches them (diff.py): a
column of the baseline pairs with the current column of the same driver, SDK
version and server, or else of the same name (the last release's `python`
against a pull request's checkout); a regression is a pass, xfail or observed
cell that now fails or errors."""

from . import diff
from .diff import Cell
from ..errors import ConformanceError

GOOD = ("pass", "xfail")
GATE_LEVELS = {"must": ("must",), "should": ("must", "should")}


def _level(cell: Cell) -> str:
    """A cell without a level (not applicable, or from before levels) is judged as must."""
    return cell.level if cell.level in diff.LEVEL_RANK else "must"


def _gated(cell: Cell) -> bool:
    return cell.column.role != "reference"  # the reference client shows the server alone: never gated


def load_baseline(path: str) -> dict:
    try:
        return diff.load(path)
    except ConformanceError as exc:
        raise ConformanceError(exc.message, where=f"--baseline {path}")


def compare(baseline: dict, current: dict, gate_level: str = "must", allow_skip: bool = False) -> dict:
    """The gate's policy over diff.match: which changed cells fail the gate, and which are only listed."""
    matching = diff.match(baseline, current)
    enforced = GATE_LEVELS[gate_level]
    old_scenarios = {c.scenario for c in diff.cells(baseline) if _gated(c)}
    # the baseline's reference cells do not exist for the gate, even where a column changed role
    was = {after.name: before for before, after in matching.pairs if _gated(before)}
    old_columns = {new.name for old, new in matching.column_pairs if old.role != "reference"}
    gone = matching.removed + matching.in_removed_columns + [b for b, a in matching.pairs if not _gated(a)]
    report = {"gate_level": gate_level, "levels_enforced": list(enforced), "allow_skip": allow_skip,
              "regressions": [], "regressions_not_enforced": [], "passed_now_skipped": [], "improvements": [],
              "new_scenarios": [], "new_columns": [], "now_skipped": [], "flaky": [],
              "not_run": sorted(c.name for c in gone if _gated(c))}
    now = matching.in_new_columns + matching.added + [after for _, after in matching.pairs]
    for cell in sorted((c for c in now if _gated(c)), key=lambda c: c.name):
        outcome, level = cell.outcome, _level(cell)
        if outcome == "flaky":
            report["flaky"].append({"cell": cell.name, "level": level})
        before = was.get(cell.name)
        if before is None:
            key = "new_scenarios" if cell.column.name in old_columns else "new_columns"
            report[key].append({"cell": cell.name, "outcome": outcome, "level": level,
                                "scenario_is_new": cell.scenario not in old_scenarios})
            continue
        entry = {"cell": cell.name, "before": before.outcome, "after": outcome, "level": level}
        kind = diff.change(before.outcome, outcome)
        if kind == "regression":
            report["regressions" if level in enforced else "regressions_not_enforced"].append(entry)
        elif kind == "fix":
            report["improvements"].append(entry)
        elif before.outcome != "skip" and outcome == "skip":
            report["now_skipped"].append(entry)
            if before.outcome in GOOD and level in enforced:  # a check the release left by being skipped
                report["passed_now_skipped"].append(dict(entry, reason=cell.message))
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
