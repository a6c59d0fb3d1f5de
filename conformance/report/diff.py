"""Compare two runs' results.json cell by cell (a cell: a scenario in a report column).

A column is (driver, SDK version, server): `python` run with pymilvus 3.0.2 is
the same column as the version column `python-3.0.2` of another run. Columns
that agree on those three pair up; the rest pair by name, which is the gate's
case (a pull request's SDK checkout against the last release's run, both
named `python`): such a pair is listed as a changed column and its cells are
compared across the change. A cell whose level changed is listed as a level
change, and still judged at its new level.

The categories: regressions (pass, xfail or observed -> fail or error), fixes
(fail or error -> pass), other outcome changes, level changes, flaky cells
(flaky in either run: never a regression), new and removed scenarios (cells of
paired columns), new, removed and changed columns, and the reference client's
cells apart (the server alone: never a regression). `python -m conformance.diff`
renders this; the CI gate (gate.py) applies its policy to the same matching."""

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConformanceError
from .columns import driver_and_version

BEFORE_OK = ("pass", "xfail", "observed")
BAD = ("fail", "error")
LEVEL_RANK = {"info": 1, "should": 2, "must": 3}
NOT_APPLICABLE = "n/a"  # a cell whose statements do not speak for its driver (always a skip)
CHANGE_KEYS = {"regression": "regressions", "fix": "fixes", "changed": "changes", "flaky": "flaky"}
LIST_KEYS = ("regressions", "fixes", "changes", "level_changes", "flaky", "new_scenarios", "removed_scenarios",
             "new_columns", "removed_columns", "changed_columns", "reference")


@dataclass(frozen=True)
class Column:
    name: str  # as its run named it: python, python-3.0.2, python@2.3.5
    driver: str  # without a version suffix: python
    sdk: str  # the SDK's version ("" unknown)
    sdk_name: str
    server: str  # the server version ("" unknown)
    role: str  # sdk | reference

    @property
    def identity(self) -> tuple:
        return self.driver, self.sdk, self.server

    def to_json(self) -> dict:
        return {"column": self.name, "driver": self.driver, "sdk": self.sdk, "sdk_name": self.sdk_name,
                "server": self.server, "role": self.role}


@dataclass(frozen=True)
class Cell:
    scenario: str
    title: str
    column: Column
    level: str  # must | should | info | n/a
    outcome: str
    message: str

    @property
    def name(self) -> str:
        return f"{self.scenario}[{self.column.name}]"


def load(path: str) -> dict:
    """A results.json, or a report folder holding one."""
    file = Path(path)
    if file.is_dir():
        file = file / "results.json"
    try:
        data = json.loads(file.read_text())
        cells(data)
        return data
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConformanceError(f"not a results.json of this suite: {exc}", where=str(path))


def columns(results: dict) -> "dict[str, Column]":
    """Column name -> Column, for the columns that have cells (as the gate always counted them)."""
    declared = {c["column"]: c for c in results.get("columns") or []}
    drivers = results.get("drivers") or {}
    found = {}
    for o in results["outcomes"]:
        name = o.get("column") or o["driver"]
        entry = found.setdefault(name, {"driver": o["driver"], "server": o.get("server_version"), "role": "sdk",
                                         "sdk": None})
        entry["role"] = "reference" if o.get("role") == "reference" else entry["role"]
        entry["sdk"] = entry["sdk"] or (o.get("driver_info") or {}).get("sdk")  # skipped cells have none
    result = {}
    for name, entry in found.items():
        info = drivers.get(entry["driver"]) or {}
        sdk = entry["sdk"] or info.get("sdk") or {}
        base, version = driver_and_version(entry["driver"], {**info, "sdk": sdk})
        server = entry["server"] or (declared.get(name) or {}).get("server_version")
        result[name] = Column(name=name, driver=base, sdk=version,
                              sdk_name=str(sdk.get("name") or ""), server=str(server or ""), role=entry["role"])
    return result


def cells(results: dict) -> "list[Cell]":
    by_name = columns(results)
    return [Cell(scenario=o["scenario"]["id"], title=o["scenario"].get("title") or "",
                 column=by_name[o.get("column") or o["driver"]],
                 level=o.get("level", "must") or NOT_APPLICABLE,  # no key at all: a results.json from before levels
                 outcome=o["outcome"], message=o.get("message") or "")
            for o in results["outcomes"]]


def pair_columns(old: "dict[str, Column]", new: "dict[str, Column]") -> "dict[str, str]":
    """New column name -> old column name: the same (driver, SDK, server) first, then the same name."""
    paired, left = {}, dict(old)
    for same in (lambda a, b: a.identity == b.identity, lambda a, b: a.name == b.name):
        for name, column in new.items():
            candidates = [o for o in left.values() if name not in paired and same(o, column)]
            if candidates:
                match = min(candidates, key=lambda o: o.name != name)  # of equals, the one named alike
                paired[name] = match.name
                del left[match.name]
    return paired


@dataclass
class Matching:
    pairs: "list[tuple[Cell, Cell]]"  # the same scenario in paired columns
    added: "list[Cell]"  # new cells of paired columns
    removed: "list[Cell]"  # old cells of paired columns
    in_new_columns: "list[Cell]"
    in_removed_columns: "list[Cell]"
    column_pairs: "list[tuple[Column, Column]]"
    new_columns: "list[Column]"
    removed_columns: "list[Column]"


def match(old: dict, new: dict) -> Matching:
    old_columns, new_columns = columns(old), columns(new)
    paired = pair_columns(old_columns, new_columns)
    before = {(c.scenario, c.column.name): c for c in cells(old)}
    pairs, added, in_new_columns = [], [], []
    for cell in cells(new):
        if cell.column.name not in paired:
            in_new_columns.append(cell)
            continue
        was = before.pop((cell.scenario, paired[cell.column.name]), None)
        if was:
            pairs.append((was, cell))
        else:
            added.append(cell)
    kept = set(paired.values())
    return Matching(
        pairs=sorted(pairs, key=lambda p: p[1].name), added=sorted(added, key=lambda c: c.name),
        removed=sorted((c for c in before.values() if c.column.name in kept), key=lambda c: c.name),
        in_new_columns=sorted(in_new_columns, key=lambda c: c.name),
        in_removed_columns=sorted((c for c in before.values() if c.column.name not in kept), key=lambda c: c.name),
        column_pairs=[(old_columns[o], new_columns[n]) for n, o in paired.items()],
        new_columns=[c for n, c in new_columns.items() if n not in paired],
        removed_columns=[c for n, c in old_columns.items() if n not in kept])


def change(before: str, after: str) -> "str | None":
    """The kind of an outcome change: regression, fix, flaky, changed, or None (the same)."""
    if "flaky" in (before, after):
        return "flaky"
    if before == after:
        return None
    if before in BEFORE_OK and after in BAD:
        return "regression"
    if before in BAD and after == "pass":
        return "fix"
    return "changed"


def at_or_above(level: str, threshold: str) -> bool:
    """n/a counts as must: a cell whose level is unknown is judged as strictly as any."""
    return LEVEL_RANK.get(level, LEVEL_RANK["must"]) >= LEVEL_RANK[threshold]


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]


def _entry(before: "Cell | None", after: "Cell | None") -> dict:
    cell = after or before
    entry = {"scenario": cell.scenario, "title": cell.title, "column": cell.column.name,
             "before": before.outcome if before else None, "after": after.outcome if after else None,
             "level": cell.level, "before_level": before.level if before else None,
             "message": _first_line(after.message) if after else ""}
    if before and after and before.column.name != after.column.name:
        entry["was_column"] = before.column.name
    return entry


def _column_entry(column: Column, its_cells: "list[Cell]") -> dict:
    outcomes = {}
    for cell in its_cells:
        outcomes[cell.outcome] = outcomes.get(cell.outcome, 0) + 1
    return dict(column.to_json(), cells=len(its_cells), outcomes=outcomes)


def _column_change(old: Column, new: Column) -> str:
    changes = [f"{what} {a or '?'} -> {b or '?'}" for what, a, b in
               (("named", old.name, new.name), ("SDK", old.sdk, new.sdk), ("server", old.server, new.server)) if a != b]
    return ", ".join(changes)


def compare(old: dict, new: dict) -> dict:
    m = match(old, new)
    report = {key: [] for key in LIST_KEYS}
    unchanged = 0
    for before, after in m.pairs:
        kind, entry = change(before.outcome, after.outcome), _entry(before, after)
        if "reference" in (before.column.role, after.column.role):  # the server alone: apart, never a regression
            if kind or before.level != after.level:
                report["reference"].append(dict(entry, kind=kind or "level"))
            continue
        if kind:
            report[CHANGE_KEYS[kind]].append(entry)
        if before.level != after.level:
            report["level_changes"].append(entry)
        unchanged += not kind and before.level == after.level
    old_scenarios = {o["scenario"]["id"] for o in old["outcomes"]}
    new_scenarios = {o["scenario"]["id"] for o in new["outcomes"]}
    for cell in m.added:
        _add_cell(report, "new", _entry(None, cell), cell, cell.scenario not in old_scenarios)
    for cell in m.removed:
        _add_cell(report, "removed", _entry(cell, None), cell, cell.scenario not in new_scenarios)
    report["new_columns"] = [_column_entry(c, [x for x in m.in_new_columns if x.column == c]) for c in m.new_columns]
    report["removed_columns"] = [_column_entry(c, [x for x in m.in_removed_columns if x.column == c])
                                 for c in m.removed_columns]
    report["changed_columns"] = [dict(new_column.to_json(), was=old_column.to_json(),
                                      change=_column_change(old_column, new_column))
                                 for old_column, new_column in m.column_pairs
                                 if (old_column.name, old_column.identity) != (new_column.name, new_column.identity)]
    report["unchanged"] = unchanged
    report["old"], report["new"] = _run(old), _run(new)
    report["counts"] = {key: len(report[key]) for key in LIST_KEYS}
    return report


def _add_cell(report: dict, kind: str, entry: dict, cell: Cell, whole_scenario: bool) -> None:
    """A cell of a paired column that only one run has; whole_scenario: the other run has no cell of it at all."""
    entry["whole_scenario"] = whole_scenario
    if cell.column.role == "reference":
        report["reference"].append(dict(entry, kind=kind))
    else:
        report[f"{kind}_scenarios"].append(entry)


def _run(results: dict) -> dict:
    run = results.get("run") or {}
    return {"id": run.get("id"), "finished": run.get("finished"), "suite": run.get("suite")}


def regressions_at(report: dict, level: str) -> "list[dict]":
    return [e for e in report["regressions"] if at_or_above(e["level"], level)]
